"""Read queries for scores and passbooks, shared by pages, API, jobs and benchmarks.

The score rule lives in one SQL statement (`score_statement`): for each category a filtered SUM of the counted
points (the balances kept with the ledger, scoring_balance: issue 19) plus the base, clamped with GREATEST/LEAST, then summed with the role's change of the base — no
per-household loop in Python. Every reader builds on it: `household_scores` (pages, passbook, notices),
`ScoreList` (a sorted, paginated list), `annual_totals` (jobs), and in the database the star rating
(rewards.services.stars) and the dashboards (oversight.selectors). tests/scoring/oracle.py keeps the same rule in
the ORM as the tests' oracle.
"""

import datetime
from decimal import Decimal
from typing import NamedTuple, cast

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.permissions import restrict_to_visible
from households.models import Area, Household, HouseholdQuerySet, Membership, Resident, Village
from households.models import HouseholdStatus as Status
from households.selectors import households_visible_to

from .balances import counted_rows
from .models import Account, Category, Entry, EntryState, Evidence, Item, Scheme, SchemeState, ThresholdAlert

SCORE = DecimalField(max_digits=10, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=SCORE)


def category_key(category: Category) -> str:
    return f"category_{category.pk}"


def base_total(scheme: Scheme, categories: list[Category] | None = None) -> Decimal:
    """The sum of the scheme's base scores (`categories`: the scheme's, when the caller has them in hand)."""
    categories = list(scheme.categories.all()) if categories is None else categories
    return sum((c.base_score for c in categories), Decimal("0"))


# The rule: one statement --------------------------------------------------------------------------------------


# The statement's subject: households (scheme 1 and every household page) or accounts of any kind (scheme 4's
# rankings and passbooks). An entry names both when its account is a household's, so the two agree.
SUBJECTS = {
    "household": ("household_id", "households_household"),
    "account": ("account_id", "scoring_account"),
}


def _score_sql(
    categories: list[Category],
    households_sql: str,
    counted_rows: str,
    *,
    with_roles: bool,
    subject: str = "household",
) -> str:
    """The statement's text: the counted rows (`balances.counted_rows`) summed per household with one FILTER per category,
    then clamped per category (`s0`, `s1`, …) and added with the role's change of the base (`total`) per
    household."""
    sums = [f"SUM(e.points) FILTER (WHERE e.category_id = %s) AS c{i}" for i in range(len(categories))]
    # Base, floor and ceiling per category come as parameters; GREATEST/LEAST ignore a NULL floor or ceiling.
    scores = [
        f"LEAST(GREATEST(%s + COALESCE(counted.c{i}, 0), %s::numeric), %s::numeric) AS s{i}"
        for i in range(len(categories))
    ]
    table = SUBJECTS[subject][1]
    role_join, role_term = "", "0"
    if with_roles:
        role_join = (
            "LEFT JOIN scoring_roleassignment ra ON ra.household_id = h.id AND ra.scheme_id = %s "
            "LEFT JOIN scoring_rolerule r ON r.id = ra.role_id"
        )
        role_term = "COALESCE(r.base_score - %s, 0)"
    total = " + ".join([*(f"s{i}" for i in range(len(categories))), "role_delta"])
    # Only placeholders and this module's own SQL are composed here; every value is a parameter.
    return f"""
        WITH counted AS (
            SELECT e.subject_id, {", ".join(sums) or "0 AS none"}
            FROM ({counted_rows}) e
            GROUP BY e.subject_id
        ), scored AS (
            SELECT h.id {"".join(", " + score for score in scores)}, {role_term}::numeric AS role_delta
            FROM {table} h
            LEFT JOIN counted ON counted.subject_id = h.id
            {role_join}
            WHERE h.township_id = %s AND h.id IN ({households_sql})
        )
        SELECT *, ({total}) AS total FROM scored
    """  # noqa: S608


class Statement(NamedTuple):
    """The score statement's SQL and parameters, and the categories of its columns `s0`, `s1`, … in order."""

    sql: str
    params: list
    categories: list[Category]


