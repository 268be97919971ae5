"""The year-end close (年度结算) of one scheme's year, and the ledger's rule that a closed year takes no more points.

The close itself is rewards' (rewards.services.year_end: it reads the rounds and the star rating); the record lives
here so the ledger, which must refuse a closed year, can read it without importing a higher app."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.models import TownshipOwned


class YearClose(TownshipOwned):
    """A scheme's year (a school's term: the scheme's dates) frozen by the township office: who, when, and what
    it did (the summary of the dry run it ran). Once per scheme and year."""

    village_path = None

    scheme = models.ForeignKey("scoring.Scheme", on_delete=models.PROTECT, related_name="closes")
    year = models.PositiveSmallIntegerField(gettext_lazy("year"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(auto_now_add=True)
    next_scheme = models.ForeignKey(
        "scoring.Scheme", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    spendable = models.CharField(gettext_lazy("spendable points"), max_length=10)  # "carry" or "clear"
    summary = models.JSONField(default=dict, blank=True)
    archive_job = models.ForeignKey(
        "core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-year", "-closed_at"]
        verbose_name = gettext_lazy("year-end close")
        verbose_name_plural = gettext_lazy("year-end closes")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "year"], name="year_close_once_per_scheme_year"),
            models.CheckConstraint(
                condition=Q(spendable__in=["carry", "clear"]), name="year_close_spendable"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.year}"


def refuse_closed_year(scheme_id: int, year: int) -> None:
    """The one rule: nothing is recorded or approved into a closed year (every writer of the ledger reaches it
    through Entry.save and the entries' update). Late corrections post to the next year (scoring.closing)."""
    if YearClose.objects.filter(scheme_id=scheme_id, year=year).exists():
        raise DomainError(
            _(
                "The year %(year)d of this scheme is closed (年度结算): nothing more is recorded or approved in it. "
                "Record it in the next year; a correction of one of its entries posts to the next year."
            )
            % {"year": year},
            code="year_closed",
        )
