"""The figures of the oversight dashboards (township, village, county), read from the other apps' tables.

Every figure is a database aggregate: the dashboard runs a fixed number of queries whatever the number of villages
or households (tests/oversight/test_queries.py). Call inside the township scope (the county view opens one scope per
township). Nothing here names a household except `households_losing_most` and `open_alerts` (the clerk's village
page), which county viewers never get.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import CharField, Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractQuarter
from django.utils import timezone

from households.models import TAKING_PART_STATUSES, Household, Participation, Resident, Village
from review.models import Objection, ObjectionState, ReviewRound, RoundKind, RoundState
from review.selectors import days_left
from rewards.models import StarResult, StarRun
from rewards.selectors import (
    BudgetFigures,
    ShopParticipation,
    budget_figures,
    current_run,
    published_run,
    shop_participation,
)
from scoring.models import Category, Entry, EntryState, Scheme, SchemeState
from scoring.selectors import annual_totals_statement

BUCKET = Decimal("10")  # width of a bar of the distribution histogram, in points
ONE_DECIMAL = Decimal("0.1")
QUARTERS = (1, 2, 3, 4)
TOP_LOSERS = 10


def one_decimal(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage with one decimal (None when there is nothing to divide by)."""
    return one_decimal(Decimal(100) * part / whole) if whole else None


# The year and its scheme ---------------------------------------------------------------------------------------


def scheme_years() -> list[int]:
    return sorted(set(Scheme.objects.values_list("year", flat=True)), reverse=True)


def default_year() -> int | None:
    """The latest year with an active scheme, else the latest year with any scheme."""
    active = Scheme.objects.filter(state=SchemeState.ACTIVE).order_by("-year").values_list("year", flat=True)
    return active.first() or Scheme.objects.order_by("-year").values_list("year", flat=True).first()


def scheme_of_year(year: int) -> Scheme | None:
    """The scheme of the year the figures use: the active one, else a closed one, else the newest draft."""
    order = {SchemeState.ACTIVE: 0, SchemeState.CLOSED: 1, SchemeState.DRAFT: 2}
    schemes = sorted(Scheme.objects.filter(year=year), key=lambda s: (order.get(s.state, 3), -s.pk))
    return schemes[0] if schemes else None


# Scores: one aggregate over the ledger, grouped by village, area and histogram bucket ---------------------------


@dataclass
class Scores:
    """Households scored (taking part), the sum of their totals and of each category, and the histogram."""

    n: int = 0
    total_sum: Decimal = Decimal("0")
    category_sums: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    buckets: Counter = field(default_factory=Counter)  # lower bound of the bucket -> households

    def add(self, other: Scores) -> None:
        self.n += other.n
        self.total_sum += other.total_sum
        for key, value in other.category_sums.items():
            self.category_sums[key] += value
        self.buckets.update(other.buckets)

    @property
    def average(self) -> Decimal | None:
        return one_decimal(self.total_sum / self.n) if self.n else None

    def category_average(self, category_id: int) -> Decimal | None:
        return one_decimal(self.category_sums.get(category_id, Decimal("0")) / self.n) if self.n else None


GroupKey = tuple[int, int, Decimal]  # (village id, area id, bucket lower bound)


# The scores of the households taking part, grouped by village, area and bucket of the total: the one statement of
# the annual scores (scoring.selectors.annual_totals_statement), grouped in the database.
GROUPED = """
    SELECT h.village_id, h.area_id, FLOOR(t.total / %s) * %s AS bucket, COUNT(*), SUM(t.total) {category_sums}
    FROM ({scores}) t
    JOIN households_household h ON h.id = t.id
    GROUP BY h.village_id, h.area_id, bucket
"""


