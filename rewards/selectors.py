"""Read queries for star ratings, budgets and the points supermarket, shared by pages, API, jobs and commands."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Abs, Coalesce

from households.models import Household, Village
from households.permissions import restrict_to_visible, sees_household_records
from review.models import ReviewRound, RoundKind, RoundState
from scoring.models import (
    Category,
    Entry,
    EntrySource,
    EntryState,
    ItemKind,
    Scheme,
    SchemeState,
)
from scoring.selectors import annual_totals, category_key, with_scores

from .models import (
    Budget,
    FundingLine,
    Product,
    Redemption,
    RewardAllocation,
    Shop,
    SpendableBasis,
    StarResult,
    StarRule,
    StarRun,
    StarRunState,
    StarRunVillage,
    StarVillageOverride,
    VillageRating,
)


class StarInput(NamedTuple):
    """What a household's stars depend on: the rating's inputs, hashed into the run's fingerprint.

    `penalties` and `tie_score` break ties of the total (the scheme's StarRule); a caller without them (the annual
    notice) leaves their defaults and ranks by the total alone.
    """

    household_id: int
    village_id: int
    total: Decimal
    disqualified: bool
    penalties: Decimal = Decimal("0")
    tie_score: Decimal | None = None


def standing_entries(scheme: Scheme) -> QuerySet[Entry]:
    """Approved entries of the scheme that are not corrections and that no approved correction has reversed."""
    reversed_by_correction = Entry.objects.filter(
        corrects=OuterRef("pk"), state=EntryState.APPROVED, source=EntrySource.CORRECTION
    )
    return (
        Entry.objects.approved()
        .filter(township_id=scheme.township_id, scheme=scheme)
        .exclude(source=EntrySource.CORRECTION)
        .exclude(Exists(reversed_by_correction))
    )


def disqualifying_entries(scheme: Scheme) -> QuerySet[Entry]:
    """Approved entries of a disqualifying (一票否决) item that no approved correction has reversed.

    A correction copies the item of the entry it reverses, so corrections themselves are left out.
    """
    return standing_entries(scheme).filter(item__disqualifying=True)


def penalty_points(scheme: Scheme) -> QuerySet[Entry]:
    """Per household (`household_id`, `penalties`): the points of its standing penalties, as a positive number.

    A corrected penalty no longer counts (the correction reverses it); the correction itself is not a penalty.
    """
    return (
        standing_entries(scheme)
        .filter(item_kind=ItemKind.PENALTY)
        .order_by()
        .values("household_id")
        .annotate(penalties=Sum(Abs("points")))
    )


def category_scores(scheme: Scheme, category: Category, households: QuerySet[Household]) -> QuerySet:
    """Per household (`pk`, `category_<id>`): its score in one category (the scores pages' own rule: base and
    clamps)."""
    scored = with_scores(households, scheme, categories=Category.objects.filter(pk=category.pk))
    return scored.values("pk", category_key(category))


def rating_households(scheme: Scheme, villages: Iterable[int] | None = None) -> QuerySet[Household]:
    """The households a rating ranks: taking part, of the scheme's township (of these villages, if given)."""
    households = Household.objects.filter(township_id=scheme.township_id).taking_part()
    if villages is not None:
        households = households.filter(village_id__in=list(villages))
    return households


def star_inputs(
    scheme: Scheme,
    *,
    villages: Iterable[int] | None = None,
    tie_break_category: Category | None = None,
) -> list[StarInput]:
    """Every household taking part (of these villages), with its village, approved annual total,
    disqualification, penalty points and (with a tie-break category) its score there, by household.

    The totals are `scoring.selectors.annual_totals`: the scores pages' numbers, by construction.
    """
    households = Household.objects.filter(township_id=scheme.township_id)
    ranked = rating_households(scheme, villages)
    totals = annual_totals(scheme, ranked)
    # Every household's village, not only those taking part: one may stop taking part between the two queries.
    village_of = dict(households.order_by().values_list("pk", "village_id"))
    disqualified = set(disqualifying_entries(scheme).order_by().values_list("household_id", flat=True))
    penalties = dict(penalty_points(scheme).values_list("household_id", "penalties"))
    scores = {}
    if tie_break_category is not None:
        key = category_key(tie_break_category)
        scores = {row["pk"]: row[key] for row in category_scores(scheme, tie_break_category, ranked)}
    return sorted(
        StarInput(
            household_id,
            village_of[household_id],
            total,
            household_id in disqualified,
            penalties.get(household_id, Decimal("0")),
            scores.get(household_id) if tie_break_category is not None else None,
        )
        for household_id, total in totals.items()
    )


