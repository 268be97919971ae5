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
    queryset: QuerySet,
    scheme: Scheme,
    *,
    entries: str,
    household: str,
    period: str | None = None,
    categories: QuerySet[Category] | None = None,
) -> QuerySet:
    """Annotate `category_<id>`, `role_base_delta` and `total` on a queryset grouped by household.

    `entries` is the path from a row to the counted entries ("" when the queryset is of entries), `household` the
    path to the household ("" when it is of households): one set of score rules for both shapes of query.
    """
    whole_scheme = categories is None
    categories = list(scheme.categories.all() if whole_scheme else categories)
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
    # A role's base changes the whole total, not a subset of categories.
    if whole_scheme and scheme.role_rules.filter(base_score__isnull=False).exists():
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
    households: QuerySet[Household],
    scheme: Scheme,
    *,
    period: str | None = None,
    categories: QuerySet[Category] | None = None,
    also_counting: QuerySet[Entry] | None = None,
) -> QuerySet[Household]:
    """Households annotated with `category_<id>` (clamped category score) and `total` for the scheme's year.

    With `period` (e.g. "2026-Q1") the scores count only that period's entries; with `categories` only those
    categories make the total; `also_counting` adds entries that are not approved yet (a review round's
    proposals, for its public notice). For pages (a page of households); `annual_totals` is the shape for whole
    townships.
    """
    counted = Q(entries__scheme=scheme, entries__state=EntryState.APPROVED)
    if also_counting is not None:
        # FilteredRelation takes no subquery: the ids themselves (a round's proposals, a few thousand at most).
        counted = Q(entries__scheme=scheme) & (
            Q(entries__state=EntryState.APPROVED)
            | Q(entries__pk__in=list(also_counting.values_list("pk", flat=True)))
        )
    households = households.filter(township_id=scheme.township_id).annotate(
        # Only this scheme's counted entries take part in the join (not every entry of the household).
        counted=FilteredRelation("entries", condition=counted),
    )
    return _scored(
        households, scheme, entries="counted__", household="", period=period, categories=categories
    )


def _annual_totals_sql(
    categories: list[Category], households_sql: str, with_roles: bool, only_their_entries: bool
) -> tuple[str, list]:
    """One statement: the approved entries summed per household with one FILTER per category (a parallel hash
    aggregate over the ledger, the shape of the bare GROUP BY), then clamped per category (`s0`, `s1`, …) and
    added (`total`) per household. `only_their_entries` restricts the aggregate to the households' own entries
    (a village's page), instead of the whole township's ledger (the township's jobs)."""
    params: list = []
    sums = []
    for index, category in enumerate(categories):
        sums.append(f"SUM(e.points) FILTER (WHERE e.category_id = %s) AS c{index}")
        params.append(category.pk)
    # Base, floor and ceiling per category come as parameters; GREATEST/LEAST ignore a NULL floor or ceiling.
    scores = [
        f"LEAST(GREATEST(%s + COALESCE(counted.c{index}, 0), %s::numeric), %s::numeric) AS s{index}"
        for index in range(len(categories))
    ]
    role_join = ""
    role_term = "0"
    if with_roles:
        role_join = (
            "LEFT JOIN scoring_roleassignment ra ON ra.household_id = h.id AND ra.scheme_id = %s "
            "LEFT JOIN scoring_rolerule r ON r.id = ra.role_id"
        )
        role_term = "COALESCE(r.base_score - %s, 0)"
    entry_filter = f"AND e.household_id IN ({households_sql})" if only_their_entries else ""
    total = " + ".join([*(f"s{index}" for index in range(len(categories))), "role_delta"])
    # Only placeholders and this module's own SQL are composed here; every value is a parameter.
    sql = f"""
        WITH counted AS (
            SELECT e.household_id, {", ".join(sums) or "0 AS none"}
            FROM scoring_entry e
            WHERE e.township_id = %s AND e.scheme_id = %s AND e.state = 'approved' {entry_filter}
            GROUP BY e.household_id
        ), scored AS (
            SELECT h.id {"".join(", " + score for score in scores)}, {role_term} AS role_delta
            FROM households_household h
            LEFT JOIN counted ON counted.household_id = h.id
            {role_join}
            WHERE h.township_id = %s AND h.id IN ({households_sql})
        )
        SELECT *, ({total}) AS total FROM scored
    """  # noqa: S608
    return sql, params