def score_groups(scheme: Scheme, village_ids: list[int] | None = None) -> dict[GroupKey, Scores]:
    """{(village, area, bucket): Scores} of the households taking part (all villages, or these): one query."""
    categories = list(scheme.categories.all())
    households = Household.objects.taking_part()
    if village_ids is not None:
        households = households.filter(village_id__in=list(village_ids))
    scores, params = annual_totals_statement(scheme, households, only_their_entries=village_ids is not None)
    category_sums = "".join(f", SUM(t.s{i})" for i in range(len(categories)))
    groups: dict[GroupKey, Scores] = {}
    with connection.cursor() as cursor:
        cursor.execute(GROUPED.format(category_sums=category_sums, scores=scores), [BUCKET, BUCKET, *params])
        for village_id, area_id, bucket, n, total_sum, *category_sums_row in cursor.fetchall():
            group = Scores(n=n, total_sum=total_sum)
            for category, value in zip(categories, category_sums_row, strict=True):
                group.category_sums[category.pk] = value
            group.buckets[Decimal(bucket)] = n
            groups[(village_id, area_id, Decimal(bucket))] = group
    return groups


def roll_up(groups: dict[GroupKey, Scores], by: str) -> dict[int, Scores]:
    """Scores by village (`by="village"`) or by area (`by="area"`)."""
    index = 0 if by == "village" else 1
    rolled: dict[int, Scores] = defaultdict(Scores)
    for key, scores in groups.items():
        rolled[key[index]].add(scores)
    return dict(rolled)


def everyone(groups: dict[GroupKey, Scores]) -> Scores:
    scores = Scores()
    for group in groups.values():
        scores.add(group)
    return scores


# Households, rounds, objections, stars, trend ------------------------------------------------------------------


@dataclass
class Counts:
    households: int = 0
    eligible: int = 0
    taking_part: int = 0

    @property
    def share(self) -> Decimal | None:
        """Households taking part, as a share of the eligible ones."""
        return percent(self.taking_part, self.eligible)

    def add(self, other: Counts) -> None:
        self.households += other.households
        self.eligible += other.eligible
        self.taking_part += other.taking_part


def household_counts(group_by: str, village_ids: list[int] | None = None) -> dict[int, Counts]:
    """{village or area id: Counts}: one query. Eligible: every participation but "not eligible"."""
    households = Household.objects.all()
    if village_ids is not None:
        households = households.filter(village_id__in=village_ids)
    rows = (
        households.order_by()
        .values(group_by)
        .annotate(
            n=Count("pk"),
            eligible=Count("pk", filter=~Q(participation=Participation.NOT_ELIGIBLE)),
            taking_part=Count("pk", filter=Q(participation__in=TAKING_PART_STATUSES)),
        )
    )
    return {row[group_by]: Counts(row["n"], row["eligible"], row["taking_part"]) for row in rows}


@dataclass
class RoundStatus:
    village_id: int
    kind: str
    kind_label: str
    period: str
    state: str
    state_label: str
    days_left: int | None  # on notice: whole days until the notice ends
    approved_at: datetime.datetime | None


def round_statuses(scheme: Scheme, village_ids: list[int] | None = None) -> dict[int, list[RoundStatus]]:
    """{village id: its review rounds of the scheme, quarters first, in period order}: one query. Notice batches
    of directly recorded entries are not review rounds (the review pages list both)."""
    rounds = ReviewRound.objects.filter(scheme=scheme).exclude(kind=RoundKind.BATCH)
    if village_ids is not None:
        rounds = rounds.filter(village_id__in=village_ids)
    now = timezone.now()
    grouped: dict[int, list[RoundStatus]] = defaultdict(list)
    for r in rounds.order_by("village_id", "-kind", "period", "pk"):  # "quarterly" before "annual"
        grouped[r.village_id].append(
            RoundStatus(
                village_id=r.village_id,
                kind=r.kind,
                kind_label=RoundKind(r.kind).label,
                period=r.period,
                state=r.state,
                state_label=RoundState(r.state).label,
                days_left=days_left(r.notice_ends_at, now) if r.state == RoundState.ON_NOTICE else None,
                approved_at=r.approved_at,
            )
        )
    return dict(grouped)


@dataclass
class ObjectionCounts:
    filed: int = 0
    upheld: int = 0
    open: int = 0

    def add(self, other: ObjectionCounts) -> None:
        self.filed += other.filed
        self.upheld += other.upheld
        self.open += other.open