def score_statement(
    scheme: Scheme,
    households: QuerySet[Household] | QuerySet[Account],
    *,
    categories: list[Category] | None = None,
    period: str | None = None,
    year: int | None = None,
    also_counting: QuerySet[Entry] | None = None,
    only_their_entries: bool = False,
    until: datetime.date | None = None,
) -> Statement:
    """The one statement of the score rule: one row per household of the scheme's township among `households`,
    with columns `id`, `s0`, `s1`, … (each category's clamped score, in the order of `categories`), `role_delta`
    and `total`. For callers that read it (`household_scores`, `ScoreList`, `annual_totals`) or build on it in
    the database (the star rating ranks it, the dashboards group it).

    - `categories`: the categories to score (default: the scheme's, in its order). Only the whole scheme adds the
      change a household's role makes to the base total: a role's base changes the total, not a subset of it.
    - `period` (e.g. "2026-Q1"): only that period's entries count; each category still starts at its base.
    - `also_counting`: entries that count as if approved while still proposed (a round's, for its notice); a
      withdrawn entry never counts.
    - `only_their_entries`: sum only the households' own entries (a village, a page, one household) instead of
      the whole township's ledger (the township's jobs, where the filter costs more than it saves).
    - `households` may be accounts instead (of any kind): the rows are then accounts, scored by their entries,
      with no role (roles are households'); `year` counts only that year's entries (a cumulative scheme ranked by
      the year).
    - `until`: only entries that happened on or before that day count (a month's report: the balance at its end).
    """
    subject = "account" if households.model is Account else "household"
    whole_scheme = categories is None
    categories = list(scheme.categories.all()) if categories is None else list(categories)
    households = households.filter(township_id=scheme.township_id).order_by()
    # A household's role changes its base total (scoring.models.roles): joined whenever the whole scheme is scored,
    # a household with no role, or a role with no base of its own, changing nothing (no query first to ask whether
    # the scheme has such roles: one query fewer on every page that shows a score).
    with_roles = subject == "household" and whole_scheme
    subquery, sub_params = _ids(households)
    rows_sql, rows_params = counted_rows(
        SUBJECTS[subject][0],
        township_id=scheme.township_id,
        scheme_id=scheme.pk,
        period=period,
        year=year,
        until=until,
        also_counting=_ids(also_counting) if also_counting is not None else None,
        their_entries=(subquery, sub_params) if only_their_entries else None,
    )
    sql = _score_sql(categories, subquery, rows_sql, with_roles=with_roles, subject=subject)
    params: list = [category.pk for category in categories]
    params += rows_params
    for category in categories:
        params += [category.base_score, category.floor, category.ceiling]
    if with_roles:
        params += [base_total(scheme, categories), scheme.pk]
    params += [scheme.township_id, *sub_params]
    return Statement(sql, params, categories)


def _ids(queryset: QuerySet) -> tuple[str, tuple]:
    """The SQL of the queryset's ids (a query that is empty by construction, e.g. `pk__in=[]`, selects none)."""
    try:
        return queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return "SELECT NULL::bigint WHERE false", ()


# Its readers --------------------------------------------------------------------------------------------------


class Score(NamedTuple):
    """A household's scores: each category's clamped score (by category id), the role's change of the base total
    (0 unless the whole scheme is scored), and the total."""

    categories: dict[int, Decimal]
    role_delta: Decimal
    total: Decimal


def household_scores(
    scheme: Scheme,
    households: QuerySet[Household],
    *,
    categories: list[Category] | None = None,
    period: str | None = None,
    also_counting: QuerySet[Entry] | None = None,
    until: datetime.date | None = None,
) -> dict[int, Score]:
    """{household id: Score} for a few households (a page, a village, one household): one statement, over their
    own entries. See `score_statement` for the arguments."""
    statement = score_statement(
        scheme,
        households,
        categories=categories,
        period=period,
        also_counting=also_counting,
        only_their_entries=True,
        until=until,
    )
    return _read_scores(statement)


def _read_scores(statement: Statement) -> dict[int, Score]:
    """{row id: Score} of a statement (households' or accounts')."""
    ids = [c.pk for c in statement.categories]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        return {
            row_id: Score(dict(zip(ids, values, strict=True)), role_delta, total)
            for row_id, *values, role_delta, total in cursor.fetchall()
        }


def annual_totals(scheme: Scheme, households: QuerySet[Household] | None = None) -> dict[int, Decimal]:
    """{household id: annual total} for the households taking part (default: all of the township's): the
    township's jobs, over the whole township's ledger (measured against a bare GROUP BY in bench/scores.py)."""
    households = Household.objects.taking_part() if households is None else households
    statement = score_statement(scheme, households)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, total FROM ({statement.sql}) t", statement.params)  # noqa: S608
        return dict(cursor.fetchall())


