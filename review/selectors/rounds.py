"""The rounds a member sees, as lists, with their notice dates, and what a round records; the township's approval
queue; whether a notice runs and whether a round goes to the township after it."""

import datetime
import math
from collections.abc import Iterable

from django.db.models import (
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.permissions import restrict_to_visible
from households.models import Membership, Resident, Village
from scoring.models import Entry, EntryState, Item
from scoring.periods import Cadence

from ..models import (
    Declaration,
    Objection,
    ObjectionState,
    ReviewRound,
    RoundEntry,
    RoundKind,
    RoundState,
)


def _count(queryset: QuerySet, fk: str) -> Coalesce:
    """A correlated COUNT(*) of the rows of `queryset` pointing at the outer row through `fk`."""
    rows = queryset.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _head_name(household_path: str) -> Subquery:
    heads = Resident.objects.filter(household=OuterRef(household_path), is_head=True).values("name")[:1]
    return Subquery(heads, output_field=CharField())


def days_left(ends_at: datetime.datetime | None, now: datetime.datetime | None = None) -> int | None:
    """Whole days until a notice ends, rounded up (2 days and an hour → 3); 0 once it has ended."""
    if ends_at is None:
        return None
    seconds = (ends_at - (now or timezone.now())).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def _with_notice(rounds: list[ReviewRound]) -> list[ReviewRound]:
    now = timezone.now()
    prefetch_related_objects(rounds, "township")  # the notice's calendar days are in the township's time zone
    for round_ in rounds:
        round_.days_left = days_left(round_.notice_ends_at, now)  # type: ignore[attr-defined]
        round_.notice_running = round_.state == RoundState.ON_NOTICE and bool(round_.days_left)  # type: ignore[attr-defined]
    return rounds


def notice_is_running(round_: ReviewRound) -> bool:
    """Objections are taken while it runs."""
    return (
        round_.state == RoundState.ON_NOTICE
        and round_.notice_ends_at is not None
        and timezone.now() < round_.notice_ends_at
    )


def township_approval_needed(round_: ReviewRound) -> bool:
    """Whether the round goes to the township after its notice (the scheme says, per round kind)."""
    if round_.kind == RoundKind.QUARTERLY:
        return round_.scheme.township_approves_quarterly
    if round_.kind == RoundKind.ANNUAL:
        return round_.scheme.township_approves_annual
    return True  # a notice batch always does


# Lists -----------------------------------------------------------------------------------------------------------


def rounds_visible_to(membership: Membership) -> QuerySet[ReviewRound]:
    """Rounds of the villages the member sees (clerks and panel members: their villages; others: all)."""
    return restrict_to_visible(membership, ReviewRound.objects.all())


def objections_visible_to(membership: Membership) -> QuerySet[Objection]:
    return Objection.objects.filter(round__in=rounds_visible_to(membership))


def declarations_visible_to(membership: Membership) -> QuerySet[Declaration]:
    return Declaration.objects.filter(round__in=rounds_visible_to(membership))


def round_list(membership: Membership) -> QuerySet[ReviewRound]:
    """The member's rounds, newest first, each with `proposal_count` and `open_objection_count`."""
    return (
        rounds_visible_to(membership)
        .select_related("village", "scheme")
        .annotate(
            proposal_count=_count(RoundEntry.objects.filter(entry__state=EntryState.PROPOSED), "round"),
            open_objection_count=_count(Objection.objects.filter(state=ObjectionState.OPEN), "round"),
        )
        .order_by("-created_at", "-pk")
    )


def with_notice(rounds: Iterable[ReviewRound]) -> list[ReviewRound]:
    """The rounds as a list, each with `days_left` (None before a notice) and `notice_running`."""
    return _with_notice(list(rounds))


def round_items(round_: ReviewRound) -> QuerySet[Item]:
    """The active items a round records: a quarterly round takes the quarterly categories only."""
    items = Item.objects.filter(category__scheme=round_.scheme, active=True).select_related("category")
    if round_.kind == RoundKind.QUARTERLY:
        items = items.filter(category__cadence=Cadence.QUARTERLY)
    return items.order_by("category__order", "category_id", "order", "pk")


def declarable_items(round_: ReviewRound) -> QuerySet[Item]:
    return round_items(round_).filter(by_declaration=True)


def inspectable_items(round_: ReviewRound) -> QuerySet[Item]:
    return round_items(round_).filter(by_inspection=True)


# The township ----------------------------------------------------------------------------------------------------


def approval_queue(membership: Membership, village: Village | None = None) -> list[ReviewRound]:
    """Rounds submitted to the township (of one village, if given), oldest first, with their objections and what
    approval would post."""
    proposed = Entry.objects.filter(round_link__round=OuterRef("pk"), state=EntryState.PROPOSED)
    points = proposed.order_by().values("round_link__round").annotate(total=Sum("points")).values("total")
    submitted = rounds_visible_to(membership).filter(state=RoundState.SUBMITTED)
    if village is not None:
        submitted = submitted.filter(village=village)
    rounds = (
        submitted.select_related("village", "scheme")
        .prefetch_related(
            Prefetch(
                "objections",
                queryset=Objection.objects.select_related("household", "resolved_by").order_by(
                    "filed_at", "pk"
                ),
            )
        )
        .annotate(
            proposal_count=_count(RoundEntry.objects.filter(entry__state=EntryState.PROPOSED), "round"),
            proposed_points=Subquery(points),
        )
        .order_by("created_at", "pk")
    )
    return _with_notice(list(rounds))