def objection_counts(
    scheme: Scheme, group_by: str = "round__village_id", village_ids: list[int] | None = None
) -> dict[int, ObjectionCounts]:
    """{village (or area, with group_by="household__area_id") id: objections filed, upheld, open}: one query."""
    objections = Objection.objects.filter(round__scheme=scheme)
    if village_ids is not None:
        objections = objections.filter(round__village_id__in=village_ids)
    rows = (
        objections.order_by()
        .values(group_by)
        .annotate(
            filed=Count("pk"),
            upheld=Count("pk", filter=Q(state=ObjectionState.UPHELD)),
            open=Count("pk", filter=Q(state=ObjectionState.OPEN)),
        )
    )
    return {row[group_by]: ObjectionCounts(row["filed"], row["upheld"], row["open"]) for row in rows}


@dataclass
class StarCounts:
    five: int = 0
    four: int = 0
    three: int = 0

    @property
    def starred(self) -> int:
        return self.five + self.four + self.three

    def add(self, other: StarCounts) -> None:
        self.five += other.five
        self.four += other.four
        self.three += other.three


def star_run_of(scheme: Scheme) -> StarRun | None:
    """The published run if there is one, else the current proposed run (the page says which)."""
    return published_run(scheme) or current_run(scheme)


def star_counts(
    run: StarRun | None, group_by: str = "village_id", village_ids: list[int] | None = None
) -> dict[int, StarCounts]:
    """{village (or area, group_by="household__area_id") id: five-, four- and three-star households}: one query."""
    if run is None:
        return {}
    results = StarResult.objects.filter(run=run)
    if village_ids is not None:
        results = results.filter(village_id__in=village_ids)
    rows = (
        results.order_by()
        .values(group_by)
        .annotate(
            five=Count("pk", filter=Q(stars=5)),
            four=Count("pk", filter=Q(stars=4)),
            three=Count("pk", filter=Q(stars=3)),
        )
    )
    return {row[group_by]: StarCounts(row["five"], row["four"], row["three"]) for row in rows}


def quarter_net(
    scheme: Scheme, group_by: str = "village_id", village_ids: list[int] | None = None
) -> dict[int, dict[int, Decimal]]:
    """{village id (the village at the time) or area id: {quarter: net approved points}} of the households taking
    part (the ones the averages divide by): one query."""
    entries = Entry.objects.filter(
        scheme=scheme, state=EntryState.APPROVED, household__participation__in=TAKING_PART_STATUSES
    )
    if village_ids is not None:
        entries = entries.filter(village_id__in=village_ids)
    if group_by == "area_id":
        group_by = "household__area_id"
    rows = (
        entries.order_by()
        .annotate(quarter=ExtractQuarter("occurred_on"))
        .values(group_by, "quarter")
        .annotate(net=Sum("points"))
    )
    grouped: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for row in rows:
        grouped[row[group_by]][row["quarter"]] = row["net"]
    return dict(grouped)


# The dashboards ------------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Everything the dashboard shows for one village, one area or a whole township."""

    key: int | None
    name: str
    counts: Counts = field(default_factory=Counts)
    scores: Scores = field(default_factory=Scores)
    stars: StarCounts = field(default_factory=StarCounts)
    objections: ObjectionCounts = field(default_factory=ObjectionCounts)
    rounds: list[RoundStatus] = field(default_factory=list)
    quarters: dict[int, Decimal] = field(default_factory=dict)  # quarter -> net approved points
    budget: BudgetFigures | BudgetSum | None = None  # villages: rewards' figures; a township: their sum
    shop: ShopParticipation | None = None

    @property
    def rounds_approved(self) -> int:
        return sum(1 for r in self.rounds if r.state == RoundState.APPROVED)

    def quarter_average(self, quarter: int) -> Decimal | None:
        """Net approved points of the quarter per household taking part."""
        if not self.counts.taking_part:
            return None
        return one_decimal(self.quarters.get(quarter, Decimal("0")) / self.counts.taking_part)

    @property
    def quarter_averages(self) -> list[Decimal | None]:
        return [self.quarter_average(q) for q in QUARTERS]

    def category_averages(self, categories: list[Category]) -> list[Decimal | None]:
        return [self.scores.category_average(c.pk) for c in categories]

    def weakest_category(self, categories: list[Category]) -> Category | None:
        """The category furthest below its base on average (the one that drags the group down)."""
        gaps = [
            (average - c.base_score, c)
            for c, average in zip(categories, self.category_averages(categories), strict=True)
            if average is not None
        ]
        gaps = [gap for gap in gaps if gap[0] < 0]
        return min(gaps, key=lambda gap: gap[0])[1] if gaps else None


