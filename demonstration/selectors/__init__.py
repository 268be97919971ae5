"""Read queries of the demonstration programme shared by pages, API and services.

Seeing follows the levels (`demonstration.moves`): a township member sees its own villages' applications (a clerk
only those of their villages), a county member those of its townships, a city member every application of its
counties' townships. What a member may *do* is `core.permissions`; `*_moves_for` list what they may try now.

`village_figures` reads a village's figures inside its township's scope. The cross-level lists (a county's or a
city's applications) are the only places that open `dangerously_all_townships()`, and each filters by the region
before anything is read; they return evaluated lists, so nothing is queried later outside a scope.
"""

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from core.permissions import can, can_in_region, restrict_to_visible
from core.tenancy import dangerously_all_townships
from households.models import TAKING_PART_STATUSES, Household, Membership, Participation, Township, Village
from review.models import Objection, ObjectionState, ReviewRound, RoundKind, RoundState

from ..models import (
    Application,
    ApplicationMove,
    ApplicationState,
    Call,
    CallMove,
    CallState,
    Region,
    RegionKind,
    RegionMembership,
)
from ..moves import (
    CALL_RIGHT,
    REGION_LEVELS,
    REGION_MOVES,
    TOWNSHIP_LEVELS,
    TOWNSHIP_MOVES,
    Level,
    application_moves_now,
    call_moves_now,
    level_of,
)

ZERO = Decimal("0.00")


# Regions -------------------------------------------------------------------------------------------------------


def region_memberships_of(user: Any) -> QuerySet[RegionMembership]:
    if not user.is_authenticated or not user.is_active:
        return RegionMembership.objects.none()
    return RegionMembership.objects.filter(user=user).select_related("region", "region__parent")


def enter_region(user: Any, slug: str) -> tuple[Region, RegionMembership]:
    """Fetch-and-check: the region and the user's membership there, or 404 (never reveal that it exists)."""
    membership = region_memberships_of(user).filter(region__slug=slug).first()
    if membership is None:
        raise Http404
    return membership.region, membership


def townships_of(region: Region) -> QuerySet[Township]:
    """A county's townships, or every township of a city's counties."""
    if region.kind == RegionKind.COUNTY:
        return Township.objects.filter(county_link__county=region)
    return Township.objects.filter(county_link__county__parent=region)


def county_of(township: Township) -> Region | None:
    return Region.objects.filter(township_links__township=township).select_related("parent").first()


def calls_seen_by_region(region: Region) -> QuerySet[Call]:
    """A county sees its own calls and its city's; a city its own and its counties'."""
    if region.kind == RegionKind.COUNTY:
        where = Q(region=region) | (Q(region_id=region.parent_id) if region.parent_id else Q(pk__in=[]))
    else:
        where = Q(region=region) | Q(region__parent=region)
    return Call.objects.filter(where)


def calls_for_township(township: Township) -> QuerySet[Call]:
    """The calls a township's villages may see and apply to: its county's and its city's."""
    county = county_of(township)
    if county is None:
        return Call.objects.none()
    regions = [county.pk] + ([county.parent_id] if county.parent_id else [])
    return Call.objects.filter(region_id__in=regions)


def acting_region(application: Application, level: Level) -> Region | None:
    """The region whose officers make the application's moves of `level`: for pre-selection the township's
    county, for the call's steps the call's region (read through the relations a region list selects)."""
    if level == Level.COUNTY:
        link = getattr(application.township, "county_link", None)
        return link.county if link is not None else None
    return application.call.region


# What a member may try now (the pages list them; the services still check everything) -------------------------


def township_moves_for(membership: Membership, application: Application) -> list[str]:
    """The village's and the township's moves this township member may try on the application now."""
    allowed = [
        name for name in TOWNSHIP_MOVES if can(membership, TOWNSHIP_LEVELS[level_of(name)], application)
    ]
    return application_moves_now(application.state, application.call, allowed)


