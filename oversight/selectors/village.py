"""The clerk's village page: the households that lost most this quarter, and the threshold alerts."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from households.models import Household, Resident, Village
from scoring.models import EntryState, Scheme

from .figures import TOP_LOSERS


def current_quarter(year: int) -> int:
    today = timezone.localdate()
    return (today.month - 1) // 3 + 1 if today.year == year else 4


def households_losing_most(
    scheme: Scheme, village: Village, quarter: int, limit: int = TOP_LOSERS
) -> list[dict[str, Any]]:
    """The households of the village with the most points deducted (approved) in the quarter: one query."""
    heads = Resident.objects.filter(household=OuterRef("pk"), is_head=True).values("name")[:1]
    quarter_entries = Q(
        entries__scheme=scheme,
        entries__state=EntryState.APPROVED,
        entries__occurred_on__quarter=quarter,
    )
    rows = (
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
    return [dict(row) for row in rows]


def open_alerts(alerts: QuerySet, village: Village) -> list:
    """The village's threshold alerts (unacknowledged first), from `scoring.selectors.alerts_visible_to`."""
    return list(
        alerts.filter(household__village=village).annotate(village_name=F("household__village__name"))[:50]
    )