@dataclass
class Dashboard:
    year: int
    scheme: Scheme | None
    categories: list[Category]
    base_total: Decimal
    star_run: StarRun | None
    rows: list[Figures]  # one per village (township, county) or per area (village page)
    whole: Figures  # the sum of the rows

    @property
    def star_run_published(self) -> bool:
        return self.star_run is not None and self.star_run.state == "published"

    @property
    def histogram(self) -> list[tuple[Decimal, int]]:
        """(lower bound, households) for every bucket from the lowest to the highest, empty ones included."""
        buckets = self.whole.scores.buckets
        if not buckets:
            return []
        low, high = min(buckets), max(buckets)
        steps = int((high - low) / BUCKET)
        return [(low + BUCKET * i, buckets.get(low + BUCKET * i, 0)) for i in range(steps + 1)]

    @property
    def ranking(self) -> list[Figures]:
        scored = [row for row in self.rows if row.scores.n]
        return sorted(scored, key=lambda row: (-row.scores.average, row.name))

    @property
    def all_rounds(self) -> list[RoundStatus]:
        """Every round of the villages shown (a village page: the village's own, its areas have none)."""
        return self.whole.rounds


def _empty(year: int, rows: list[Figures]) -> Dashboard:
    return Dashboard(year, None, [], Decimal("0"), None, rows, Figures(None, ""))


def sum_rows(rows: list[Figures], name: str) -> Figures:
    whole = Figures(None, name)
    for row in rows:
        whole.counts.add(row.counts)
        whole.scores.add(row.scores)
        whole.stars.add(row.stars)
        whole.objections.add(row.objections)
        whole.rounds += row.rounds
        for quarter, net in row.quarters.items():
            whole.quarters[quarter] = whole.quarters.get(quarter, Decimal("0")) + net
    return whole


def township_dashboard(
    villages: QuerySet[Village], year: int, *, name: str = "", whole_township: bool = False
) -> Dashboard:
    """Per village of `villages` (the ones the member sees): a fixed number of queries for any size.

    `whole_township`: the villages are all of the township's, so the ledger is read without a village filter.
    """
    village_list = list(villages.order_by("name", "pk"))
    ids = [v.pk for v in village_list]
    rows = {v.pk: Figures(v.pk, v.name) for v in village_list}
    scheme = scheme_of_year(year)
    if scheme is None:
        return _empty(year, list(rows.values()))
    categories = list(scheme.categories.all())
    run = star_run_of(scheme)
    for village_id, counts in household_counts("village_id", ids).items():
        rows[village_id].counts = counts
    for village_id, scores in roll_up(
        score_groups(scheme, None if whole_township else ids), "village"
    ).items():
        if village_id in rows:
            rows[village_id].scores = scores
    for village_id, stars in star_counts(run, "village_id", ids).items():
        rows[village_id].stars = stars
    for village_id, objections in objection_counts(scheme, "round__village_id", ids).items():
        rows[village_id].objections = objections
    for village_id, rounds in round_statuses(scheme, ids).items():
        rows[village_id].rounds = rounds
    for village_id, quarters in quarter_net(scheme, "village_id", ids).items():
        if village_id in rows:
            rows[village_id].quarters = quarters
    _add_rewards(rows, year, ids)
    figures = list(rows.values())
    whole = sum_rows(figures, name)
    _add_rewards_whole(whole, figures)
    return Dashboard(
        year, scheme, categories, sum((c.base_score for c in categories), Decimal("0")), run, figures, whole
    )