def region_moves_for(region_membership: RegionMembership, application: Application) -> list[str]:
    """The county's and the call's moves this region member may try on the application now (no query per row
    for an application of `applications_for_region`)."""
    allowed = [
        name
        for name in REGION_MOVES
        if can_in_region(
            region_membership, REGION_LEVELS[level_of(name)], acting_region(application, level_of(name))
        )
    ]
    return application_moves_now(application.state, application.call, allowed)


def call_moves_for(region_membership: RegionMembership, call: Call) -> list[str]:
    """The moves this region member may make on the call now: only an officer of the call's region moves it."""
    if not can_in_region(region_membership, CALL_RIGHT, call.region):
        return []
    return call_moves_now(call)


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
        approved_on = (
            approved_at.astimezone(zone).date() if approved_at and state == RoundState.APPROVED else None
        )
        if approved_on is None and planned_end >= on:
            continue  # still running and not late yet
        counted += 1
        if approved_on is not None and approved_on <= planned_end:
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


def township_calls(township: Township) -> QuerySet[Call]:
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


def applications_for_region(
    region: Region, *, call: Call | None = None, pk: int | None = None
) -> list[Application]:
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
            .order_by("township__county_link__county__name", "township__name", "village__sort_key", "id")
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


# The villages' evaluation (issue 20, item 4) -------------------------------------------------------------------
#
# Both selectors take village ids the caller may see (a township member's villages, a county's or a city's
# applying villages) and read every township's rows for exactly those villages: a constant number of queries for
# any number of villages. Percentages have one decimal; None where there is nothing to count.


def _share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"))


def _year(year: int | None) -> int:
    return year if year is not None else now_local_date().year


def _households_taking_part(village_ids: list[int], year: int) -> dict[int, dict[str, Any]]:
    """{village id: {"taking_part": n, "with_entry": n}}: households taking part (as `village_figures` counts
    them), and those of them with at least one approved entry of `year`. One query."""
    from scoring.models import Entry, EntryState

    with_entry = Entry.objects.filter(household=OuterRef("pk"), year=year, state=EntryState.APPROVED)
    rows = (
        Household.objects.filter(village_id__in=village_ids, participation__in=TAKING_PART_STATUSES)
        .values("village_id")
        .annotate(taking_part=Count("pk"), with_entry=Count("pk", filter=Q(Exists(with_entry))))
        .order_by()
    )
    return {row["village_id"]: dict(row) for row in rows}


def evaluation_results(village_ids: Iterable[int], *, year: int | None = None) -> dict[int, dict]:
    """The survey's results of `year` (default: this year) per village: {village id: {"answers", "households"
    (taking part), "answer_share", "awareness", "participation", "satisfaction"}}, the last four in %. Two
    queries, whatever the number of villages."""
    from ..models import SurveyAnswer
    from ..survey import FIELDS, Dimension, dimension_scores

    ids, year = list(village_ids), _year(year)
    with dangerously_all_townships():
        households = _households_taking_part(ids, year)
        sums: dict[int, dict[str, Any]] = {
            row["village_id"]: dict(row)
            for row in SurveyAnswer.objects.filter(village_id__in=ids, year=year)
            .values("village_id")
            .annotate(answers=Count("pk"), **{field: Sum(field) for field in FIELDS})
            .order_by()
        }
    results = {}
    for village_id in ids:
        row = sums.get(village_id, {"answers": 0})
        answers = row["answers"]
        taking_part = households.get(village_id, {}).get("taking_part", 0)
        means: dict[str, Decimal | None] = (
            {field: Decimal(row[field]) / answers for field in FIELDS} if answers else {}
        )
        scores = dimension_scores(means)
        results[village_id] = {
            "answers": answers,
            "households": taking_part,
            "answer_share": _share(answers, taking_part),
            "awareness": scores[Dimension.AWARENESS],
            "participation": scores[Dimension.PARTICIPATION],
            "satisfaction": scores[Dimension.SATISFACTION],
        }
    return results


