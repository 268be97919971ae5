"""The figures the dashboards are made of: the year's scheme, the scores grouped in the database, households,
rounds, objections, stars and the quarters' trend (each a bounded number of queries)."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractQuarter
from django.utils import timezone
from django.utils.functional import Promise

from households.models import TAKING_PART_STATUSES, Household, Participation
from review.models import Objection, ObjectionState, ReviewRound, RoundKind, RoundState
from review.selectors import days_left
from rewards.models import StarResult, StarRun
from rewards.selectors import (
    current_run,
    published_run,
)
from scoring.models import Entry, EntryState, Scheme, SchemeState
from scoring.selectors import score_statement

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
    order: dict[str, int] = {SchemeState.ACTIVE: 0, SchemeState.CLOSED: 1, SchemeState.DRAFT: 2}
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
# the annual scores (scoring.selectors.score_statement), grouped in the database.
GROUPED = """
    SELECT h.village_id, h.area_id, FLOOR(t.total / %s) * %s AS bucket, COUNT(*), SUM(t.total) {category_sums}
    FROM ({scores}) t
    JOIN households_household h ON h.id = t.id
    GROUP BY h.village_id, h.area_id, bucket
"""


def score_groups(scheme: Scheme, village_ids: list[int] | None = None) -> dict[GroupKey, Scores]:
    """{(village, area, bucket): Scores} of the households taking part (all villages, or these): one query."""
    households = Household.objects.taking_part()
    if village_ids is not None:
        households = households.filter(village_id__in=list(village_ids))
    scores = score_statement(scheme, households, only_their_entries=village_ids is not None)
    category_sums = "".join(f", SUM(t.s{i})" for i in range(len(scores.categories)))
    groups: dict[GroupKey, Scores] = {}
    with connection.cursor() as cursor:
        sql = GROUPED.format(category_sums=category_sums, scores=scores.sql)
        cursor.execute(sql, [BUCKET, BUCKET, *scores.params])
        for village_id, area_id, bucket, n, total_sum, *category_sums_row in cursor.fetchall():
            group = Scores(n=n, total_sum=total_sum)
            for category, value in zip(scores.categories, category_sums_row, strict=True):
                group.category_sums[category.pk] = value
            group.buckets[Decimal(bucket)] = n
            groups[(village_id, area_id, Decimal(bucket))] = group
    return groups


def roll_up(groups: dict[GroupKey, Scores], by: str) -> dict[int, Scores]:
    """Scores by village (`by="village"`) or by area (`by="area"`)."""
    rolled: dict[int, Scores] = defaultdict(Scores)
    for (village_id, area_id, _bucket), scores in groups.items():
        rolled[village_id if by == "village" else area_id].add(scores)
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
    kind_label: str | Promise  # translated when shown
    period: str
    state: str
    state_label: str | Promise
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


@dataclass
class LedgerFigures:
    """A village's ledger in the scheme's year: households with at least one approved entry, points given (the
    bonuses approved) and taken (the penalties, as a negative number)."""

    households_with_entries: int = 0
    given: Decimal = Decimal("0")
    taken: Decimal = Decimal("0")

    def add(self, other: LedgerFigures) -> None:
        self.households_with_entries += other.households_with_entries
        self.given += other.given
        self.taken += other.taken


def ledger_figures(scheme: Scheme, village_ids: list[int]) -> dict[int, LedgerFigures]:
    """{village id (the village at the time): LedgerFigures} of the scheme's approved entries: one query."""
    rows = (
        Entry.objects.filter(scheme=scheme, state=EntryState.APPROVED, village_id__in=list(village_ids))
        .order_by()
        .values("village_id")
        .annotate(
            households=Count("household_id", distinct=True),
            given=Sum("points", filter=Q(points__gt=0)),
            taken=Sum("points", filter=Q(points__lt=0)),
        )
    )
    return {
        row["village_id"]: LedgerFigures(
            row["households"], row["given"] or Decimal("0"), row["taken"] or Decimal("0")
        )
        for row in rows
    }