@dataclass(frozen=True)
class VillageStatus:
    """Whether a rating ranks a village, and why (not)."""

    village_id: int
    status: str
    households: int
    override: StarVillageOverride | None = None

    @property
    def rated(self) -> bool:
        return self.status in (VillageRating.RATED, VillageRating.OVERRIDDEN)


def village_statuses(scheme: Scheme) -> list[VillageStatus]:
    """Each village with households taking part, by id: rated; rated on the township's override before its
    annual round is approved; or not rated — no standing approved entry in the year, or the annual round not
    approved and no override. (Four queries.)"""
    counts = dict(
        rating_households(scheme)
        .order_by()
        .values("village_id")
        .annotate(n=Count("pk"))
        .values_list("village_id", "n")
    )
    with_entries = set(
        standing_entries(scheme)
        .filter(household__in=rating_households(scheme))
        .order_by()
        .values_list("household__village_id", flat=True)
        .distinct()
    )
    approved = set(
        ReviewRound.objects.filter(
            scheme=scheme, kind=RoundKind.ANNUAL, state=RoundState.APPROVED
        ).values_list("village_id", flat=True)
    )
    overrides = {o.village_id: o for o in StarVillageOverride.objects.filter(scheme=scheme)}
    statuses = []
    for village_id in sorted(counts):
        override = None
        if village_id not in with_entries:
            status = VillageRating.NO_ENTRIES
        elif village_id in approved:
            status = VillageRating.RATED
        elif village_id in overrides:
            status, override = VillageRating.OVERRIDDEN, overrides[village_id]
        else:
            status = VillageRating.ROUND_NOT_APPROVED
        statuses.append(VillageStatus(village_id, status, counts[village_id], override))
    return statuses


def run_villages(run: StarRun) -> QuerySet[StarRunVillage]:
    """A run's villages, by name: rated or not and why, with the overflow (one query)."""
    return StarRunVillage.objects.filter(run=run).select_related("village", "overridden_by")


def current_run(scheme: Scheme) -> StarRun | None:
    """The run that matches the ledger as last rated (a proposal or published)."""
    return StarRun.objects.filter(scheme=scheme, current=True).first()


def published_run(scheme: Scheme) -> StarRun | None:
    """The newest published run of the scheme (what rewards and incentive lists use)."""
    return StarRun.objects.filter(scheme=scheme, state=StarRunState.PUBLISHED).order_by("-version").first()


def run_results(run: StarRun) -> QuerySet[StarResult]:
    """A run's results village by village, best first, with what a row shows (one query)."""
    return (
        StarResult.objects.filter(run=run)
        .select_related("household", "village")
        .order_by("village__name", "village_id", "rank", "household__number")
    )


def results_by_village(scheme: Scheme) -> tuple[StarRun | None, dict[Village, list[StarResult]]]:
    """The current run and its results grouped by village (two queries, whatever the number of rows)."""
    run = current_run(scheme)
    grouped: dict[Village, list[StarResult]] = defaultdict(list)
    if run is not None:
        for result in run_results(run):
            grouped[result.village].append(result)
    return run, dict(grouped)


def village_summary(run: StarRun) -> list[dict]:
    """Per village: name, N, and the number of five-, four- and three-star households (one query)."""
    return list(
        StarResult.objects.filter(run=run)
        .values("village_id", "village__name")
        .annotate(
            n=Count("pk"),
            five=Count("pk", filter=Q(stars=5)),
            four=Count("pk", filter=Q(stars=4)),
            three=Count("pk", filter=Q(stars=3)),
            disqualified=Count("pk", filter=Q(disqualified=True)),
        )
        .order_by("village__name", "village_id")
    )