def village_dashboard(village: Village, year: int) -> Dashboard:
    """The same figures for one village, by area (rounds and supermarket figures are the village's)."""
    areas = list(village.areas.order_by("name", "pk"))
    rows = {a.pk: Figures(a.pk, a.name) for a in areas}
    ids = [village.pk]
    scheme = scheme_of_year(year)
    if scheme is None:
        return _empty(year, list(rows.values()))
    categories = list(scheme.categories.all())
    run = star_run_of(scheme)
    for area_id, counts in household_counts("area_id", ids).items():
        rows[area_id].counts = counts
    for area_id, scores in roll_up(score_groups(scheme, ids), "area").items():
        rows[area_id].scores = scores
    for area_id, stars in star_counts(run, "household__area_id", ids).items():
        rows[area_id].stars = stars
    for area_id, objections in objection_counts(scheme, "household__area_id", ids).items():
        rows[area_id].objections = objections
    for area_id, quarters in quarter_net(scheme, "area_id", ids).items():
        if area_id in rows:
            rows[area_id].quarters = quarters
    figures = list(rows.values())
    whole = sum_rows(figures, village.name)
    whole.key = village.pk
    whole.rounds = round_statuses(scheme, ids).get(village.pk, [])
    village_rows = {village.pk: whole}
    _add_rewards(village_rows, year, ids)
    return Dashboard(
        year, scheme, categories, sum((c.base_score for c in categories), Decimal("0")), run, figures, whole
    )


def _add_rewards(rows: dict[int, Figures], year: int, village_ids: list[int]) -> None:
    """Supermarket participation and budget from the rewards app (a bounded number of queries)."""
    budgets = budget_figures(year=year, village_ids=village_ids)
    shops = shop_participation(year=year, village_ids=village_ids)
    for village_id, row in rows.items():
        row.budget = budgets.get(village_id)
        row.shop = shops.get(village_id)


@dataclass
class BudgetSum:
    """The villages' budgets added up, in yuan (each village's limit is its own funding capped per resident)."""

    funded: Decimal = Decimal("0")
    limit: Decimal = Decimal("0")
    committed: Decimal = Decimal("0")
    spent: Decimal = Decimal("0")
    left: Decimal = Decimal("0")


def _add_rewards_whole(whole: Figures, rows: list[Figures]) -> None:
    """The township's supermarket and budget figures: the villages' added up."""
    budgets = [row.budget for row in rows if row.budget is not None]
    shops = [row.shop for row in rows if row.shop is not None]
    if budgets:
        whole.budget = BudgetSum(**{name: _sum(budgets, name) for name in BudgetSum.__dataclass_fields__})
    if shops:
        names = (
            "households_redeemed",
            "households_taking_part",
            "residents_redeemed",
            "residents_taking_part",
        )
        whole.shop = type(shops[0])(*(_sum(shops, name) for name in names))


def _sum(items, name: str):
    return sum((getattr(item, name) for item in items), start=type(getattr(items[0], name))())


# The clerk's village page: households that lost most this quarter, and threshold alerts ------------------------


def current_quarter(year: int) -> int:
    today = timezone.localdate()
    return (today.month - 1) // 3 + 1 if today.year == year else 4


def households_losing_most(scheme: Scheme, village: Village, quarter: int, limit: int = TOP_LOSERS):
    """The households of the village with the most points deducted (approved) in the quarter: one query."""
    heads = Resident.objects.filter(household=OuterRef("pk"), is_head=True).values("name")[:1]
    quarter_entries = Q(
        entries__scheme=scheme,
        entries__state=EntryState.APPROVED,
        entries__occurred_on__quarter=quarter,
    )
    return list(
        Household.objects.filter(village=village)
        .annotate(
            lost=Sum("entries__points", filter=quarter_entries & Q(entries__points__lt=0)),
            net=Sum("entries__points", filter=quarter_entries),
            head_name=Subquery(heads, output_field=CharField()),
        )
        .filter(lost__lt=0)
        .select_related("area")
        .order_by("lost", "number")[:limit]
        .values("pk", "number", "head_name", "area__name", "lost", "net")
    )


def open_alerts(alerts: QuerySet, village: Village) -> list:
    """The village's threshold alerts (unacknowledged first), from `scoring.selectors.alerts_visible_to`."""
    return list(
        alerts.filter(household__village=village).annotate(village_name=F("household__village__name"))[:50]
    )
