"""Star ratings (星级文明户): each run of the annual rating, with its inputs and one result per household."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from households.models import Household, TownshipOwned, Village
from scoring.models import Scheme


class StarRunState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("star rating", "Proposed")
    PUBLISHED = "published", pgettext_lazy("star rating", "Published")


class StarRun(TownshipOwned):
    """One rating of a scheme's year: versions 1, 2, … — a new version only when the inputs changed.

    The fingerprint is the sha256 of the sorted inputs (household, village, total, disqualified) and of the band
    settings, so the same ledger never gives two runs. `current` marks the run that matches the ledger as last
    rated (a ledger changed and changed back makes an older run current again, it is not stored twice).
    """

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="star_runs")
    version = models.PositiveIntegerField(_("version"))
    inputs_fingerprint = models.CharField(_("inputs fingerprint"), max_length=64)
    current = models.BooleanField(_("current"), default=True)
    state = models.CharField(
        _("state"), max_length=10, choices=StarRunState.choices, default=StarRunState.PROPOSED
    )
    # The band settings and floor the run used (the scheme's may change later).
    five_percent = models.PositiveSmallIntegerField()
    four_percent = models.PositiveSmallIntegerField()
    three_percent = models.PositiveSmallIntegerField()
    floor = models.DecimalField(_("lowest total for a star"), max_digits=8, decimal_places=2)
    household_count = models.PositiveIntegerField(_("households ranked"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: run from the command line."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scheme_id", "-version"]
        verbose_name = _("star rating")
        verbose_name_plural = _("star ratings")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "version"], name="star_run_version_once"),
            models.UniqueConstraint(fields=["scheme", "inputs_fingerprint"], name="star_run_inputs_once"),
            models.UniqueConstraint(
                fields=["scheme"], condition=Q(current=True), name="star_run_one_current_per_scheme"
            ),
            models.CheckConstraint(condition=Q(state__in=StarRunState.values), name="star_run_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=StarRunState.PUBLISHED)
                | Q(published_by__isnull=False, published_at__isnull=False),
                name="star_run_published_says_by_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} v{self.version}"


class StarResult(TownshipOwned):
    """One household's place in its village's ranking of one run, and its stars (0, 3, 4 or 5)."""

    # Always the run's township (rate_stars writes both); the run holds the database foreign key. Checking it again
    # on every one of 100,000 rows cost 0.8 s of a 4.5 s rating (bench/stars.py), for no extra guarantee.
    township = models.ForeignKey(
        "households.Township",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("township"),
        db_constraint=False,
        db_index=False,
    )
    run = models.ForeignKey(StarRun, on_delete=models.CASCADE, related_name="results", db_index=False)
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", db_index=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="star_results")
    total = models.DecimalField(_("annual total"), max_digits=10, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"))
    n = models.PositiveIntegerField(_("households ranked in the village"))
    stars = models.PositiveSmallIntegerField(_("stars"))
    disqualified = models.BooleanField(_("disqualified (one-vote veto)"), default=False)

    class Meta:
        ordering = ["run_id", "village_id", "rank", "household_id"]
        verbose_name = _("star result")
        verbose_name_plural = _("star results")
        # (run, household) is the unique index; pages read a run village by village in rank order.
        indexes = [models.Index(fields=["run", "village", "rank"], name="star_result_village_rank")]
        constraints = [
            models.UniqueConstraint(fields=["run", "household"], name="star_result_once_per_run"),
            models.CheckConstraint(condition=Q(stars__in=[0, 3, 4, 5]), name="star_result_stars_valid"),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=models.F("n")), name="star_result_rank_in_n"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.stars}★"