def star_households(year: int, *, published_only: bool = True) -> QuerySet[StarResult]:
    """The star households (3 stars and up) of a year, from each scheme's published run (or current run).

    Call inside the township scope; one query.
    """
    runs = StarRun.objects.filter(scheme__year=year)
    if published_only:
        newest = StarRun.objects.filter(
            scheme=OuterRef("scheme"), state=StarRunState.PUBLISHED, version__gt=OuterRef("version")
        )
        runs = runs.filter(state=StarRunState.PUBLISHED).exclude(Exists(newest))
    else:
        runs = runs.filter(current=True)
    return (
        StarResult.objects.filter(run__in=runs, stars__gte=3)
        .select_related("household", "village", "run", "run__scheme")
        .order_by("-stars", "village__name", "rank", "household__number")
    )


@dataclass(frozen=True)
class StarChange:
    """A household whose stars differ between two runs (None: not ranked in that run)."""

    household: Household
    old: int | None
    new: int | None


def star_changes(old: StarRun, new: StarRun) -> list[StarChange]:
    """Households whose stars differ from `old` to `new`, by household number (two queries)."""
    old_stars = StarResult.objects.filter(run=old, household=OuterRef("household")).values("stars")[:1]
    differing = (
        StarResult.objects.filter(run=new)
        .annotate(old_stars=Subquery(old_stars))
        .filter(Q(old_stars__isnull=True) | ~Q(old_stars=F("stars")))
        .select_related("household")
    )
    gone = (
        StarResult.objects.filter(run=old)
        .exclude(Exists(StarResult.objects.filter(run=new, household=OuterRef("household"))))
        .select_related("household")
    )
    changes = [StarChange(r.household, r.old_stars, r.stars) for r in differing]
    changes += [StarChange(r.household, r.stars, None) for r in gone]
    return sorted(changes, key=lambda c: (c.household.number, c.household.pk))


# Budgets ---------------------------------------------------------------------------------------------------------

YUAN = DecimalField(max_digits=14, decimal_places=2)


def _sum_of(queryset: QuerySet, field: str) -> Coalesce:
    """A correlated SUM of `field` over `queryset` (already filtered on OuterRef), 0 when empty."""
    summed = queryset.order_by().values("township_id").annotate(s=Sum(field)).values("s")
    return Coalesce(Subquery(summed, output_field=YUAN), Value(Decimal("0"), output_field=YUAN))


@dataclass(frozen=True)
class BudgetFigures:
    """A village's reward money for a year, in yuan: what came in, the cap, and what is promised and spent."""

    funded: Decimal = Decimal("0")
    residents: int = 0
    cap_per_resident: Decimal = Decimal("0")
    committed: Decimal = Decimal("0")  # reward allocations (cancellations deducted)
    spent: Decimal = Decimal("0")  # the supermarket's cost of goods redeemed (cancellations deducted)
    budget_id: int | None = None

    @property
    def cap(self) -> Decimal:
        return self.cap_per_resident * self.residents

    @property
    def limit(self) -> Decimal:
        """What may be drawn: the funding, never more than the cap per resident."""
        return min(self.funded, self.cap)

    @property
    def left(self) -> Decimal:
        return self.limit - self.committed - self.spent


def budgets_with_figures(year: int | None = None) -> QuerySet[Budget]:
    """Budgets annotated with funded, committed and spent (one query; call inside the township scope)."""
    budgets = Budget.objects.all() if year is None else Budget.objects.filter(year=year)
    return budgets.select_related("village").annotate(
        funded=_sum_of(FundingLine.objects.filter(budget=OuterRef("pk")), "amount"),
        committed=_sum_of(RewardAllocation.objects.filter(budget=OuterRef("pk")), "value"),
        spent=_sum_of(
            Redemption.objects.filter(shop__village=OuterRef("village"), year=OuterRef("year")), "cost"
        ),
    )


def figures_of(budget: Budget) -> BudgetFigures:
    """The figures of a budget from `budgets_with_figures` (or of a fresh one, read again)."""
    if not hasattr(budget, "funded"):
        budget = budgets_with_figures().get(pk=budget.pk)
    return BudgetFigures(
        funded=budget.funded,
        residents=budget.residents,
        cap_per_resident=budget.cap_per_resident,
        committed=budget.committed,
        spent=budget.spent,
        budget_id=budget.pk,
    )


