"""Budgets: each village's figures for a year (funded, cap, committed, spent, left)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..models import (
    Budget,
    FundingLine,
    Redemption,
    RewardAllocation,
)

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
    annotated: Any = budget  # funded, committed and spent are annotations of budgets_with_figures
    if not hasattr(annotated, "funded"):
        annotated = budgets_with_figures().get(pk=budget.pk)
    return BudgetFigures(
        funded=annotated.funded,
        residents=annotated.residents,
        cap_per_resident=annotated.cap_per_resident,
        committed=annotated.committed,
        spent=annotated.spent,
        budget_id=annotated.pk,
    )


def budget_figures(*, year: int, village_ids: Iterable[int]) -> dict[int, BudgetFigures]:
    """{village id: figures} for the year; a village without a budget has zeros. One query."""
    village_ids = list(village_ids)
    figures = {village_id: BudgetFigures() for village_id in village_ids}
    for budget in budgets_with_figures(year).filter(village_id__in=village_ids):
        figures[budget.village_id] = figures_of(budget)
    return figures
