"""A household's life (issue 16): the record of each event — a member leaving, a change of head, a split (分户), a
merge (合户), moving out of the township (迁出). Points moved by an event name it (scoring.Transfer.life_event)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned


class LifeEventKind(models.TextChoices):
    MEMBER_ENDED = "member_ended", _("A member left the household")
    HEAD_CHANGED = "head_changed", _("Change of head")
    SPLIT = "split", _("Split into two households")
    MERGE = "merge", _("Merge of two households")
    MOVED_OUT = "moved_out", _("Moved out of the township")


class LifeEvent(TownshipOwned):
    """One event of a household's life: who recorded it, when, why. For a split the household is the original
    and `other_household` the new one; for a merge the household is the one that remains and `other_household`
    the one it absorbed."""

    village_path = "household__village"
    household_record = True

    kind = models.CharField(_("event"), max_length=20, choices=LifeEventKind.choices)
    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="life_events",
        verbose_name=_("household"),
    )
    other_household = models.ForeignKey(
        "households.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("other household"),
    )
    resident = models.ForeignKey(
        "households.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = _("household event")
        verbose_name_plural = _("household events")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LifeEventKind.values), name="life_event_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind__in=[LifeEventKind.SPLIT, LifeEventKind.MERGE])
                | Q(other_household__isnull=False),
                name="life_event_split_merge_name_the_other",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()} {self.occurred_on}"
