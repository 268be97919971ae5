"""Read queries for scores and passbooks, shared by pages, API, jobs and benchmarks.

Scores are computed by the database in one aggregate query: for each category a filtered SUM of approved
entries plus the base, clamped with GREATEST/LEAST, then summed — no per-household loop in Python.
"""

from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, ExpressionWrapper, F, FilteredRelation, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least

from households.models import Household

from .models import Category, Entry, EntryState, Scheme

SCORE = DecimalField(max_digits=10, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=SCORE)


def category_key(category: Category) -> str:
    return f"category_{category.pk}"


def base_total(scheme: Scheme) -> Decimal:
    return sum((c.base_score for c in scheme.categories.all()), Decimal("0"))


def _scored(
    queryset: QuerySet, scheme: Scheme, *, entries: str, household: str, period: str | None = None
) -> QuerySet:
    """Annotate `category_<id>`, `role_base_delta` and `total` on a queryset grouped by household.

    `entries` is the path from a row to the counted entries ("" when the queryset is of entries), `household` the
    path to the household ("" when it is of households): one set of score rules for both shapes of query.
    """
    categories = list(scheme.categories.all())
    annotations = {}
    for category in categories:
        entry_filter = Q(**{f"{entries}category": category})
        if period is not None:
            entry_filter &= Q(**{f"{entries}period": period})
        score = Coalesce(Sum(f"{entries}points", filter=entry_filter), ZERO) + Value(
            category.base_score, output_field=SCORE
        )
        if category.floor is not None:
            score = Greatest(score, Value(category.floor, output_field=SCORE))
        if category.ceiling is not None:
            score = Least(score, Value(category.ceiling, output_field=SCORE))
        annotations[category_key(category)] = ExpressionWrapper(score, output_field=SCORE)
    base = Value(base_total(scheme), output_field=SCORE)
    if scheme.role_rules.filter(base_score__isnull=False).exists():
        # A filtered LEFT JOIN (at most one assignment per household and scheme), not a correlated subquery that
        # PostgreSQL would run once per entry row inside the GROUP BY.
        queryset = queryset.annotate(
            scheme_role=FilteredRelation(
                f"{household}role_assignments",
                condition=Q(**{f"{household}role_assignments__scheme": scheme}),
            )
        )
        role_delta = Coalesce(F("scheme_role__role__base_score"), base) - base
    else:
        role_delta = ZERO  # no role changes the base: no join at all
    annotations["role_base_delta"] = ExpressionWrapper(role_delta, output_field=SCORE)
    queryset = queryset.order_by()
    total = F("role_base_delta")
    for category in categories:
        total = total + F(category_key(category))
    return queryset.annotate(**annotations).annotate(total=ExpressionWrapper(total, output_field=SCORE))


def with_scores(
    households: QuerySet[Household], scheme: Scheme, *, period: str | None = None
) -> QuerySet[Household]:
    """Households annotated with `category_<id>` (clamped category score) and `total` for the scheme's year.

    With `period` (e.g. "2026-Q1") the scores count only that period's entries. For pages (a page of
    households); `annual_totals` is the shape for whole townships.
    """
    households = households.filter(township_id=scheme.township_id).annotate(
        # Only this scheme's approved entries take part in the join (not every entry of the household).
        counted=FilteredRelation(
            "entries", condition=Q(entries__scheme=scheme, entries__state=EntryState.APPROVED)
        ),
    )
    return _scored(households, scheme, entries="counted__", household="", period=period)


ANNUAL_TOTALS_SQL = """
WITH counted AS (
    SELECT e.household_id, e.category_id, SUM(e.points) AS net
    FROM scoring_entry e
    WHERE e.township_id = %s AND e.scheme_id = %s AND e.state = 'approved'
    GROUP BY e.household_id, e.category_id
)
SELECT h.id,
       SUM(LEAST(GREATEST(c.base_score + COALESCE(counted.net, 0), c.floor), c.ceiling))
         + COALESCE(MAX(r.base_score) - %s, 0) AS total
FROM households_household h
CROSS JOIN scoring_category c
LEFT JOIN counted ON counted.household_id = h.id AND counted.category_id = c.id
LEFT JOIN scoring_roleassignment ra ON ra.household_id = h.id AND ra.scheme_id = %s
LEFT JOIN scoring_rolerule r ON r.id = ra.role_id
WHERE h.township_id = %s AND c.scheme_id = %s AND h.id IN ({households})
GROUP BY h.id
"""


def annual_totals(scheme: Scheme, households: QuerySet[Household] | None = None) -> dict[int, Decimal]:
    """{household id: annual total} for the households taking part (default: all of the township's).

    The job path over whole townships. On PostgreSQL it is one hand-tuned statement — the ledger is summed per
    (household, category) first, then clamped and added up — because the ORM can only say it as one filtered
    SUM per category over every entry row, measured 2–4× slower (bench/scores.py). GREATEST/LEAST ignore a NULL
    floor or ceiling. Every table is filtered by the scheme's township explicitly. `with_scores` (the ORM
    shape, used by pages) gives the same numbers: tests/scoring/test_ledger.py checks that the two agree.
    """
    households = Household.objects.taking_part() if households is None else households
    households = households.filter(township_id=scheme.township_id).order_by()
    if connection.vendor != "postgresql":
        return dict(with_scores(households, scheme).values_list("pk", "total"))
    subquery, sub_params = households.values("pk").query.sql_with_params()
    township, scheme_id = scheme.township_id, scheme.pk
    params = [township, scheme_id, base_total(scheme), scheme_id, township, scheme_id, *sub_params]
    with connection.cursor() as cursor:
        cursor.execute(ANNUAL_TOTALS_SQL.format(households=subquery), params)
        return dict(cursor.fetchall())


def passbook(household: Household, scheme: Scheme) -> dict:
    """Every entry of the year with the running total (approved entries only move it), and the scores."""
    entries = list(
        Entry.objects.filter(household=household, scheme=scheme)
        .select_related("recorded_by", "approved_by", "corrects")
        .prefetch_related("evidence")
        .order_by("occurred_on", "id")
    )
    start = base_total(scheme)
    scored = with_scores(Household.objects.filter(pk=household.pk), scheme).first()
    if scored is not None:
        start += scored.role_base_delta
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
        "categories": [(c, getattr(scored, category_key(c), c.base_score)) for c in categories],
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
