"""The score rule a second time, in the ORM: the tests' oracle for `scoring.selectors.score_statement`.

It used to be the pages' production path (`with_scores`); production now reads every score from the one SQL
statement, and this copy only checks it (tests/scoring/test_score_rule.py draws random ledgers and compares).
"""

from decimal import Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least

from households.models import Household
from scoring.models import Category, Entry, EntryState, Scheme
from scoring.selectors import base_total, category_key

SCORE = DecimalField(max_digits=10, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=SCORE)


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
    path to the household ("" when it is of households).
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
        queryset = queryset.annotate(
            scheme_role=FilteredRelation(
                f"{household}role_assignments",
                condition=Q(**{f"{household}role_assignments__scheme": scheme}),
            )
        )
        # Max of the one assignment a household has in the scheme: an aggregate, so the expression stays out of the
        # GROUP BY (with server-side binding PostgreSQL cannot match a repeated parameter there).
        role_delta = Coalesce(Max("scheme_role__role__base_score"), base) - base
    else:
        role_delta = ZERO
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
    """Households annotated with `category_<id>` (clamped category score), `role_base_delta` and `total`.

    With `period` only that period's entries count; with `categories` only those categories make the total (and
    no role changes it); `also_counting` adds the proposals among these entries (a withdrawn one never counts).
    """
    counted = Q(entries__scheme=scheme, entries__state=EntryState.APPROVED)
    if also_counting is not None:
        proposals = list(also_counting.filter(state=EntryState.PROPOSED).values_list("pk", flat=True))
        counted = Q(entries__scheme=scheme) & (
            Q(entries__state=EntryState.APPROVED) | Q(entries__pk__in=proposals)
        )
    households = households.filter(township_id=scheme.township_id).annotate(
        counted=FilteredRelation("entries", condition=counted),
    )
    return _scored(
        households, scheme, entries="counted__", household="", period=period, categories=categories
    )


def scores_by_household(households: QuerySet[Household], scheme: Scheme, **kwargs) -> dict[int, tuple]:
    """{household id: ({category id: score}, role delta, total)}: the oracle in the shape of
    `scoring.selectors.household_scores` (`categories` as a list or queryset of categories)."""
    categories = kwargs.get("categories")
    if categories is not None:
        kwargs["categories"] = Category.objects.filter(pk__in=[c.pk for c in categories])
    shown = list(scheme.categories.all()) if categories is None else list(categories)
    return {
        h.pk: ({c.pk: getattr(h, category_key(c)) for c in shown}, h.role_base_delta, h.total)
        for h in with_scores(households, scheme, **kwargs)
    }
