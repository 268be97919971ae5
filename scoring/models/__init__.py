"""The rule catalogue (schemes, categories, items, role rules) and the append-only points ledger."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from core.tenancy import TownshipScopedManager
from households.models import Household, Village

from ..periods import Cadence
from .accounts import AccountKind
from .closes import refuse_closed_year


def format_points(value: Decimal) -> str:
    """10.00 → "10", 1.50 → "1.5" (never the scientific notation of Decimal.normalize)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class SchemeState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class RankBy(models.TextChoices):
    YEAR = "year", _("The year's points")
    CUMULATIVE = "cumulative", _("All points so far")


class SplitPoints(models.TextChoices):
    """How a household's points divide when it splits (分户): what divides is its approved points of the scheme
    (the ledger's sum, which makes both the year's score above the base and what the supermarket can spend)."""

    STAY = "stay", _("They stay with the original household")
    BY_MEMBERS = "by_members", _("They divide by the number of members")
    EXPLICIT = "explicit", _("The clerk types the amount that goes")


def default_account_kinds() -> list[str]:
    return [AccountKind.HOUSEHOLD]


class Scheme(TownshipOwned):
    """积分方案: one township's rule catalogue for one year ("动态管理": it changes from year to year)."""

    village_path = None

    name = models.CharField(_("name"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000)])
    # The dates the scheme covers: a calendar year for a township's scheme (1 January to 31 December of `year`),
    # a term for a school's (e.g. 1 September to 31 January; `year` is the year it starts). Entries must fall in
    # it. No end: the points carry forward and the scheme takes any later date.
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=SchemeState.choices, default=SchemeState.DRAFT
    )
    template = models.CharField(_("template"), max_length=40, blank=True)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    false_declaration_multiplier = models.DecimalField(
        _("false declaration multiplier"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2"),
        help_text=_("A declaration proved false costs this many times its value (seed 4: double)."),
    )
    allows_transfers = models.BooleanField(_("allows transfers between accounts"), default=False)
    # Which accounts the scheme keeps (scheme 1: families only; scheme 4: families, villagers and units), whether
    # points carry forward from year to year (scheme 4: never cleared; the scheme then takes entries of any later
    # year) and whether its rankings count the year or everything so far.
    account_kinds = ArrayField(
        models.CharField(max_length=10, choices=AccountKind.choices),
        verbose_name=_("account kinds"),
        default=default_account_kinds,
    )
    points_carry_forward = models.BooleanField(
        _("points carry forward (never cleared)"),
        default=False,
        help_text=_("Off: the scheme is one year's and its points end with it."),
    )
    rank_by = models.CharField(
        _("rankings count"), max_length=10, choices=RankBy.choices, default=RankBy.YEAR
    )
    # Which review rounds go to the township after their public notice (review.services: "finish" or "submit").
    # Seed 1: a quarter's scores count when its notice ends without an upheld objection; the annual review goes to
    # the township. Notice batches of directly recorded entries always go to the township.
    township_approves_quarterly = models.BooleanField(
        _("quarterly rounds need the township's approval"),
        default=True,
        help_text=_("Off: a quarter's scores count when its notice ends without an upheld objection."),
    )
    township_approves_annual = models.BooleanField(
        _("the annual review needs the township's approval"), default=True
    )
    # A household's life (issue 16): how points divide on a split.
    split_points = models.CharField(
        _("points on a split"), max_length=12, choices=SplitPoints.choices, default=SplitPoints.STAY
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")
        constraints = [
            models.UniqueConstraint(fields=["township", "year", "name"], name="scheme_name_unique_per_year"),
            models.CheckConstraint(condition=Q(state__in=SchemeState.values), name="scheme_state_valid"),
            models.CheckConstraint(
                condition=Q(false_declaration_multiplier__gte=1), name="scheme_false_multiplier_at_least_1"
            ),
            models.CheckConstraint(condition=~Q(account_kinds=[]), name="scheme_keeps_some_account_kind"),
            models.CheckConstraint(condition=Q(rank_by__in=RankBy.values), name="scheme_rank_by_valid"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="scheme_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(split_points__in=SplitPoints.values), name="scheme_split_points_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def fill_dates(self) -> None:
        """A scheme made without dates covers its calendar year (open-ended when its points carry forward)."""
        if self.starts_on is None and self.year:
            self.starts_on = datetime.date(self.year, 1, 1)
            if self.ends_on is None and not self.points_carry_forward:
                self.ends_on = datetime.date(self.year, 12, 31)

    def save(self, *args, **kwargs):
        self.fill_dates()
        super().save(*args, **kwargs)

    def covers(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


def schemes_covering(first: datetime.date, last: datetime.date | None = None) -> models.QuerySet:
    """The township's schemes in force (not drafts) that cover some day from `first` to `last`, the latest
    starting first: one rule for the class's daily record, its weekly list and the month's report."""
    return (
        Scheme.objects.exclude(state=SchemeState.DRAFT)
        .filter(starts_on__lte=last or first)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .order_by("-starts_on", "-pk")
    )


class Category(TownshipOwned):
    """积分类别: a base score and a cadence; the category score is clamped to [floor, ceiling] when set."""

    village_path = None

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)
    base_score = models.DecimalField(_("base score"), max_digits=7, decimal_places=2, default=Decimal("0"))
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices, default=Cadence.ANNUAL)
    floor = models.DecimalField(_("floor"), max_digits=7, decimal_places=2, null=True, blank=True)
    ceiling = models.DecimalField(_("ceiling"), max_digits=7, decimal_places=2, null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["scheme_id", "order", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="category_name_unique_in_scheme"),
            models.CheckConstraint(condition=Q(cadence__in=Cadence.values), name="category_cadence_valid"),
            models.CheckConstraint(
                condition=Q(floor__isnull=True) | Q(ceiling__isnull=True) | Q(floor__lte=models.F("ceiling")),
                name="category_floor_not_above_ceiling",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ItemKind(models.TextChoices):
    BONUS = "bonus", _("Bonus")
    PENALTY = "penalty", _("Penalty")


class Item(TownshipOwned):
    """加分项 / 减分项: a rule with a point value (halves allowed), optional caps and a threshold alert."""

    village_path = None

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    cap_count = models.PositiveSmallIntegerField(
        _("at most this many times per period"), null=True, blank=True
    )
    cap_points = models.DecimalField(
        _("at most this many points per period"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    by_inspection = models.BooleanField(_("recorded by panel inspection"), default=True)
    by_declaration = models.BooleanField(_("declared by the household"), default=False)
    by_clerk = models.BooleanField(_("recorded by the clerk"), default=True)
    disqualifying = models.BooleanField(_("disqualifying (one-vote veto)"), default=False)
    role_multiplier_applies = models.BooleanField(
        _("role penalty multiplier applies"),
        default=True,
        help_text=_("Seed 2: officers' penalties count double, except for study and duty items."),
    )
    verification = models.CharField(_("how it is verified"), max_length=300, blank=True)
    threshold_count = models.PositiveSmallIntegerField(
        _("alert at the Nth hit in a period"), null=True, blank=True
    )
    threshold_consequence = models.CharField(_("consequence at the threshold"), max_length=200, blank=True)
    # Seed 2: "一项一周累积顺延" (scoring.limits has the rule); caps and the limit may count per a period of their
    # own (月考 items once a month, the sports meeting once a term, in a weekly category).
    threshold_carries_over = models.BooleanField(
        _("hits below the limit carry over"),
        default=False,
        help_text=_(
            "Hits that do not reach the limit in a period count on in the next one, until it is reached."
        ),
    )
    cap_cadence = models.CharField(
        _("caps and limit counted per"),
        max_length=10,
        choices=Cadence.choices,
        blank=True,
        help_text=_("Empty: the category's cadence."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category_id", "order", "id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ItemKind.values), name="item_kind_valid"),
            models.CheckConstraint(condition=Q(points__gt=0), name="item_points_positive"),
            models.CheckConstraint(
                condition=Q(cap_points__isnull=True) | Q(cap_points__gt=0), name="item_cap_points_positive"
            ),
            models.CheckConstraint(
                condition=Q(by_inspection=True) | Q(by_declaration=True) | Q(by_clerk=True),
                name="item_has_a_recorder",
            ),
            models.CheckConstraint(
                condition=Q(cap_cadence="") | Q(cap_cadence__in=Cadence.values), name="item_cap_cadence_valid"
            ),
        ]

    def __str__(self) -> str:
        sign = "+" if self.kind == ItemKind.BONUS else "−"
        return f"{self.name} {sign}{format_points(self.points)}"

    @property
    def signed_points(self) -> Decimal:
        return self.points if self.kind == ItemKind.BONUS else -self.points

    @property
    def counting_cadence(self) -> str:
        """The period its caps and limit count in (select_related the category)."""
        return self.cap_cadence or self.category.cadence


class EntrySource(models.TextChoices):
    INSPECTION = "inspection", _("Panel inspection")
    DECLARATION = "declaration", _("Household declaration")
    CLERK = "clerk", _("Recorded by the clerk")
    CORRECTION = "correction", _("Correction")
    OBJECTION = "objection", _("Objection outcome")
    TRANSFER = "transfer", _("Transfer")
    CLAIM = (
        "claim",
        _("Claim outside a round"),
    )  # 积分申报 (scheme 4), collected by a grid worker or the clerk


class EntryState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class LedgerViolation(Exception):
    """Raised when code tries to change or delete an approved entry: corrections are new reversing entries."""


class EntryQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(state=EntryState.APPROVED)

    def counting_towards_caps(self):
        """What caps and thresholds count: entries not withdrawn, neither a correction nor corrected (a corrected
        entry counts as never recorded, for the number of times as for the points)."""
        corrected = self.model.objects.filter(corrects=OuterRef("pk")).exclude(state=EntryState.WITHDRAWN)
        return (
            self.exclude(state=EntryState.WITHDRAWN)
            .exclude(source=EntrySource.CORRECTION)
            .exclude(Exists(corrected))
        )

    def update(self, **kwargs):
        if self.filter(state=EntryState.APPROVED).exists():
            raise LedgerViolation("Approved entries are never updated; record a correction instead.")
        if kwargs.get("state") == EntryState.APPROVED:
            for scheme_id, year in self.order_by().values_list("scheme_id", "year").distinct():
                refuse_closed_year(scheme_id, year)
        return super().update(**kwargs)

    def delete(self):
        raise LedgerViolation("Entries are never deleted; withdraw a proposal or record a correction.")


class Entry(TownshipOwned):
    """积分记录: one signed change to one account's points, with the rule as it was when recorded.

    The account is the subject; an entry of a household's account also names the household (`household`, empty for
    a villager's or a unit's account), and the database checks that the two agree (scoring 0012)."""

    village_path = "village"
    area_path = "account__area"
    household_record = True

    account = models.ForeignKey("scoring.Account", on_delete=models.PROTECT, related_name="entries")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", help_text=_("village at the time")
    )
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="entries")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="entries")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    # The rule as it was when recorded: changing the catalogue never rewrites history.
    category_name = models.CharField(_("category"), max_length=100)
    item_name = models.CharField(_("item"), max_length=200)
    item_kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices)
    item_points = models.DecimalField(_("item points"), max_digits=6, decimal_places=2)
    multiplier = models.DecimalField(_("multiplier"), max_digits=4, decimal_places=2, default=Decimal("1"))
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=2)
    year = models.PositiveSmallIntegerField(_("year"))
    period = models.CharField(_("period"), max_length=10)
    occurred_on = models.DateField(_("date it happened"))
    source = models.CharField(_("source"), max_length=12, choices=EntrySource.choices)
    reason = models.TextField(_("reason"), blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=EntryState.choices, default=EntryState.PROPOSED
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    idempotency_key = models.CharField(max_length=80, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decided_reason = models.CharField(_("reason for the decision"), max_length=300, blank=True)

    objects = TownshipScopedManager(EntryQuerySet)

    class Meta:
        ordering = ["occurred_on", "id"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        indexes = [
            models.Index(fields=["scheme", "state", "household"], name="entry_scheme_state_household"),
            models.Index(fields=["household", "occurred_on"], name="entry_household_date"),
            models.Index(fields=["scheme", "state", "account"], name="entry_scheme_state_account"),
            models.Index(fields=["account", "occurred_on"], name="entry_account_date"),
            # The day's entries (the clerk's home, the ledger's "recorded on" filter): a few rows, not the ledger.
            models.Index(fields=["township", "recorded_at"], name="entry_township_recorded"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="entry_idempotency_key_once",
            ),
            models.CheckConstraint(condition=Q(state__in=EntryState.values), name="entry_state_valid"),
            models.CheckConstraint(condition=Q(source__in=EntrySource.values), name="entry_source_valid"),
            models.CheckConstraint(condition=~Q(points=0), name="entry_points_not_zero"),
            models.CheckConstraint(
                condition=~Q(source=EntrySource.CORRECTION) | (Q(corrects__isnull=False) & ~Q(reason="")),
                name="entry_correction_has_target_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state=EntryState.APPROVED)
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="entry_approved_says_by_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} {self.item_name} {self.points:+}"

    @property
    def holder(self) -> str:
        """Whose points: the household's number, or the villager's or unit's name (select_related the account's
        resident and unit where a list shows it)."""
        return self.household.number if self.household_id else self.account.holder_name

    def save(self, *args, **kwargs):
        if self.pk is not None and Entry._base_manager.filter(pk=self.pk, state=EntryState.APPROVED).exists():
            raise LedgerViolation("Approved entries are never updated; record a correction instead.")
        if self.pk is None:
            refuse_closed_year(self.scheme_id, self.year)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerViolation("Entries are never deleted; withdraw a proposal or record a correction.")


def evidence_path(instance, filename: str) -> str:
    return f"evidence/{instance.township_id}/{instance.entry.year}/{instance.entry_id}/{filename}"


class Evidence(TownshipOwned):
    """A photo or document attached to an entry; type checked by content, size limited."""

    village_path = "entry__village"
    household_record = True

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")


# Split by purpose (modules stay under 500 lines); imported here so that `scoring.models` names every model.
from .accounts import LIST_KIND as LIST_KIND  # noqa: E402
from .accounts import Account as Account  # noqa: E402
from .accounts import AccountKind as AccountKind  # noqa: E402,F811
from .accounts import RankingList as RankingList  # noqa: E402
from .appeals import Appeal as Appeal  # noqa: E402
from .appeals import AppealState as AppealState  # noqa: E402
from .appeals import SelfDeclaration as SelfDeclaration  # noqa: E402
from .appeals import SelfDeclarationState as SelfDeclarationState  # noqa: E402
from .balances import Balance as Balance  # noqa: E402
from .claims import ClaimChannel as ClaimChannel  # noqa: E402
from .claims import ClaimDetail as ClaimDetail  # noqa: E402
from .closes import YearClose as YearClose  # noqa: E402
from .limits import StudyListFiling as StudyListFiling  # noqa: E402
from .limits import ThresholdAlert as ThresholdAlert  # noqa: E402
from .passbook_codes import PassbookCode as PassbookCode  # noqa: E402
from .roles import OFFICER_POSTS as OFFICER_POSTS  # noqa: E402
from .roles import RoleAssignment as RoleAssignment  # noqa: E402
from .roles import RoleChange as RoleChange  # noqa: E402
from .roles import RoleChangeKind as RoleChangeKind  # noqa: E402
from .roles import RoleRule as RoleRule  # noqa: E402
from .transfers import Transfer as Transfer  # noqa: E402
from .transfers import TransferState as TransferState  # noqa: E402