def budget_figures(*, year: int, village_ids: Iterable[int]) -> dict[int, BudgetFigures]:
    """{village id: figures} for the year; a village without a budget has zeros. One query."""
    village_ids = list(village_ids)
    figures = {village_id: BudgetFigures() for village_id in village_ids}
    for budget in budgets_with_figures(year).filter(village_id__in=village_ids):
        figures[budget.village_id] = figures_of(budget)
    return figures


# A scheme's reward settings ---------------------------------------------------------------------------------------

# What a copied scheme takes over from its source (the tie-breakers name the source's categories: they are not).
INHERITED_SETTINGS = (
    "star_five_percent",
    "star_four_percent",
    "star_three_percent",
    "star_floor",
    "spendable_basis",
    "spendable_resets_yearly",
)


def inherited_settings(scheme: Scheme) -> dict:
    """The settings a scheme without its own StarRule starts from: those of the nearest scheme it was copied from
    that has one (scoring.services.copy_scheme copies the catalogue, rewards its own settings), else none."""
    source_id, seen = scheme.copied_from_id, set()
    while source_id is not None and source_id not in seen:
        seen.add(source_id)
        rule = StarRule.objects.filter(scheme_id=source_id).first()
        if rule is not None:
            return {name: getattr(rule, name) for name in INHERITED_SETTINGS}
        source_id = Scheme.objects.filter(pk=source_id).values_list("copied_from_id", flat=True).first()
    return {}


def star_rule(scheme: Scheme) -> StarRule:
    """The scheme's reward settings; unsaved when it has none yet (its source's settings, else the defaults)."""
    return StarRule.objects.filter(scheme=scheme).first() or StarRule(
        township_id=scheme.township_id, scheme=scheme, **inherited_settings(scheme)
    )


# The points supermarket -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """A household's spendable points: what the scheme lets it spend, less what it has spent."""

    earned: Decimal
    spent: Decimal

    @property
    def available(self) -> Decimal:
        """What can be spent now: never below zero (issue 8). A penalty approved after spending does not make a
        debt to collect at the counter: the household spends again once its earnings pass what it spent."""
        return max(self.earned - self.spent, Decimal("0"))


def _earned(household: Household, scheme: Scheme, rule: StarRule) -> Decimal:
    if rule.spendable_basis == SpendableBasis.TOTAL:
        totals = annual_totals(scheme, Household.objects.filter(pk=household.pk))
        return totals.get(household.pk, Decimal("0"))
    net = Entry.objects.approved().filter(household=household, scheme=scheme).aggregate(s=Sum("points"))["s"]
    return net or Decimal("0")


def spendable_balance(household: Household, *, year: int) -> Balance:
    """Derived, never stored: spending does not lower the score the ranking uses (seed 4: 累计使用, 不清零).

    The year's scheme says what counts (the net of bonuses and penalties, or the total score) and whether the
    balance starts again each year; otherwise every earlier year's active or closed schemes count too.
    """
    schemes = list(
        Scheme.objects.filter(township_id=household.township_id, year__lte=year)
        .exclude(state=SchemeState.DRAFT)
        .prefetch_related("categories")
    )
    rules = {rule.scheme_id: rule for rule in StarRule.objects.filter(scheme__in=schemes)}
    rules |= {s.pk: star_rule(s) for s in schemes if s.pk not in rules}  # none yet: the inherited or defaults
    resets = any(rules[s.pk].spendable_resets_yearly for s in schemes if s.year == year)
    counted = [s for s in schemes if s.year == year] if resets else schemes
    earned = sum((_earned(household, scheme, rules[scheme.pk]) for scheme in counted), Decimal("0"))
    redemptions = Redemption.objects.filter(household=household)
    redemptions = redemptions.filter(year=year) if resets else redemptions.filter(year__lte=year)
    spent = redemptions.aggregate(s=Sum("points"))["s"] or Decimal("0")
    return Balance(earned=earned, spent=spent)


