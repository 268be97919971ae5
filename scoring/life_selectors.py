"""Reads of a household's life where points are concerned: its approved points per category, the scheme in force,
and the closing slip's balance (issue 16; the services are scoring.services.life)."""

import datetime
from decimal import Decimal

from django.db.models import Sum

from households.models import Household

from .models import Entry, EntryState, Scheme, SchemeState


def balances(household: Household, scheme: Scheme) -> dict[int, Decimal]:
    """{category id: approved points} of the household in the scheme (categories with points only)."""
    rows = (
        Entry.objects.approved()
        .filter(household=household, scheme=scheme)
        .values("category_id")
        .annotate(s=Sum("points"))
        .order_by()
    )
    return {row["category_id"]: row["s"] for row in rows if row["s"]}


def scheme_in_force(day: datetime.date) -> Scheme | None:
    """The active scheme covering the day, the latest starting first."""
    for scheme in Scheme.objects.filter(state=SchemeState.ACTIVE).order_by("-starts_on", "-pk"):
        if scheme.covers(day):
            return scheme
    return None


def closing_balance(household: Household) -> list[dict]:
    """For the closing slip: per scheme the household has entries in, its approved points and those waiting."""
    rows = []
    for scheme in Scheme.objects.exclude(state=SchemeState.DRAFT).order_by("-starts_on", "-pk"):
        entries = Entry.objects.filter(household=household, scheme=scheme)
        approved = entries.approved().aggregate(s=Sum("points"))["s"]
        waiting = entries.filter(state=EntryState.PROPOSED).aggregate(s=Sum("points"))["s"]
        if approved is None and waiting is None:
            continue
        rows.append(
            {"scheme": scheme, "approved": approved or Decimal("0"), "waiting": waiting or Decimal("0")}
        )
    return rows