RANKED_BY_TOTAL = """
    SELECT h.* {scores}, t.role_delta AS role_base_delta, t.total
    FROM ({statement}) t
    JOIN households_household h ON h.id = t.id
    ORDER BY t.total DESC, h.number, h.id
    LIMIT %s OFFSET %s
"""


class ScoreList:
    """The households with their scores, highest total first (then by number), for a paginator: `count()` is one
    query, each slice one statement that returns the page's households with `category_<id>`, `role_base_delta`
    and `total` set, whatever the page."""

    def __init__(self, scheme: Scheme, households: QuerySet[Household], *, period: str | None = None):
        self.scheme, self.period = scheme, period
        self.households = households.filter(township_id=scheme.township_id)

    def count(self) -> int:
        return self.households.count()

    def __getitem__(self, index: slice) -> list[Household]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("a ScoreList is read by pages: slice it")
        start = index.start or 0
        stop = self.count() if index.stop is None else index.stop
        if stop <= start:
            return []
        statement = score_statement(self.scheme, self.households, period=self.period, only_their_entries=True)
        scores = "".join(f", t.s{i} AS {category_key(c)}" for i, c in enumerate(statement.categories))
        sql = RANKED_BY_TOTAL.format(scores=scores, statement=statement.sql)
        return list(Household.objects.raw(sql, [*statement.params, stop - start, start]))


def account_scores(
    scheme: Scheme,
    accounts: QuerySet[Account],
    *,
    year: int | None = None,
    categories: list[Category] | None = None,
    also_counting: QuerySet[Entry] | None = None,
) -> dict[int, Score]:
    """{account id: Score} for a few accounts of any kind: the one statement, over their own entries."""
    statement = score_statement(
        scheme,
        accounts,
        year=year,
        categories=categories,
        also_counting=also_counting,
        only_their_entries=True,
    )
    return _read_scores(statement)


def passbook(holder: Household | Account, scheme: Scheme) -> dict:
    """Every entry of the scheme (a year, or every year of a scheme whose points carry forward) with the running
    total (approved entries only move it), and the scores: of a household, or of an account of any kind."""
    if isinstance(holder, Account) and holder.household_id is not None:
        # A family's account is its household's, with the household's role.
        holder = cast(Household, holder.household)
    mine = {"household": holder} if isinstance(holder, Household) else {"account": holder}
    prefetch_related_objects([scheme], "categories")  # the base, the statement and the scores: one query
    entries = list(
        Entry.objects.filter(scheme=scheme, **mine)
        .select_related("recorded_by", "approved_by", "corrects", "claim", "claim__checked_by")
        .prefetch_related("evidence")
        .order_by("occurred_on", "id")
    )
    start = base_total(scheme)
    if isinstance(holder, Household):
        scored = household_scores(scheme, Household.objects.filter(pk=holder.pk)).get(holder.pk)
    else:
        scored = account_scores(scheme, Account.objects.filter(pk=holder.pk)).get(holder.pk)
    if scored is not None:
        start += scored.role_delta
    running = start
    rows = []
    for entry in entries:
        if entry.state == EntryState.APPROVED:
            running += entry.points
        rows.append({"entry": entry, "running_total": running})
    categories = list(scheme.categories.all())
    return {
        "base_total": start,
        "rows": rows,
        "categories": [(c, scored.categories[c.pk] if scored else c.base_score) for c in categories],
        "total": scored.total if scored is not None else start,
        "raw_total": running,
    }


def quarterly_breakdown(household: Household, scheme: Scheme) -> list[dict]:
    """Net approved points per category and period (for the quarterly categories' views)."""
    return list(
        Entry.objects.approved()
        .filter(household=household, scheme=scheme)
        .values("category_id", "category_name", "period")
        .annotate(net=Sum("points"))
        .order_by("category_id", "period")
    )


# Pages: what a member may see of the ledger, and the lists the scoring pages show ---------------------------------


def entries_visible_to(membership: Membership) -> QuerySet[Entry]:
    """Entries of the households the member sees (by the household's village now, as the roster does)."""
    return restrict_to_visible(
        membership, Entry.objects.all(), village_field="account__village", household_record=True
    )