def active_redemptions(year: int) -> QuerySet[Redemption]:
    """The year's redemptions that stand: not a cancellation and not cancelled."""
    return Redemption.objects.filter(year=year, reverses__isnull=True, reversed_by__isnull=True)


@dataclass(frozen=True)
class ShopParticipation:
    """Who took part in the supermarket in a year, among the households taking part in the scheme (seed 3)."""

    households_redeemed: int = 0
    households_taking_part: int = 0
    residents_redeemed: int = 0
    residents_taking_part: int = 0

    @staticmethod
    def _percent(part: int, whole: int) -> Decimal:
        if not whole:
            return Decimal("0.0")
        return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def household_share(self) -> Decimal:
        return self._percent(self.households_redeemed, self.households_taking_part)

    @property
    def resident_share(self) -> Decimal:
        return self._percent(self.residents_redeemed, self.residents_taking_part)


def shop_participation(*, year: int, village_ids: Iterable[int]) -> dict[int, ShopParticipation]:
    """{village id: participation}: households (and their residents) that redeemed in the year. Two queries."""
    village_ids = list(village_ids)
    households = Household.objects.taking_part().filter(village_id__in=village_ids).order_by()

    def counts(queryset) -> dict[int, tuple[int, int]]:
        rows = queryset.values("village_id").annotate(
            n=Count("pk", distinct=True), residents=Count("members", distinct=True)
        )
        return {row["village_id"]: (row["n"], row["residents"]) for row in rows}

    everyone = counts(households)
    redeemed = counts(households.filter(Exists(active_redemptions(year).filter(household=OuterRef("pk")))))
    result = {}
    for village_id in village_ids:
        n, residents = everyone.get(village_id, (0, 0))
        n_redeemed, residents_redeemed = redeemed.get(village_id, (0, 0))
        result[village_id] = ShopParticipation(n_redeemed, n, residents_redeemed, residents)
    return result


def low_stock_products(shop: Shop) -> QuerySet[Product]:
    return shop.products.filter(active=True, stock__lte=F("low_stock"))


CARD_PREFIX = "JIFEN-HH"


def card_code(household: Household) -> str:
    """The text of the QR code on a household's card: the township and the household number."""
    return f"{CARD_PREFIX}:{household.township.slug}:{household.number}"


def find_households(households: QuerySet[Household], query: str) -> QuerySet[Household]:
    """The counter's search: by household number, a resident's name or mobile, or the card's QR text."""
    query = query.strip()
    if not query:
        return households.none()
    if query.upper().startswith(CARD_PREFIX + ":"):
        parts = query.split(":", 2)
        if len(parts) != 3:
            return households.none()
        return households.filter(township__slug=parts[1], number=parts[2])
    by_member = Q(members__name__icontains=query) | Q(members__mobile=query)
    return (
        households.filter(Q(number=query) | Q(number__istartswith=query) | by_member)
        .distinct()
        .order_by("number")
    )


# What a member sees (pages and API alike) ---------------------------------------------------------------------


def visible_to(
    membership, queryset: QuerySet, village_field: str, *, household_record: bool = False
) -> QuerySet:
    """The rows of the villages the member sees; a household's own records are none of a county viewer's business."""
    if household_record and not sees_household_records(membership):
        return queryset.none()
    return restrict_to_visible(membership, queryset, village_field=village_field)


def budgets_visible_to(membership) -> QuerySet[Budget]:
    return visible_to(membership, Budget.objects.all(), "village")


def shops_visible_to(membership) -> QuerySet[Shop]:
    return visible_to(membership, Shop.objects.all(), "village")


def products_visible_to(membership) -> QuerySet[Product]:
    return visible_to(membership, Product.objects.all(), "shop__village")


def redemptions_visible_to(membership) -> QuerySet[Redemption]:
    return visible_to(membership, Redemption.objects.all(), "shop__village", household_record=True)


def allocations_visible_to(membership) -> QuerySet[RewardAllocation]:
    return visible_to(membership, RewardAllocation.objects.all(), "budget__village", household_record=True)


def star_results_visible_to(membership, run: StarRun) -> QuerySet[StarResult]:
    return visible_to(membership, StarResult.objects.filter(run=run), "village", household_record=True)
