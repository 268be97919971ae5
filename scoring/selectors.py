"""Read queries for scores and passbooks, shared by pages, API, jobs and benchmarks.

Scores are computed by the database in one aggregate query: for each category a filtered SUM of approved
entries plus the base, clamped with GREATEST/LEAST, then summed — no per-household loop in Python.
"""

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least

from households.models import Household

from .models import Category, Entry, EntryState, RoleAssignment, Scheme

SCORE = DecimalField(max_digits=10, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=SCORE)


def category_key(category: Category) -> str:
    return f"category_{category.pk}"


def base_total(scheme: Scheme) -> Decimal:
    return sum((c.base_score for c in scheme.categories.all()), Decimal("0"))


def with_scores(
    households: QuerySet[Household], scheme: Scheme, *, period: str | None = None
) -> QuerySet[Household]:
    """Annotate `category_<id>` (clamped category score) and `total` for the scheme's year (or one period).

    With `period` (e.g. "2026-Q1") the categories of that cadence show base + that period's entries.
    """
    categories = list(scheme.categories.all())
    annotations = {}
    for category in categories:
        entry_filter = Q(
            entries__scheme=scheme, entries__category=category, entries__state=EntryState.APPROVED
        )
        if period is not None:
            entry_filter &= Q(entries__period=period)
        score = Coalesce(Sum("entries__points", filter=entry_filter), ZERO) + Value(
            category.base_score, output_field=SCORE
        )
        if category.floor is not None:
            score = Greatest(score, Value(category.floor, output_field=SCORE))
        if category.ceiling is not None:
            score = Least(score, Value(category.ceiling, output_field=SCORE))
        annotations[category_key(category)] = ExpressionWrapper(score, output_field=SCORE)
    role_base = RoleAssignment.objects.filter(
        scheme=scheme, household=OuterRef("pk"), role__base_score__isnull=False
    )
    role_delta = Coalesce(
        Subquery(role_base.values("role__base_score")[:1], output_field=SCORE)
        - Value(base_total(scheme), output_field=SCORE),
        ZERO,
    )
    annotations["role_base_delta"] = ExpressionWrapper(role_delta, output_field=SCORE)
    households = households.annotate(**annotations)
    total = F("role_base_delta")
    for category in categories:
        total = total + F(category_key(category))
    return households.annotate(total=ExpressionWrapper(total, output_field=SCORE))


def annual_totals(scheme: Scheme, households: QuerySet[Household] | None = None) -> dict[int, Decimal]:
    """{household id: annual total} for the households taking part (default: all of the township)."""
    households = Household.objects.taking_part() if households is None else households
    households = households.filter(township_id=scheme.township_id)
    return dict(with_scores(households, scheme).values_list("pk", "total"))


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
