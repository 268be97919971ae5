"""What waits for one member: panel members inspect and verify; clerks run their villages' rounds; the township
office approves. Each list costs a fixed number of queries whatever the number of rows."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery

from core.permissions import Action, can, restrict_to_visible
from households.models import TAKING_PART_STATUSES, Household, Membership, Role
from scoring.appeal_selectors import pending_appeals, pending_self_declarations

from ..models import (
    Declaration,
    DeclarationState,
    Inspection,
    Meeting,
    MeetingKind,
    Objection,
    ObjectionState,
    PanelAssignment,
    ReviewPanel,
    ReviewRound,
    RoundMove,
    RoundState,
    SummaryState,
    WeeklySummary,
)
from .claims import claims_to_check, claims_visible_to
from .notices import direct_proposals_waiting
from .rounds import _count, approval_queue, rounds_visible_to, with_notice

MAX_CLAIMS = 20  # the home lists the newest; the rest are in the API's list
# Rounds that still wait for someone in the village (the township's step is `SUBMITTED`).
RUNNING_STATES = (
    RoundState.DRAFT,
    RoundState.COLLECTING,
    RoundState.PANEL_REVIEW,
    RoundState.REPRESENTATIVES,
)


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
    claims_to_check: list = field(default_factory=list)  # entries of claims nobody has checked yet
    my_claims: list = field(default_factory=list)  # the grid worker's recent claims and their state
    self_declarations: list = field(
        default_factory=list
    )  # from villagers' own pages, to check (oldest first)
    self_declaration_count: int = 0
    appeals: list = field(default_factory=list)  # villagers' appeals to decide (oldest first)
    appeal_count: int = 0
    summaries: list = field(default_factory=list)  # a class's weekly summaries waiting for this member's step

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
                self.claims_to_check,
                self.my_claims,
                self.self_declarations,
                self.appeals,
                self.summaries,
            )
        )


def worklist(membership: Membership) -> Worklist:
    work = Worklist()
    if membership.role == Role.PANEL_MEMBER:
        work.inspections = _inspections_waiting(membership)
        work.declarations = _declarations_waiting(membership)
    elif membership.role in (Role.VILLAGE_CLERK, Role.CLASS_OFFICER, Role.HEAD_TEACHER):
        # A school's class officers post and move the class's notices, as a clerk does a village's.
        rounds = rounds_visible_to(membership)
        work.rounds_to_move = _rounds_to_move(rounds)
        work.meetings = _meetings_waiting(rounds)
        work.notices = with_notice(
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
    if membership.role == Role.TOWNSHIP_ADMIN:  # public objections reach the office too (it may resolve them)
        work.objections = list(
            Objection.objects.filter(round__in=rounds_visible_to(membership), state=ObjectionState.OPEN)
            .select_related("round", "round__village", "household")
            .order_by("filed_at", "pk")
        )
    if membership.role in (Role.TOWNSHIP_ADMIN, Role.HEAD_TEACHER):
        work.approvals = approval_queue(membership)
    if membership.role in (Role.VILLAGE_CLERK, Role.TOWNSHIP_ADMIN):
        work.batches_to_post = direct_proposals_waiting(membership)
    if membership.role in (Role.GRID_WORKER, Role.VILLAGE_CLERK, Role.TOWNSHIP_ADMIN):
        work.claims_to_check = list(claims_to_check(membership)[:MAX_CLAIMS])
    if membership.role in (Role.GRID_WORKER, Role.VILLAGE_CLERK, Role.TOWNSHIP_ADMIN):
        declarations = pending_self_declarations(membership)
        work.self_declaration_count = declarations.count()
        work.self_declarations = list(declarations.order_by("submitted_at", "pk")[:MAX_CLAIMS])
    if can(membership, Action.DECIDE_APPEAL):
        appeals = pending_appeals(membership)
        work.appeal_count = appeals.count()
        work.appeals = list(appeals.order_by("submitted_at", "pk")[:MAX_CLAIMS])
    if membership.role in (Role.DUTY_MONITOR, Role.CLASS_OFFICER, Role.HEAD_TEACHER):
        work.summaries = summaries_waiting(membership)
    if membership.role == Role.GRID_WORKER:
        work.my_claims = list(claims_visible_to(membership).filter(recorded_by=membership.user)[:MAX_CLAIMS])
    return work


def _inspections_waiting(membership: Membership) -> list[dict]:
    """Per assigned area of a collecting round: "37 of 92 inspected" (three queries whatever the numbers)."""
    assignments = list(
        PanelAssignment.objects.filter(
            round__in=rounds_visible_to(membership).filter(state=RoundState.COLLECTING),
            panel__members__user=membership.user,
            panel__members__until__isnull=True,
        )
        .select_related("round", "round__village", "area", "panel")
        .distinct()
        .order_by("round__created_at", "round_id", "area__sort_key", "pk")
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
            round__assignments__panel__members__until__isnull=True,
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
    running: list[ReviewRound] = list(
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
            round_.to_inspect = totals.get(round_.village_id, 0)  # type: ignore[attr-defined]
            round_.inspected = inspected.get(round_.pk, 0)  # type: ignore[attr-defined]
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


def summaries_waiting(membership: Membership) -> list:
    """The Monday summary's next step for this member: the duty monitor or officer hands a prepared summary to the
    vice monitor; the head teacher files a handed-over one."""
    step = SummaryState.HANDED_OVER if membership.role == Role.HEAD_TEACHER else SummaryState.PREPARED
    summaries = restrict_to_visible(membership, WeeklySummary.objects.filter(state=step))
    return list(summaries.select_related("village").order_by("week_start", "pk")[:MAX_CLAIMS])