def four_full_figures(village_ids: Iterable[int], *, year: int | None = None) -> dict[int, dict]:
    """积分项目全覆盖, 积分对象全参与, 积分过程全纪录, 积分奖励全公开 of `year` (default: this year) per village, from
    the ledger, in %: {village id: {...}} with

    - "items_used": the active items of the township's schemes of the year (not drafts) with at least one approved
      entry in the village, of all those items;
    - "households_with_entry": households taking part with at least one approved entry of the year, of all taking
      part;
    - "entries_recorded": approved entries of the year with a recorder and a reason, of all approved entries;
    - "rewards_public": star ratings (3 stars and up) of the village in the year's current rating that were
      published (the rating is posted: honour roll, reward lists), of all such ratings;

    and the counts behind each share. Five queries, whatever the number of villages."""
    from rewards.models import StarResult, StarRunState
    from scoring.models import Entry, EntryState, Item, SchemeState

    ids, year = list(village_ids), _year(year)
    with dangerously_all_townships():
        township_of = dict(Village.objects.filter(pk__in=ids).values_list("pk", "township_id"))
        scheme_items = Item.objects.filter(
            township_id__in=set(township_of.values()), category__scheme__year=year, active=True
        ).exclude(category__scheme__state=SchemeState.DRAFT)
        items_per_township = dict(
            scheme_items.values("township_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("township_id", "n")
        )
        entries = {
            row["village_id"]: row
            for row in Entry.objects.filter(village_id__in=ids, year=year, state=EntryState.APPROVED)
            .values("village_id")
            .annotate(
                total=Count("pk"),
                recorded=Count("pk", filter=Q(recorded_by__isnull=False) & ~Q(reason__regex=r"^\s*$")),
                items=Count("item_id", distinct=True, filter=Q(item__in=scheme_items)),
            )
            .order_by()
        }
        households = _households_taking_part(ids, year)
        rewards = {
            row["village_id"]: row
            for row in StarResult.objects.filter(
                village_id__in=ids, run__scheme__year=year, run__current=True, stars__gt=0
            )
            .values("village_id")
            .annotate(total=Count("pk"), public=Count("pk", filter=Q(run__state=StarRunState.PUBLISHED)))
            .order_by()
        }
    results = {}
    for village_id in ids:
        entry = entries.get(village_id, {"total": 0, "recorded": 0, "items": 0})
        household = households.get(village_id, {"taking_part": 0, "with_entry": 0})
        reward = rewards.get(village_id, {"total": 0, "public": 0})
        township_id = township_of.get(village_id)
        items = items_per_township.get(township_id, 0) if township_id is not None else 0
        results[village_id] = {
            "items_used": _share(entry["items"], items),
            "items": items,
            "items_with_entry": entry["items"],
            "households_with_entry": _share(household["with_entry"], household["taking_part"]),
            "households": household["taking_part"],
            "households_entered": household["with_entry"],
            "entries_recorded": _share(entry["recorded"], entry["total"]),
            "entries": entry["total"],
            "entries_with_reason": entry["recorded"],
            "rewards_public": _share(reward["public"], reward["total"]),
            "rewards": reward["total"],
            "rewards_posted": reward["public"],
        }
    return results


# The use of an award: its own module (demonstration.selectors.award), named here like the rest.
from .award import AwardBalance as AwardBalance  # noqa: E402
from .award import AwardUse as AwardUse  # noqa: E402
from .award import MisuseFlag as MisuseFlag  # noqa: E402
from .award import award_balance as award_balance  # noqa: E402
from .award import award_checks as award_checks  # noqa: E402
from .award import award_spending as award_spending  # noqa: E402
from .award import awarded_for_region as awarded_for_region  # noqa: E402
from .award import misuse_flags as misuse_flags  # noqa: E402
