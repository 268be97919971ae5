"""Read queries of the demonstration programme shared by pages, API and services.

`village_figures` reads a village's figures inside its township's scope. The cross-level lists (a county's or a
city's applications) are the only places that open `dangerously_all_townships()`, and each filters by the region
before anything is read; they return evaluated lists, so nothing is queried later outside a scope.
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from households.models import TAKING_PART_STATUSES, Household, Membership, Participation, Village
from households.permissions import restrict_to_visible
from households.tenancy import dangerously_all_townships
from review.models import Objection, ObjectionState, ReviewRound, RoundKind, RoundState

from .models import (
    Application,
    ApplicationMove,
    ApplicationState,
    Call,
    CallMove,
    CallState,
    Region,
    RegionKind,
)
from .permissions import calls_for_township, calls_seen_by_region, townships_of

ZERO = Decimal("0.00")


# A village's figures -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VillageFigures:
    households_eligible: int
    households_taking_part: int
    shop_household_share: Decimal
    shop_resident_share: Decimal
    rounds_counted: int
    rounds_on_time: int
    objections_total: int
    objections_resolved: int

    @property
    def participation_share(self) -> Decimal:
        if not self.households_eligible:
            return Decimal("0.0")
        share = Decimal(100 * self.households_taking_part) / Decimal(self.households_eligible)
        return share.quantize(Decimal("0.1"))


def period_end(kind: str, period: str) -> datetime.date:
    """The last day of a round's period: 2026-Q2 → 2026-06-30, 2026 → 2026-12-31."""
    year = int(period[:4])
    if kind == RoundKind.QUARTERLY:
        quarter = int(period[-1])
        first_of_next = datetime.date(year + quarter // 4, quarter % 4 * 3 + 1, 1)
        return first_of_next - datetime.timedelta(days=1)
    return datetime.date(year, 12, 31)


def round_figures(village: Village, year: int, *, on: datetime.date, grace_days: int) -> tuple[int, int]:
    """(rounds due or done, rounds approved on time) of the village's rounds of `year`.

    A round's planned end is the last day of its period plus `grace_days` (review rounds have no end date of
    their own). A round counts once it is approved or its planned end has passed; it is on time when the
    township approved it by its planned end (dates in the township's time zone).
    """
    zone = zoneinfo.ZoneInfo(village.township.timezone)
    grace = datetime.timedelta(days=grace_days)
    counted = on_time = 0
    rows = ReviewRound.objects.filter(village=village, scheme__year=year).values_list(
        "kind", "period", "state", "approved_at"
    )
    for kind, period, state, approved_at in rows:
        planned_end = period_end(kind, period) + grace
        approved = state == RoundState.APPROVED and approved_at is not None
        if not approved and planned_end >= on:
            continue  # still running and not late yet
        counted += 1
        if approved and approved_at.astimezone(zone).date() <= planned_end:
            on_time += 1
    return counted, on_time


def village_figures(village: Village, year: int, *, on: datetime.date, grace_days: int) -> VillageFigures:
    """What a village applies with (call inside the village's township scope)."""
    from rewards.selectors import shop_participation  # the rewards app reads the supermarket

    households = Household.objects.filter(village=village).aggregate(
        eligible=Count("pk", filter=~Q(participation=Participation.NOT_ELIGIBLE)),
        taking_part=Count("pk", filter=Q(participation__in=TAKING_PART_STATUSES)),
    )
    objections = Objection.objects.filter(round__village=village, round__scheme__year=year).aggregate(
        total=Count("pk"), resolved=Count("pk", filter=~Q(state=ObjectionState.OPEN))
    )
    counted, on_time = round_figures(village, year, on=on, grace_days=grace_days)
    shop = shop_participation(year=year, village_ids=[village.pk]).get(village.pk)
    return VillageFigures(
        households_eligible=households["eligible"],
        households_taking_part=households["taking_part"],
        shop_household_share=Decimal(shop.household_share).quantize(ZERO) if shop else ZERO,
        shop_resident_share=Decimal(shop.resident_share).quantize(ZERO) if shop else ZERO,
        rounds_counted=counted,
        rounds_on_time=on_time,
        objections_total=objections["total"],
        objections_resolved=objections["resolved"],
    )


# Township side (inside the township scope) ---------------------------------------------------------------------


def applications_visible_to(membership: Membership) -> QuerySet[Application]:
    """The applications of the villages the township member sees."""
    return restrict_to_visible(membership, Application.objects.all()).select_related(
        "call", "call__region", "village", "township", "township__county_link", "applied_by"
    )


def township_calls(township) -> QuerySet[Call]:
    """The calls of the township's county and city, once opened (a draft is the organiser's)."""
    return (
        calls_for_township(township)
        .exclude(state=CallState.DRAFT)
        .select_related("region", "created_by")
        .prefetch_related(Prefetch("moves", queryset=CallMove.objects.select_related("actor")))
    )


def application_trail(application: Application) -> list[ApplicationMove]:
    return list(application.moves.select_related("actor").order_by("at", "id"))


# Region side (a county or a city) ------------------------------------------------------------------------------


def _trail() -> Prefetch:
    """Built inside the scope that reads it (a scoped manager refuses a query made outside one)."""
    return Prefetch("moves", queryset=ApplicationMove.objects.select_related("actor").order_by("at", "id"))


def calls_of_region(region: Region) -> list[Call]:
    return list(
        calls_seen_by_region(region)
        .select_related("region", "created_by")
        .order_by("-applications_open_on", "-id")
    )


def applications_for_region(region: Region, *, call: Call | None = None, pk: int | None = None) -> list:
    """The applications a county or city sees (its townships' villages, calls it sees), with their trails.

    County officers see their own townships' applications; a city sees all of its counties'.
    """
    with dangerously_all_townships():
        rows = Application.objects.filter(
            township__in=townships_of(region), call__in=calls_seen_by_region(region)
        )
        if call is not None:
            rows = rows.filter(call=call)
        if pk is not None:
            rows = rows.filter(pk=pk)
        return list(
            rows.select_related(
                "call", "call__region", "village", "township", "township__county_link__county", "applied_by"
            )
            .prefetch_related(_trail())
            .order_by("township__county_link__county__name", "township__name", "village__name", "id")
        )


def county_counts(call: Call) -> dict[int, int]:
    """Pre-selected (and later) applications of the call per county id: the per-county limit reads this."""
    counted = (
        ApplicationState.PRESELECTED,
        ApplicationState.SELECTED,
        ApplicationState.NOT_SELECTED,
        ApplicationState.AWARDED,
    )
    with dangerously_all_townships():
        rows = (
            Application.objects.filter(call=call, state__in=counted)
            .values("township__county_link__county")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {row["township__county_link__county"]: row["n"] for row in rows}


def preselected_in_county(call: Call, county: Region) -> int:
    return county_counts(call).get(county.pk, 0)


def call_totals(call: Call) -> dict:
    """Selected villages and awards of the call, across every township (for the limits and the result)."""
    with dangerously_all_townships():
        return Application.objects.filter(call=call).aggregate(
            selected=Count("pk", filter=Q(state__in=(ApplicationState.SELECTED, ApplicationState.AWARDED))),
            awarded=Count("pk", filter=Q(state=ApplicationState.AWARDED)),
            awards=Sum("award", filter=Q(state=ApplicationState.AWARDED), default=ZERO),
            waiting_county=Count("pk", filter=Q(state=ApplicationState.FORWARDED)),
            waiting_selection=Count("pk", filter=Q(state=ApplicationState.PRESELECTED)),
            selected_unawarded=Count("pk", filter=Q(state=ApplicationState.SELECTED)),
        )


def call_trail(call: Call) -> list[CallMove]:
    return list(call.moves.select_related("actor").order_by("at", "id"))


def region_label(region: Region) -> str:
    return str(RegionKind(region.kind).label)


def now_local_date() -> datetime.date:
    return timezone.localdate()
