"""One round: everything its page shows, its proposals, the inspections still to make (per area and per panel
member), the panels still to meet and the proposed cross-review rotation."""

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from households.models import Area, Household, Resident
from scoring.models import EntryState, Evidence

from ..models import (
    Declaration,
    Inspection,
    Meeting,
    MeetingKind,
    Objection,
    PanelAssignment,
    ProposalChange,
    ReviewPanel,
    ReviewRound,
    RoundEntry,
    RoundMove,
)
from .rounds import _head_name, _with_notice

if TYPE_CHECKING:
    from django.contrib.auth.models import User


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
    for row in inspection_progress(round_):
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


def open_proposals(
    round_: ReviewRound, *, areas: QuerySet | None = None, household: Household | None = None
) -> list[RoundEntry]:
    """The round's proposals still proposed (what a meeting or an objection may change), by household."""
    rows = proposals_of(round_).filter(entry__state=EntryState.PROPOSED)
    if areas is not None:
        rows = rows.filter(entry__household__area__in=areas)
    if household is not None:
        rows = rows.filter(entry__household=household)
    return list(rows)


# Inspections -----------------------------------------------------------------------------------------------------


def households_to_inspect(round_: ReviewRound) -> QuerySet[Household]:
    """Households taking part in the round's village without an inspection yet."""
    return (
        Household.objects.taking_part()
        .filter(village=round_.village)
        .exclude(pk__in=round_.inspections.values("household_id"))
    )


def inspection_progress(round_: ReviewRound) -> list[dict]:
    """Per area: {"area_id", "area", "inspected", "total"} in one query ("37 of 92 inspected")."""
    inspected = round_.inspections.values("household_id")
    rows = (
        Household.objects.taking_part()
        .filter(village=round_.village)
        .values("area_id", "area__name")
        .annotate(total=Count("id"), inspected=Count("id", filter=Q(pk__in=inspected)))
        .order_by("area__sort_key")
    )
    return [
        {"area_id": r["area_id"], "area": r["area__name"], "inspected": r["inspected"], "total": r["total"]}
        for r in rows
    ]


def assigned_areas(round_: ReviewRound, user: "User") -> QuerySet[PanelAssignment]:
    """The areas this user's panels inspect in the round."""
    return (
        PanelAssignment.objects.filter(
            round=round_, panel__members__user=user, panel__members__until__isnull=True
        )
        .select_related("area", "panel")
        .distinct()
        .order_by("area__sort_key", "pk")
    )


def households_for_inspector(round_: ReviewRound, user: "User") -> QuerySet[Household]:
    """Households taking part in the areas the user's panels inspect, each with `inspected`, `head_name` and
    `own` (the user lives there: another panel member must inspect it)."""
    areas = PanelAssignment.objects.filter(
        round=round_, panel__members__user=user, panel__members__until__isnull=True
    ).values("area_id")
    return (
        Household.objects.taking_part()
        .filter(village=round_.village, area__in=areas)
        .select_related("area")
        .annotate(
            inspected=Exists(Inspection.objects.filter(round=round_, household=OuterRef("pk"))),
            own=Exists(Resident.objects.filter(household=OuterRef("pk"), account=user)),
            head_name=_head_name("pk"),
        )
        .order_by("area__sort_key", "number", "pk")
    )


def next_household_to_inspect(round_: ReviewRound, user: "User", after: Household) -> int | None:
    """The id of the next household the user's panels still have to inspect in this round, after `after` in the
    inspection list's order (wrapping round to its start); None when none is left. One query."""
    rows = list(households_for_inspector(round_, user).values_list("pk", "inspected", "own"))  # type: ignore[misc]  # annotations the stubs cannot see
    ids = [row[0] for row in rows]
    start = ids.index(after.pk) + 1 if after.pk in ids else 0
    for pk, inspected, own in rows[start:] + rows[:start]:
        if pk != after.pk and not inspected and not own:
            return pk
    return None


# Panels ----------------------------------------------------------------------------------------------------------


def panels_without_quorate_meeting(round_: ReviewRound) -> list[ReviewPanel]:
    """The round's panels (its assigned ones, else the village's first) with no panel meeting recorded yet."""
    panels = list(ReviewPanel.objects.filter(pk__in=round_.assignments.values("panel_id")).distinct())
    if not panels:
        panels = list(ReviewPanel.objects.filter(village=round_.village))[:1]
    quorate = set(
        round_.meetings.filter(kind=MeetingKind.PANEL, panel__in=panels).values_list("panel_id", flat=True)
    )
    return [p for p in panels if p.pk not in quorate]


def propose_rotation(round_: ReviewRound) -> list[tuple[ReviewPanel, Area]]:
    """Each area to a panel whose home area it is not: panels rotate by one over the areas."""
    panels = list(ReviewPanel.objects.filter(village=round_.village).order_by("id"))
    areas = list(Area.objects.filter(village=round_.village).order_by("id"))
    if len(panels) < 2 and any(p.home_area_id in {a.pk for a in areas} for p in panels) and len(areas) <= 1:
        return []
    proposal = []
    for index, area in enumerate(areas):
        for shift in range(1, len(panels) + 1):
            panel = panels[(index + shift) % len(panels)]
            if panel.home_area_id != area.pk:
                proposal.append((panel, area))
                break
    return proposal
