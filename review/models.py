"""Review panels (评议小组). Rounds, inspections and declarations come with the review issue."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from households.models import Area, TownshipOwned, Village


class ReviewPanel(TownshipOwned):
    """At least five people; a panel inspects other areas than its home area (cross-review)."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=100)
    home_area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("home area")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["village_id", "name"]
        verbose_name = _("review panel")
        verbose_name_plural = _("review panels")
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="panel_name_unique_in_village")
        ]

    def __str__(self) -> str:
        return self.name


class PanelMemberKind(models.TextChoices):
    COMMITTEE = "committee", _("Village committee member")
    AREA_LEADER = "area_leader", _("Area leader")
    SUPERVISOR = "supervisor", _("Supervision committee member")
    PARTY_REPRESENTATIVE = "party_representative", _("Party member representative")
    VILLAGER_REPRESENTATIVE = "villager_representative", _("Villager representative")


class PanelMember(TownshipOwned):
    panel = models.ForeignKey(ReviewPanel, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=PanelMemberKind.choices)

    class Meta:
        ordering = ["panel_id", "id"]
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        constraints = [models.UniqueConstraint(fields=["panel", "user"], name="panel_member_once")]
