"""Read queries of the review that pages, API and jobs share: the rounds a member sees, one round with its whole
trail, the households a panel member inspects, the township's approval queue and each member's worklist.

Call them inside the township scope. Every list costs a fixed number of queries whatever the number of rows:
counts and names are annotated in SQL, related rows are fetched in one batch per model.
"""

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
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

from households.models import TAKING_PART_STATUSES, Household, Membership, Resident, Role
from households.permissions import restrict_to_visible, villages_visible_to
from scoring.models import Entry, EntryState, Evidence, Item, Scheme, SchemeState
from scoring.periods import Cadence

from . import services
from .models import (
    Declaration,
    DeclarationState,
    Inspection,
    Meeting,
    MeetingKind,
    Objection,
    ObjectionState,
    PanelAssignment,
    ProposalChange,
    ReviewPanel,
    ReviewRound,
    RoundEntry,
    RoundKind,
    RoundMove,
    RoundState,
)

# Rounds that still wait for someone in the village (the township's step is `SUBMITTED`).
RUNNING_STATES = (
    RoundState.DRAFT,
    RoundState.COLLECTING,
    RoundState.PANEL_REVIEW,
    RoundState.REPRESENTATIVES,
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
        round_.days_left = days_left(round_.notice_ends_at, now)
        round_.notice_running = round_.state == RoundState.ON_NOTICE and bool(round_.days_left)
    return rounds


# Lists -----------------------------------------------------------------------------------------------------------


def rounds_visible_to(membership: Membership) -> QuerySet[ReviewRound]:
    """Rounds of the villages the member sees (clerks and panel members: their villages; others: all)."""
    return restrict_to_visible(membership, ReviewRound.objects.all())


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


def with_notice(rounds) -> list[ReviewRound]:
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


# One round -------------------------------------------------------------------------------------------------------


@dataclass
class RoundDetail:
    round: ReviewRound
    moves: list[RoundMove]
    areas: list[dict]
    proposals: list[RoundEntry]
    declarations: list[Declaration]
    meetings: list[Meeting]
    changes: list[ProposalChange]
    objections: list[Objection]
    proposed_count: int = 0
    proposed_points: Decimal = Decimal("0")


def proposals_of(round_: ReviewRound) -> QuerySet[RoundEntry]:
    """The round's proposals (proposed, approved and withdrawn entries) with the household and its head's name."""
    return (
        RoundEntry.objects.filter(round=round_)
        .select_related("entry", "entry__household", "entry__recorded_by", "inspection", "declaration")
        .prefetch_related(Prefetch("entry__evidence", queryset=Evidence.objects.order_by("pk")))
        .annotate(head_name=_head_name("entry__household"))
        .order_by("entry__household__number", "entry__pk")
    )


def round_detail(round_: ReviewRound) -> RoundDetail:
    """Everything the round page shows, in a fixed number of queries."""
    assignments = {
        a.area_id: a for a in PanelAssignment.objects.filter(round=round_).select_related("panel", "area")
    }
    areas = []
    for row in services.inspection_progress(round_):
        assignment = assignments.pop(row["area_id"], None)
        areas.append({**row, "panel": assignment.panel if assignment else None})
    # Assigned areas without a household taking part still show their panel.
    areas += [
        {"area_id": a.area_id, "area": a.area.name, "inspected": 0, "total": 0, "panel": a.panel}
        for a in assignments.values()
    ]
    proposals = list(proposals_of(round_))
    proposed = [p.entry for p in proposals if p.entry.state == EntryState.PROPOSED]
    return RoundDetail(
        round=_with_notice([round_])[0],
        moves=list(round_.moves.select_related("actor").order_by("at", "pk")),
        areas=areas,
        proposals=proposals,
        declarations=list(
            round_.declarations.select_related("household", "item", "declared_by", "decided_by").order_by(
                "declared_at", "pk"
            )
        ),
        meetings=list(
            round_.meetings.select_related("panel", "recorded_by")
            .prefetch_related("attendees")
            .order_by("held_on", "pk")
        ),
        changes=list(
            round_.changes.select_related(
                "old_entry", "old_entry__household", "new_entry", "actor", "meeting", "objection"
            ).order_by("at", "pk")
        ),
        objections=list(
            round_.objections.select_related("household", "filed_by", "resolved_by").order_by(
                "filed_at", "pk"
            )
        ),
        proposed_count=len(proposed),
        proposed_points=sum((e.points for e in proposed), start=Decimal("0")),
    )


def open_proposals(round_: ReviewRound, *, areas=None, household=None) -> list[RoundEntry]:
    """The round's proposals still proposed (what a meeting or an objection may change), by household."""
    rows = proposals_of(round_).filter(entry__state=EntryState.PROPOSED)
    if areas is not None:
        rows = rows.filter(entry__household__area__in=areas)
    if household is not None:
        rows = rows.filter(entry__household=household)
    return list(rows)


# Inspections -----------------------------------------------------------------------------------------------------


def assigned_areas(round_: ReviewRound, user) -> QuerySet[PanelAssignment]:
    """The areas this user's panels inspect in the round."""
    return (
        PanelAssignment.objects.filter(round=round_, panel__members__user=user)
        .select_related("area", "panel")
        .distinct()
        .order_by("area__name", "pk")
    )


def households_for_inspector(round_: ReviewRound, user) -> QuerySet[Household]:
    """Households taking part in the areas the user's panels inspect, each with `inspected`, `head_name` and
    `own` (the user lives there: another panel member must inspect it)."""
    areas = PanelAssignment.objects.filter(round=round_, panel__members__user=user).values("area_id")
    return (
        Household.objects.taking_part()
        .filter(village=round_.village, area__in=areas)
        .select_related("area")
        .annotate(
            inspected=Exists(Inspection.objects.filter(round=round_, household=OuterRef("pk"))),
            own=Exists(Resident.objects.filter(household=OuterRef("pk"), account=user)),
            head_name=_head_name("pk"),
        )
        .order_by("area__name", "number", "pk")
    )


# The township ----------------------------------------------------------------------------------------------------


def approval_queue(membership: Membership) -> list[ReviewRound]:
    """Rounds submitted to the township, oldest first, with their objections and what approval would post."""
    proposed = Entry.objects.filter(round_link__round=OuterRef("pk"), state=EntryState.PROPOSED)
    points = proposed.order_by().values("round_link__round").annotate(total=Sum("points")).values("total")
    rounds = (
        rounds_visible_to(membership)
        .filter(state=RoundState.SUBMITTED)
        .select_related("village", "scheme")
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


# Worklist --------------------------------------------------------------------------------------------------------


@dataclass
class Worklist:
    """What waits for one member. Panel members inspect and verify; clerks run their villages' rounds; the
    township office approves. Supervisors and county viewers read: nothing waits for them."""

    inspections: list[dict] = field(default_factory=list)  # {round, area, panel, inspected, total}
    declarations: list[Declaration] = field(default_factory=list)
    rounds_to_move: list[ReviewRound] = field(default_factory=list)
    meetings: list[dict] = field(default_factory=list)  # {round, kind, panel}
    notices: list[ReviewRound] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    approvals: list[ReviewRound] = field(default_factory=list)
    batches_to_post: list[dict] = field(default_factory=list)  # {scheme, village_id, village, count}

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.inspections,
                self.declarations,
                self.rounds_to_move,
                self.meetings,
                self.notices,
                self.objections,
                self.approvals,
                self.batches_to_post,
            )
        )