def ledger(
    membership: Membership,
    *,
    scheme: Scheme | None = None,
    village: Village | None = None,
    state: str = "",
    source: str = "",
    number: str = "",
    recorded_on: datetime.date | None = None,
) -> QuerySet[Entry]:
    """The ledger page: newest first, everything a row shows fetched in a fixed number of queries. `recorded_on` is
    a calendar day of the current time zone (the township's)."""
    entries = (
        entries_visible_to(membership)
        .select_related(
            "household",
            "household__village",
            "account__resident",
            "account__unit",
            "scheme",
            "recorded_by",
            "approved_by",
            "corrects",
        )
        .prefetch_related("evidence", "corrections")
    )
    if scheme is not None:
        entries = entries.filter(scheme=scheme)
    if village is not None:
        entries = entries.filter(account__village=village)
    if state:
        entries = entries.filter(state=state)
    if source:
        entries = entries.filter(source=source)
    if number:
        entries = entries.filter(household__number__icontains=number)
    if recorded_on is not None:
        entries = recorded_on_day(entries, recorded_on)
    return entries.order_by("-occurred_on", "-id")


def recorded_on_day(entries: QuerySet[Entry], day: datetime.date) -> QuerySet[Entry]:
    """The entries recorded on `day`, a calendar day of the current time zone (the township's), as a range of
    `recorded_at`: `recorded_at__date` would convert every row's time before comparing, and so read the whole
    township's ledger instead of the day's rows on the index (entry_township_recorded)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return entries.filter(recorded_at__gte=start, recorded_at__lt=start + datetime.timedelta(days=1))


def alerts_visible_to(membership: Membership) -> QuerySet[ThresholdAlert]:
    """Threshold alerts of the member's households, the ones nobody has acknowledged first."""
    return (
        restrict_to_visible(membership, ThresholdAlert.objects.all(), village_field="household__village")
        .select_related(
            "household", "household__village", "item", "item__category", "entry", "acknowledged_by"
        )
        .order_by(F("acknowledged_at").asc(nulls_first=True), "-created_at", "-id")
    )


def evidence_visible_to(membership: Membership) -> QuerySet[Evidence]:
    return restrict_to_visible(
        membership,
        Evidence.objects.select_related("entry"),
        village_field="entry__account__village",
        household_record=True,
    )


def scheme_summaries() -> QuerySet[Scheme]:
    """The township's schemes with `base_sum` (the base total) and `item_count`, in one query."""
    bases = (
        Category.objects.filter(scheme=OuterRef("pk"))
        .order_by()
        .values("scheme")
        .annotate(s=Sum("base_score"))
        .values("s")
    )
    items = (
        Item.objects.filter(category__scheme=OuterRef("pk"))
        .order_by()
        .values("category__scheme")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Scheme.objects.annotate(
        base_sum=Coalesce(Subquery(bases, output_field=SCORE), ZERO),
        item_count=Coalesce(Subquery(items, output_field=IntegerField()), 0),
    ).order_by("-year", "name", "pk")


def recordable_items() -> QuerySet[Item]:
    """Items that take entries now: active items of active schemes, in scheme and category order."""
    return (
        Item.objects.filter(active=True, category__scheme__state=SchemeState.ACTIVE)
        .select_related("category", "category__scheme")
        .order_by(
            "-category__scheme__year",
            "category__scheme__name",
            "category__order",
            "category_id",
            "order",
            "pk",
        )
    )


def recordable_households(
    membership: Membership,
    *,
    query: str = "",
    village: Village | None = None,
    area: Area | None = None,
    only_taking_part: bool = True,
) -> QuerySet[Household]:
    """Households taking part that the member sees, with `head_name`; searched by number or head's name."""
    visible = households_visible_to(membership).filter(
        status=Status.ACTIVE
    )  # a merged or closed one is not offered
    households = visible.select_related("village", "area")
    if only_taking_part:
        households = cast(HouseholdQuerySet, households).taking_part()
    if query := query.strip():
        head_named = Resident.objects.filter(household=OuterRef("pk"), is_head=True, name__icontains=query)
        households = households.filter(Q(number__icontains=query) | Q(Exists(head_named)))
    if village is not None:
        households = households.filter(village=village)
    if area is not None:
        households = households.filter(area=area)
    heads = Resident.objects.filter(household=OuterRef("pk"), is_head=True).values("name")[:1]
    return households.annotate(head_name=Subquery(heads, output_field=CharField())).order_by("number", "pk")
