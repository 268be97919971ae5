"""Star ratings (星级文明户): the runs, their villages and results, the scheme's star rule and overrides."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TownshipOwned
from households.models import Household, Village
from scoring.models import Category, Scheme


class StarRunState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("star rating", "Proposed")
    PUBLISHED = "published", pgettext_lazy("star rating", "Published")


class StaleCause(models.TextChoices):
    """What changed an input of a rating after it was rated (written by the database triggers of migration 0006,
    and by the rewards services for the rating's own settings)."""

    APPROVAL = "approval", _("an entry was approved")
    CORRECTION = "correction", _("an entry was corrected")
    WITHDRAWAL = "withdrawal", _("an approved entry was withdrawn")
    TRANSFER = "transfer", _("a transfer was approved")
    VETO = "veto", _("a one-vote veto was approved")
    PARTICIPATION = "participation", _("a household's participation changed")
    MOVE = "move", _("a household moved to another village")
    HOUSEHOLD = "household", _("a household was added")
    ROUND = "round", _("a village's annual round was approved or reopened")
    SETTINGS = "settings", _("the star settings changed")
    OVERRIDE = "override", _("the township allowed a village to be rated before its annual round is approved")


class StarRun(TownshipOwned):
    """One rating of a scheme's year: versions 1, 2, … — a new version only when the inputs changed.

    The fingerprint is the sha256 of the sorted inputs (household, village, total, disqualified, penalties,
    tie-break score), of the band and tie-break settings and of each village's status (rated, not rated and why),
    so the same ledger never gives two runs. `current` marks the run that matches the ledger as last rated (a
    ledger changed and changed back makes an older run current again, it is not stored twice).

    `stale_since` is set by database triggers in the same transaction as any change of an input (approval,
    correction, withdrawal, transfer, veto, participation, a village's annual round); a stale run cannot be
    published until the scheme is rated again. Rating again clears the mark on the run it makes current.
    """

    village_path = None

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
    # The tie-breakers the run used (the scheme's StarRule may change later).
    tie_break_fewer_penalties = models.BooleanField(_("ties broken by fewer penalty points"), default=False)
    tie_break_category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ties broken by the higher score in"),
    )
    tie_break_category_first = models.BooleanField(
        _("the category's score before the penalties"), default=False
    )
    household_count = models.PositiveIntegerField(_("households ranked"))
    needs_confirmation = models.BooleanField(
        _("a band overflows"),
        default=False,
        help_text=_("Tied households make a star band hold more than one household over its share."),
    )
    stale_since = models.DateTimeField(_("stale since"), null=True, blank=True)
    stale_cause = models.CharField(_("what changed"), max_length=20, choices=StaleCause.choices, blank=True)
    stale_entry_id = models.BigIntegerField(null=True, blank=True)
    stale_household_id = models.BigIntegerField(null=True, blank=True)
    stale_village_id = models.BigIntegerField(null=True, blank=True)
    stale_changes = models.PositiveIntegerField(_("changes since the rating"), default=0)
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
    overflow_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    overflow_confirmed_at = models.DateTimeField(null=True, blank=True)

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
            models.CheckConstraint(
                condition=~Q(state=StarRunState.PUBLISHED, needs_confirmation=True)
                | Q(overflow_confirmed_by__isnull=False, overflow_confirmed_at__isnull=False),
                name="star_run_overflow_confirmed_to_publish",
            ),
            models.CheckConstraint(
                condition=Q(stale_since__isnull=True, stale_cause="")
                | Q(stale_since__isnull=False, stale_cause__in=StaleCause.values),
                name="star_run_stale_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} v{self.version}"

    @property
    def stale(self) -> bool:
        return self.stale_since is not None


class SpendableBasis(models.TextChoices):
    NET = "net", _("Net of bonuses and penalties (without the base)")
    TOTAL = "total", _("The annual total score (with the base)")


class StarRule(TownshipOwned):
    """A scheme's reward settings (created when first needed; a copied scheme starts from its source's):
    the star bands and floor (rewards.services.rate_stars: the top 10 / 20 / 30 % of a village's ranking), how the
    rating breaks ties of the annual total, in order (households still exactly tied share the higher band), and
    what the points supermarket can spend (rewards.selectors.spendable_balance)."""

    village_path = None

    scheme = models.OneToOneField(Scheme, on_delete=models.CASCADE, related_name="star_rule")
    star_five_percent = models.PositiveSmallIntegerField(
        _("five stars: top percent of the village"), default=10
    )
    star_four_percent = models.PositiveSmallIntegerField(
        _("four stars: top percent of the village"), default=20
    )
    star_three_percent = models.PositiveSmallIntegerField(
        _("three stars: top percent of the village"), default=30
    )
    star_floor = models.DecimalField(
        _("lowest total for a star"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: the scheme's base total."),
    )
    tie_break_fewer_penalties = models.BooleanField(
        _("fewer penalty points rank higher"),
        default=True,
        help_text=_("Penalty points: approved penalties not reversed by a correction."),
    )
    tie_break_category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("then a higher score in"),
    )
    tie_break_category_first = models.BooleanField(
        _("compare the category's score before the penalty points"), default=False
    )
    # The class scheme's term-end prizes (seed 2: the top 15 in three tiers; rewards.services.prizes).
    prize_first = models.PositiveSmallIntegerField(_("first prizes per class"), default=5)
    prize_second = models.PositiveSmallIntegerField(_("second prizes per class"), default=5)
    prize_third = models.PositiveSmallIntegerField(_("third prizes per class"), default=5)
    # Spending never lowers the ranking score.
    spendable_basis = models.CharField(
        _("points the supermarket can spend"),
        max_length=10,
        choices=SpendableBasis.choices,
        default=SpendableBasis.NET,
    )
    spendable_resets_yearly = models.BooleanField(
        _("spendable points reset each year"),
        default=False,
        help_text=_("Off (seed 4): points not spent carry over to the next year; rewards never clear them."),
    )

    class Meta:
        verbose_name = _("reward settings")
        verbose_name_plural = _("reward settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(star_five_percent__gt=0)
                & Q(star_five_percent__lte=models.F("star_four_percent"))
                & Q(star_four_percent__lte=models.F("star_three_percent"))
                & Q(star_three_percent__lte=100),
                name="star_rule_bands_ordered",
                violation_error_message=_(
                    "Star bands must grow: 0 < five-star percent ≤ four-star percent ≤ three-star percent ≤ 100."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}"


class StarVillageOverride(TownshipOwned):
    """The township's decision to rate a village before its annual round is approved, with its reason."""

    village_path = "village"

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating before the annual round")
        verbose_name_plural = _("ratings before the annual round")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "village"], name="star_override_once_per_village"),
            models.CheckConstraint(condition=~Q(reason=""), name="star_override_has_a_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.village}"


class VillageRating(models.TextChoices):
    RATED = "rated", _("Rated")
    OVERRIDDEN = "overridden", _("Rated before its annual round is approved")
    NO_ENTRIES = "no_entries", _("Not rated: no approved entries in the year")
    ROUND_NOT_APPROVED = "round_pending", _("Not rated: the annual review is not approved")


RATED_STATUSES = (VillageRating.RATED, VillageRating.OVERRIDDEN)


class StarRunVillage(TownshipOwned):
    """Whether a run rated a village (and on what authority), or why not; and how far tied households made a
    band overflow its share there."""

    village_path = "village"

    run = models.ForeignKey(StarRun, on_delete=models.CASCADE, related_name="villages")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=VillageRating.choices)
    households = models.PositiveIntegerField(_("households taking part"))
    overflow = models.PositiveIntegerField(
        _("households over the band's share"), default=0, help_text=_("The largest over the three bands.")
    )
    override_reason = models.CharField(_("reason for rating before the round"), max_length=300, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["run_id", "village__sort_key", "village_id"]
        verbose_name = _("village of a star rating")
        verbose_name_plural = _("villages of a star rating")
        constraints = [
            models.UniqueConstraint(fields=["run", "village"], name="star_run_village_once"),
            models.CheckConstraint(
                condition=Q(status__in=VillageRating.values), name="star_run_village_status"
            ),
            models.CheckConstraint(
                condition=~Q(status=VillageRating.OVERRIDDEN) | ~Q(override_reason=""),
                name="star_run_village_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.village} {self.status}"

    @property
    def rated(self) -> bool:
        return self.status in RATED_STATUSES


class StarResult(TownshipOwned):
    """One household's place in its village's ranking of one run, and its stars (0, 3, 4 or 5)."""

    village_path = "village"
    household_record = True

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
    # No database foreign keys on the run, village and household: PostgreSQL's per-row foreign-key triggers at
    # commit cost more than the whole ranking (bench/stars.py: 1–5 s of a 3–11 s rating of 98,000 rows). The rows
    # are written by rewards.services.stars from a join with the households themselves (PostgreSQL), or checked
    # once per rating as a set (`_check_references`, elsewhere). The ORM still cascades and protects as declared.
    run = models.ForeignKey(
        StarRun, on_delete=models.CASCADE, related_name="results", db_index=False, db_constraint=False
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="star_results", db_constraint=False
    )
    # The family's account (issue 14: every rating names an account); written with the row from the household's.
    account = models.ForeignKey(
        "scoring.Account",
        on_delete=models.PROTECT,
        related_name="star_results",
        db_constraint=False,
        db_index=False,
    )
    total = models.DecimalField(_("annual total"), max_digits=10, decimal_places=2)
    penalties = models.DecimalField(
        _("penalty points"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    tie_score = models.DecimalField(
        _("tie-break category score"), max_digits=10, decimal_places=2, null=True, blank=True
    )
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