def worklist(membership: Membership) -> Worklist:
    work = Worklist()
    if membership.role == Role.PANEL_MEMBER:
        work.inspections = _inspections_waiting(membership)
        work.declarations = _declarations_waiting(membership)
    elif membership.role == Role.VILLAGE_CLERK:
        rounds = rounds_visible_to(membership)
        work.rounds_to_move = _rounds_to_move(rounds)
        work.meetings = _meetings_waiting(rounds)
        work.notices = _with_notice(
            rounds.filter(state=RoundState.ON_NOTICE)
            .select_related("village")
            .annotate(
                open_objection_count=_count(Objection.objects.filter(state=ObjectionState.OPEN), "round")
            )
            .order_by("notice_ends_at", "pk")
        )
        work.objections = list(
            Objection.objects.filter(round__in=rounds, state=ObjectionState.OPEN)
            .select_related("round", "round__village", "household")
            .order_by("filed_at", "pk")
        )
    elif membership.role == Role.TOWNSHIP_ADMIN:
        work.approvals = approval_queue(membership)
    if membership.role in (Role.VILLAGE_CLERK, Role.TOWNSHIP_ADMIN):
        work.batches_to_post = direct_proposals_waiting(membership)
    return work


def _inspections_waiting(membership: Membership) -> list[dict]:
    """Per assigned area of a collecting round: "37 of 92 inspected" (three queries whatever the numbers)."""
    assignments = list(
        PanelAssignment.objects.filter(
            round__in=rounds_visible_to(membership).filter(state=RoundState.COLLECTING),
            panel__members__user=membership.user,
        )
        .select_related("round", "round__village", "area", "panel")
        .distinct()
        .order_by("round__created_at", "round_id", "area__name", "pk")
    )
    if not assignments:
        return []
    area_ids = {a.area_id for a in assignments}
    totals = dict(
        Household.objects.taking_part()
        .filter(area__in=area_ids)
        .order_by()
        .values_list("area_id")
        .annotate(n=Count("pk"))
    )
    done = {
        (row["round_id"], row["household__area_id"]): row["n"]
        for row in Inspection.objects.filter(
            round__in={a.round_id for a in assignments},
            household__area__in=area_ids,
            household__participation__in=TAKING_PART_STATUSES,
        )
        .order_by()
        .values("round_id", "household__area_id")
        .annotate(n=Count("pk"))
    }
    rows = []
    for assignment in assignments:
        total = totals.get(assignment.area_id, 0)
        inspected = done.get((assignment.round_id, assignment.area_id), 0)
        if inspected < total:
            rows.append(
                {
                    "round": assignment.round,
                    "area": assignment.area,
                    "panel": assignment.panel,
                    "inspected": inspected,
                    "total": total,
                }
            )
    return rows