def annual_totals(scheme: Scheme, households: QuerySet[Household] | None = None) -> dict[int, Decimal]:
    """{household id: annual total} for the households taking part (default: all of the township's).

    The job path over whole townships: `annual_totals_statement`, one hand-tuned statement, because the ORM can
    only say it as a join of households to every entry row before grouping, measured 2–4× slower
    (bench/scores.py). Every table is filtered by the scheme's township explicitly. `with_scores` (the ORM shape,
    used by pages) gives the same numbers: tests/scoring/test_ledger.py checks that the two agree.
    """
    households = Household.objects.taking_part() if households is None else households
    sql, params = annual_totals_statement(scheme, households)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, total FROM ({sql}) t", params)  # noqa: S608
        return dict(cursor.fetchall())


def annual_totals_statement(
    scheme: Scheme, households: QuerySet[Household], *, only_their_entries: bool = False
) -> tuple[str, list]:
    """The one statement of the annual scores (columns `id`, `s0`… per category in `scheme.categories` order,
    `role_delta`, `total`) and its parameters, for callers that build on it in the database: `annual_totals`,
    rewards.services.stars (ranks and stores in the same statement) and oversight's dashboards (groups it)."""
    households = households.filter(township_id=scheme.township_id).order_by()
    categories = list(scheme.categories.all())
    with_roles = scheme.role_rules.filter(base_score__isnull=False).exists()
    subquery, sub_params = households.values("pk").query.sql_with_params()
    sql, sum_params = _annual_totals_sql(categories, subquery, with_roles, only_their_entries)
    params = [*sum_params, scheme.township_id, scheme.pk]
    if only_their_entries:
        params += sub_params
    for category in categories:
        params += [category.base_score, category.floor, category.ceiling]
    if with_roles:
        params += [base_total(scheme), scheme.pk]
    params += [scheme.township_id, *sub_params]
    return sql, params


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


# Pages: what a member may see of the ledger, and the lists the scoring pages show ---------------------------------

from django.db.models import CharField, Count, Exists, IntegerField, OuterRef, Subquery  # noqa: E402

from households.models import Membership, Resident  # noqa: E402
from households.permissions import households_visible_to, restrict_to_visible  # noqa: E402

from .models import Evidence, Item, SchemeState, ThresholdAlert  # noqa: E402


def entries_visible_to(membership: Membership) -> QuerySet[Entry]:
    """Entries of the households the member sees (by the household's village now, as the roster does)."""
    return restrict_to_visible(membership, Entry.objects.all(), village_field="household__village")


def ledger(
    membership: Membership,
    *,
    scheme: Scheme | None = None,
    village=None,
    state: str = "",
    source: str = "",
    number: str = "",
) -> QuerySet[Entry]:
    """The ledger page: newest first, everything a row shows fetched in a fixed number of queries."""
    entries = (
        entries_visible_to(membership)
        .select_related("household", "household__village", "scheme", "recorded_by", "approved_by", "corrects")
        .prefetch_related("evidence", "corrections")
    )
    if scheme is not None:
        entries = entries.filter(scheme=scheme)
    if village is not None:
        entries = entries.filter(household__village=village)
    if state:
        entries = entries.filter(state=state)
    if source:
        entries = entries.filter(source=source)
    if number:
        entries = entries.filter(household__number__icontains=number)
    return entries.order_by("-occurred_on", "-id")


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
        membership, Evidence.objects.select_related("entry"), village_field="entry__household__village"
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
    membership: Membership, *, query: str = "", village=None, area=None, only_taking_part: bool = True
) -> QuerySet[Household]:
    """Households taking part that the member sees, with `head_name`; searched by number or head's name."""
    households = households_visible_to(membership).select_related("village", "area")
    if only_taking_part:
        households = households.taking_part()
    if query := query.strip():
        head_named = Resident.objects.filter(household=OuterRef("pk"), is_head=True, name__icontains=query)
        households = households.filter(Q(number__icontains=query) | Q(Exists(head_named)))
    if village is not None:
        households = households.filter(village=village)
    if area is not None:
        households = households.filter(area=area)
    heads = Resident.objects.filter(household=OuterRef("pk"), is_head=True).values("name")[:1]
    return households.annotate(head_name=Subquery(heads, output_field=CharField())).order_by("number", "pk")