def _declarations_waiting(membership: Membership) -> list[Declaration]:
    """Pending declarations of households in the areas the member's panels review, during the panel review."""
    return list(
        Declaration.objects.filter(
            round__in=rounds_visible_to(membership).filter(state=RoundState.PANEL_REVIEW),
            state=DeclarationState.PENDING,
        )
        .filter(
            round__assignments__panel__members__user=membership.user,
            round__assignments__area=F("household__area"),
        )
        .select_related("round", "round__village", "household", "item")
        .distinct()
        .order_by("declared_at", "pk")
    )


def _rounds_to_move(rounds: QuerySet[ReviewRound]) -> list[ReviewRound]:
    """Rounds still in the village's hands, each with `last_move`/`last_comment` (a return says why) and, while
    collecting, `inspected`/`to_inspect`."""
    last = RoundMove.objects.filter(round=OuterRef("pk")).order_by("-at", "-pk")
    running = list(
        rounds.filter(state__in=RUNNING_STATES)
        .select_related("village")
        .annotate(
            last_move=Subquery(last.values("move")[:1]),
            last_comment=Subquery(last.values("comment")[:1]),
            pending_declarations=_count(Declaration.objects.filter(state=DeclarationState.PENDING), "round"),
        )
        .order_by("created_at", "pk")
    )
    collecting = [r for r in running if r.state == RoundState.COLLECTING]
    if collecting:
        totals = dict(
            Household.objects.taking_part()
            .filter(village__in={r.village_id for r in collecting})
            .order_by()
            .values_list("village_id")
            .annotate(n=Count("pk"))
        )
        inspected = dict(
            Inspection.objects.filter(round__in=collecting, household__in=Household.objects.taking_part())
            .order_by()
            .values_list("round_id")
            .annotate(n=Count("pk"))
        )
        for round_ in collecting:
            round_.to_inspect = totals.get(round_.village_id, 0)
            round_.inspected = inspected.get(round_.pk, 0)
    return running


def _meetings_waiting(rounds: QuerySet[ReviewRound]) -> list[dict]:
    """Panel meetings still missing in rounds under panel review; representatives' meetings still missing."""
    in_review = list(rounds.filter(state=RoundState.PANEL_REVIEW).select_related("village").order_by("pk"))
    rows = []
    if in_review:
        panels: dict[int, list[ReviewPanel]] = {}
        seen = set()
        for a in (
            PanelAssignment.objects.filter(round__in=in_review)
            .select_related("panel")
            .order_by("panel__name")
        ):
            if (a.round_id, a.panel_id) not in seen:
                seen.add((a.round_id, a.panel_id))
                panels.setdefault(a.round_id, []).append(a.panel)
        met = set(
            Meeting.objects.filter(round__in=in_review, kind=MeetingKind.PANEL).values_list(
                "round_id", "panel_id"
            )
        )
        rows += [
            {"round": r, "kind": MeetingKind.PANEL, "panel": p}
            for r in in_review
            for p in panels.get(r.pk, [])
            if (r.pk, p.pk) not in met
        ]
    rows += [
        {"round": r, "kind": MeetingKind.REPRESENTATIVES, "panel": None}
        for r in rounds.filter(state=RoundState.REPRESENTATIVES)
        .exclude(Exists(Meeting.objects.filter(round=OuterRef("pk"), kind=MeetingKind.REPRESENTATIVES)))
        .select_related("village")
        .order_by("pk")
    ]
    return rows


def objections_visible_to(membership: Membership) -> QuerySet[Objection]:
    return Objection.objects.filter(round__in=rounds_visible_to(membership))


def declarations_visible_to(membership: Membership) -> QuerySet[Declaration]:
    return Declaration.objects.filter(round__in=rounds_visible_to(membership))


def villages_with_direct_proposals(membership: Membership, scheme: Scheme) -> list[dict]:
    """Per visible village: how many direct proposals wait for a notice batch (one query)."""
    villages = villages_visible_to(membership)
    rows = (
        services.waiting_for_a_notice(scheme)
        .filter(village__in=villages)
        .values("village_id", "village__name")
        .annotate(n=Count("id"))
        .order_by("village__name", "village_id")
    )
    return [{"village_id": r["village_id"], "village": r["village__name"], "count": r["n"]} for r in rows]


def direct_proposals_waiting(membership: Membership) -> list[dict]:
    """For every active scheme: the villages whose direct proposals wait for a notice batch."""
    rows = []
    for scheme in Scheme.objects.filter(state=SchemeState.ACTIVE).order_by("-year", "name", "pk"):
        rows += [{"scheme": scheme, **row} for row in villages_with_direct_proposals(membership, scheme)]
    return rows
