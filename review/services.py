"""Every change in a review: panels, rounds and their moves, inspections, declarations, meetings, notices,
objections and the township's approval. The acting member is explicit; role checks use households.permissions."""

import datetime
import re
import secrets
import zoneinfo
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import DomainError, full_clean_or_raise
from households.models import Area, Household, Membership, Resident, Village
from households.permissions import Action, can, check, membership_of
from households.validators import validate_mobile
from scoring.models import Entry, EntrySource, EntryState, Item, Scheme, SchemeState, TransferState
from scoring.periods import Cadence, period_of
from scoring.services import approve_entries, penalise_false_declaration, record_entry, withdraw_entry

from .models import (
    MIN_NOTICE_DAYS,
    Declaration,
    DeclarationState,
    Inspection,
    Meeting,
    MeetingKind,
    Objection,
    ObjectionState,
    PanelAssignment,
    PanelMember,
    ProposalChange,
    ReviewPanel,
    ReviewRound,
    RoundEntry,
    RoundKind,
    RoundMove,
    RoundState,
)

PANEL_MINIMUM = 5  # seed 1: 评议小组不少于5人


def create_panel(*, actor, village: Village, name: str, home_area: Area, members: list[tuple]) -> ReviewPanel:
    """`members` is a list of (user, kind). The acting user is recorded by the history of the memberships."""
    if len(members) < PANEL_MINIMUM:
        raise DomainError(
            _("A review panel needs at least %(n)d members.") % {"n": PANEL_MINIMUM}, field="members"
        )
    if home_area.village_id != village.pk:
        raise DomainError(_("The home area must be in the panel's village."), field="home_area")
    if len({user.pk for user, _kind in members}) != len(members):
        raise DomainError(_("A person can sit on a panel only once."), field="members")
    if ReviewPanel.objects.filter(village=village, name=name).exists():
        raise DomainError(_("The village already has a panel of this name."), field="name")
    with transaction.atomic():
        panel = ReviewPanel.objects.create(
            township_id=village.township_id, village=village, name=name, home_area=home_area
        )
        PanelMember.objects.bulk_create(
            PanelMember(township_id=village.township_id, panel=panel, user=user, kind=kind)
            for user, kind in members
        )
    return panel


# Rounds ----------------------------------------------------------------------------------------------------------

# move name → (states it may start from, state it leads to, action the actor needs)
MOVES: dict[str, tuple[set[str], str, Action]] = {
    "open": ({RoundState.DRAFT}, RoundState.COLLECTING, Action.RUN_ROUND),
    "start_panel_review": ({RoundState.COLLECTING}, RoundState.PANEL_REVIEW, Action.RUN_ROUND),
    "to_representatives": ({RoundState.PANEL_REVIEW}, RoundState.REPRESENTATIVES, Action.RUN_ROUND),
    "open_notice": (
        {RoundState.COLLECTING, RoundState.PANEL_REVIEW, RoundState.REPRESENTATIVES},
        RoundState.ON_NOTICE,
        Action.RUN_ROUND,
    ),
    "submit": ({RoundState.ON_NOTICE}, RoundState.SUBMITTED, Action.RUN_ROUND),
    # A round whose scheme lets its results count at the notice's end (seed 1's quarters): no township step.
    "finish": ({RoundState.ON_NOTICE}, RoundState.APPROVED, Action.RUN_ROUND),
    "approve": ({RoundState.SUBMITTED}, RoundState.APPROVED, Action.APPROVE_ROUND),
    "return": ({RoundState.SUBMITTED}, RoundState.PANEL_REVIEW, Action.APPROVE_ROUND),
}


def create_round(
    *,
    membership: Membership,
    village: Village,
    scheme: Scheme,
    kind: str,
    period: str,
    notice_days: int = MIN_NOTICE_DAYS,
) -> ReviewRound:
    check(membership, Action.RUN_ROUND, village)
    if scheme.township_id != village.township_id:
        raise DomainError(_("The scheme belongs to another township."), field="scheme")
    if scheme.state != SchemeState.ACTIVE:
        raise DomainError(_("The scheme %(scheme)s is not active.") % {"scheme": scheme}, field="scheme")
    expected = _period_pattern(kind, scheme.year)
    if not expected.fullmatch(period):
        raise DomainError(
            _("A %(kind)s round of %(year)d has a period like %(example)s.")
            % {
                "kind": RoundKind(kind).label,
                "year": scheme.year,
                "example": f"{scheme.year}-Q1" if kind == RoundKind.QUARTERLY else scheme.year,
            },
            field="period",
        )
    if notice_days < MIN_NOTICE_DAYS:
        raise DomainError(NOTICE_TOO_SHORT, field="notice_days", code="notice_too_short")
    round_ = ReviewRound(
        township_id=village.township_id,
        village=village,
        scheme=scheme,
        kind=kind,
        period=period,
        notice_days=notice_days,
        notice_token=secrets.token_urlsafe(32),
        created_by=membership.user,
    )
    full_clean_or_raise(round_)
    round_.save()
    return round_


def _period_pattern(kind: str, year: int) -> re.Pattern:
    if kind == RoundKind.BATCH:
        return re.compile(rf"{year}-B\d{{2,3}}")
    return re.compile(rf"{year}-Q[1-4]") if kind == RoundKind.QUARTERLY else re.compile(str(year))


def move_round(*, membership: Membership, round: ReviewRound, move: str, comment: str = "") -> ReviewRound:  # noqa: A002
    """The only way a round changes state. Safe against double clicks and two people at once: the round's row
    is locked, and whoever comes second is told what already happened."""
    if move not in MOVES:
        raise DomainError(_("Unknown move."), field="move")
    sources, target, action = MOVES[move]
    check(membership, action, round.village)
    with transaction.atomic():
        locked = ReviewRound.objects.select_for_update().get(pk=round.pk)
        if locked.state not in sources:
            last = locked.moves.select_related("actor").last()
            raise DomainError(
                _("This round is %(state)s%(by)s; it cannot be moved by “%(move)s” now.")
                % {
                    "state": locked.get_state_display(),
                    "by": _(" (moved by %(user)s at %(at)s)")
                    % {"user": last.actor, "at": timezone.localtime(last.at).strftime("%Y-%m-%d %H:%M")}
                    if last
                    else "",
                    "move": MOVE_LABELS.get(move, move),
                },
                code="illegal_move",
            )
        PRECONDITIONS[move](locked, comment)
        from_state = locked.state
        now = timezone.now()
        locked.state = target
        fields = ["state"]
        if move == "open_notice":
            _start_notice(locked, now)
            fields += ["notice_opened_at", "notice_ends_at", "notice_number", "notice_closed_at"]
        if move in ("submit", "finish") and locked.notice_closed_at is None:
            locked.notice_closed_at = now  # the notice is over (the beat may not have passed yet)
            fields.append("notice_closed_at")
        if target == RoundState.APPROVED:
            locked.approved_at = now
            fields.append("approved_at")
        # The round is saved approved before its entries: the database lets an entry count only when the round
        # (or batch) it was posted with is approved after its notice closed (review migration 0004).
        locked.save(update_fields=fields)
        if move == "open_notice":
            _show_corrections(locked)
        if target == RoundState.APPROVED:
            _post_entries(locked, membership.user, comment)
        _trail(
            locked,
            move=move,
            actor=membership.user,
            comment=comment.strip(),
            from_state=from_state,
            to_state=target,
        )
    round.refresh_from_db()
    return round


def _trail(
    round_: ReviewRound, *, move: str, actor, comment: str = "", from_state=None, to_state=None
) -> RoundMove:
    """One row of the round's trail: who did what, when and why (from/to default to the round's state)."""
    return RoundMove.objects.create(
        township_id=round_.township_id,
        round=round_,
        from_state=from_state or round_.state,
        to_state=to_state or round_.state,
        move=move,
        actor=actor,
        comment=comment,
    )


NOTICE_TOO_SHORT = _lazy(
    "A notice runs at least three whole calendar days: the township may lengthen it, never shorten it."
)


def notice_end(opened_at: datetime.datetime, days: int, tz: str | datetime.tzinfo) -> datetime.datetime:
    """The end of a notice posted at `opened_at`: the end of the `days`-th calendar day after the day it was posted,
    in the township's time zone (posted 6 Dec at 23:50, three days: 7, 8 and 9 Dec, ending at 10 Dec 00:00)."""
    zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    posted_on = opened_at.astimezone(zone).date()
    end_day = posted_on + datetime.timedelta(days=days + 1)
    return datetime.datetime.combine(end_day, datetime.time.min, tzinfo=zone).astimezone(datetime.UTC)


def _start_notice(round_: ReviewRound, now) -> None:
    # A round created under the old one-day minimum still gets a full notice (never shorter than three days).
    days = max(round_.notice_days, MIN_NOTICE_DAYS)
    round_.notice_opened_at = now
    round_.notice_ends_at = notice_end(now, days, round_.township.timezone)
    round_.notice_number += 1
    round_.notice_closed_at = None


def _post_entries(round_: ReviewRound, actor, comment: str) -> int:
    """Every proposal of the round becomes an approved ledger entry, in the same transaction as the move."""
    entries = Entry.objects.filter(round_link__round=round_, state=EntryState.PROPOSED)
    default = _("Notice batch approved") if round_.kind == RoundKind.BATCH else _("Review round approved")
    return approve_entries(actor=actor, entries=list(entries), reason=comment or default)


def _show_corrections(round_: ReviewRound) -> int:
    """Corrections of the village's approved entries (township office, with a reason) count at once; they are
    listed on the village's next notice, whichever round or batch it is, so nothing changes unseen."""
    unshown = Entry.objects.filter(
        village=round_.village,
        scheme=round_.scheme,
        source=EntrySource.CORRECTION,
        round_link__isnull=True,
    ).values_list("pk", flat=True)
    links = [RoundEntry(township_id=round_.township_id, round=round_, entry_id=pk) for pk in unshown]
    RoundEntry.objects.bulk_create(links)
    return len(links)


def township_approval_needed(round_: ReviewRound) -> bool:
    """Whether the round goes to the township after its notice (the scheme says, per round kind)."""
    if round_.kind == RoundKind.QUARTERLY:
        return round_.scheme.township_approves_quarterly
    if round_.kind == RoundKind.ANNUAL:
        return round_.scheme.township_approves_annual
    return True  # a notice batch always does


def waiting_for_a_notice(scheme: Scheme):
    """The scheme's entries recorded directly (clerk, grid worker, bulk, agreed transfers) that wait for a notice
    batch: proposed and on no round yet."""
    undecided = [TransferState.PENDING, TransferState.REFUSED]  # a transfer waits for both villages' consent
    return (
        Entry.objects.filter(scheme=scheme, state=EntryState.PROPOSED, round_link__isnull=True)
        .exclude(transfer_debit__state__in=undecided)
        .exclude(transfer_credit__state__in=undecided)
    )


def direct_proposals(village: Village, scheme: Scheme):
    """The village's entries waiting for a notice batch."""
    return waiting_for_a_notice(scheme).filter(village=village)


def post_notice_batch(
    *,
    membership: Membership,
    village: Village,
    scheme: Scheme,
    notice_days: int = MIN_NOTICE_DAYS,
    only: Sequence[int] | None = None,
) -> ReviewRound:
    """公示批次: every direct proposal of the village not yet posted (or those of `only`) goes on one notice,
    opened at once. Like a round's notice (printed sheet, public page, objections, QR); the township approves it
    after it ends."""
    check(membership, Action.RUN_ROUND, village)
    if scheme.township_id != village.township_id:
        raise DomainError(_("The scheme belongs to another township."), field="scheme")
    if scheme.state != SchemeState.ACTIVE:
        raise DomainError(_("The scheme %(scheme)s is not active.") % {"scheme": scheme}, field="scheme")
    with transaction.atomic():
        Village.objects.select_for_update().filter(pk=village.pk).first()  # one batch at a time per village
        waiting = direct_proposals(village, scheme)
        if only is not None:  # some of them (e.g. the ones the clerk ticked)
            waiting = waiting.filter(pk__in=list(only))
        entries = list(waiting.values_list("pk", flat=True))
        if not entries:
            raise DomainError(
                _("%(village)s has no directly recorded entries waiting for a notice.")
                % {"village": village},
                code="nothing_to_post",
            )
        batches = ReviewRound.objects.filter(village=village, scheme=scheme, kind=RoundKind.BATCH).count()
        round_ = create_round(
            membership=membership,
            village=village,
            scheme=scheme,
            kind=RoundKind.BATCH,
            period=f"{scheme.year}-B{batches + 1:02d}",
            notice_days=notice_days,
        )
        RoundEntry.objects.bulk_create(
            RoundEntry(township_id=round_.township_id, round=round_, entry_id=pk) for pk in entries
        )
        _trail(
            round_,
            move="post_batch",
            actor=membership.user,
            comment=_("%(n)d directly recorded entries posted.") % {"n": len(entries)},
            to_state=RoundState.COLLECTING,
        )
        ReviewRound.objects.filter(pk=round_.pk).update(state=RoundState.COLLECTING)
        round_.state = RoundState.COLLECTING
        return move_round(membership=membership, round=round_, move="open_notice")


def _check_open(round_: ReviewRound, comment: str) -> None:
    if round_.scheme.state != SchemeState.ACTIVE:
        raise DomainError(_("The scheme is no longer active."))
    if not round_.assignments.exists():
        raise DomainError(_("Assign review panels to the village's areas first (cross-review)."))


def _check_panel_review(round_: ReviewRound, comment: str) -> None:
    if round_.kind == RoundKind.QUARTERLY:
        missing = households_to_inspect(round_).count()
        if missing:
            raise DomainError(
                _("%(n)d households taking part have not been inspected yet.") % {"n": missing},
                code="not_inspected",
            )


def _check_panel_done(round_: ReviewRound, comment: str) -> None:
    pending = round_.declarations.filter(state=DeclarationState.PENDING).count()
    if pending:
        raise DomainError(_("%(n)d declarations still wait for the panel's decision.") % {"n": pending})
    missing = panels_without_quorate_meeting(round_)
    if missing:
        raise DomainError(
            _(
                "Record a panel meeting with a quorum first (more than half of the panel and at least %(min)d): %(panels)s."
            )
            % {"min": PANEL_MINIMUM, "panels": "、".join(p.name for p in missing)}
        )


def _check_to_representatives(round_: ReviewRound, comment: str) -> None:
    if round_.kind != RoundKind.ANNUAL:
        raise DomainError(_("Only an annual review has a representatives' meeting."))
    _check_panel_done(round_, comment)


def _check_open_notice(round_: ReviewRound, comment: str) -> None:
    if (round_.kind == RoundKind.BATCH) != (round_.state == RoundState.COLLECTING):
        raise DomainError(_("Only a notice batch goes on notice straight from collecting."))
    if round_.kind == RoundKind.BATCH:
        return
    if round_.kind == RoundKind.ANNUAL and round_.state != RoundState.REPRESENTATIVES:
        raise DomainError(_("An annual review goes to the representatives' meeting before the notice."))
    if round_.kind == RoundKind.ANNUAL:
        if not round_.meetings.filter(kind=MeetingKind.REPRESENTATIVES).exists():
            raise DomainError(_("Record the representatives' meeting first."))
        return
    _check_panel_done(round_, comment)


def _check_submit(round_: ReviewRound, comment: str) -> None:
    now = timezone.now()
    if round_.notice_ends_at is None or now < round_.notice_ends_at:
        raise DomainError(
            _("The notice runs to the end of %(day)s; the round can be submitted only after it ends.")
            % {"day": date_format(round_.notice_last_day, "DATE_FORMAT") if round_.notice_ends_at else "—"},
            code="notice_running",
        )
    open_objections = round_.objections.filter(state=ObjectionState.OPEN).count()
    if open_objections:
        raise DomainError(_("%(n)d objections are not resolved yet.") % {"n": open_objections})


def _check_finish(round_: ReviewRound, comment: str) -> None:
    if township_approval_needed(round_):
        raise DomainError(
            _("The scheme sends this kind of round to the township: submit it for approval."),
            code="township_approval_needed",
        )
    _check_submit(round_, comment)
    upheld = round_.objections.filter(state=ObjectionState.UPHELD, notice_number=round_.notice_number).count()
    if upheld:
        raise DomainError(
            _("%(n)d objections to this notice were upheld: submit the round to the township.")
            % {"n": upheld},
            code="objection_upheld",
        )


def _check_approve(round_: ReviewRound, comment: str) -> None:
    if round_.notice_closed_at is None:
        raise DomainError(_("The round's notice has not ended."), code="notice_running")


def _check_return(round_: ReviewRound, comment: str) -> None:
    if round_.kind == RoundKind.BATCH:
        raise DomainError(
            _(
                "A notice batch has no panel to return to: withdraw the entries the township does not accept, "
                "with a reason, then approve the batch."
            ),
            code="illegal_move",
        )
    if not comment.strip():
        raise DomainError(_("Say why the round is returned."), field="comment")


PRECONDITIONS = {
    "open": _check_open,
    "start_panel_review": _check_panel_review,
    "to_representatives": _check_to_representatives,
    "open_notice": _check_open_notice,
    "submit": _check_submit,
    "finish": _check_finish,
    "approve": _check_approve,
    "return": _check_return,
}
MOVE_LABELS = {
    "open": _lazy("open for collecting"),
    "start_panel_review": _lazy("start the panel review"),
    "to_representatives": _lazy("send to the representatives' meeting"),
    "open_notice": _lazy("open the public notice"),
    "submit": _lazy("submit to the township"),
    "finish": _lazy("close the notice: the results count"),
    "approve": _lazy("approve"),
    "return": _lazy("return to the panel"),
}
# What the trail says of every row, moves and the other steps alike (not moves a member can ask for).
TRAIL_LABELS = {
    **MOVE_LABELS,
    "post_batch": _lazy("post the directly recorded entries on a notice batch"),
    "fresh_notice": _lazy("fresh notice after an upheld objection"),
}


def possible_moves(round_: ReviewRound) -> list[str]:
    """The moves the round's kind and state allow (the member's role and the preconditions still apply)."""
    moves = []
    for name, (sources, _target, _action) in MOVES.items():
        if round_.state not in sources:
            continue
        if name == "to_representatives" and round_.kind != RoundKind.ANNUAL:
            continue
        if name == "open_notice" and (round_.kind == RoundKind.BATCH) != (
            round_.state == RoundState.COLLECTING
        ):
            continue
        if (
            name == "open_notice"
            and round_.kind == RoundKind.ANNUAL
            and round_.state != RoundState.REPRESENTATIVES
        ):
            continue
        if name == "finish" and township_approval_needed(round_):
            continue
        if name == "return" and round_.kind == RoundKind.BATCH:
            continue
        moves.append(name)
    return moves


def close_ended_notices() -> int:
    """Periodic (beat): mark notices whose time is up, and let the rounds whose scheme needs no township step
    count (`finish_at_notice_end`). Never a task scheduled days ahead. Safe to run twice."""
    ended = ReviewRound.objects.filter(
        state=RoundState.ON_NOTICE, notice_ends_at__lte=timezone.now(), notice_closed_at__isnull=True
    )
    ids = list(ended.values_list("pk", flat=True))
    closed = ReviewRound.objects.filter(pk__in=ids).update(notice_closed_at=timezone.now())
    for round_ in ReviewRound.objects.filter(pk__in=ids).select_related("scheme", "village", "township"):
        finish_at_notice_end(round_)
    return closed


def finish_at_notice_end(round_: ReviewRound) -> bool:
    """Seed 1's quarter counts when its notice ends without an upheld objection: the one who opened the notice
    finishes it (their move, in the trail). Anything that needs a person — an open or upheld objection, the
    township's approval, an opener no longer allowed — leaves the round for the pages."""
    if township_approval_needed(round_):
        return False
    opened = round_.moves.filter(move__in=["open_notice", "fresh_notice"]).order_by("-at", "-pk").first()
    membership = membership_of(opened.actor, round_.township_id) if opened else None
    if membership is None or not can(membership, Action.RUN_ROUND, round_.village):
        return False
    try:
        move_round(
            membership=membership,
            round=round_,
            move="finish",
            comment=_("The notice ended without an upheld objection: the results count."),
        )
    except DomainError:
        return False
    return True


# Cross-review ----------------------------------------------------------------------------------------------------


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


def assign_panel(
    *, membership: Membership, round: ReviewRound, panel: ReviewPanel, area: Area
) -> PanelAssignment:  # noqa: A002
    check(membership, Action.RUN_ROUND, round.village)
    if round.state not in (RoundState.DRAFT, RoundState.COLLECTING):
        raise DomainError(_("Panels are assigned before the panel review starts."))
    if panel.village_id != round.village_id or area.village_id != round.village_id:
        raise DomainError(_("The panel and the area must belong to the round's village."), field="area")
    if panel.home_area_id == area.pk:
        raise DomainError(
            _("Cross-review: %(panel)s cannot inspect its own home area %(area)s.")
            % {"panel": panel.name, "area": area.name},
            field="area",
            code="own_area",
        )
    assignment, _created = PanelAssignment.objects.update_or_create(
        round=round, area=area, defaults={"panel": panel, "township_id": round.township_id}
    )
    return assignment


def apply_rotation(*, membership: Membership, round: ReviewRound) -> list[PanelAssignment]:  # noqa: A002
    proposal = propose_rotation(round)
    if not proposal:
        raise DomainError(
            _("The village needs at least two review panels with different home areas for cross-review.")
        )
    with transaction.atomic():
        return [
            assign_panel(membership=membership, round=round, panel=panel, area=area)
            for panel, area in proposal
        ]


# Inspections -----------------------------------------------------------------------------------------------------


def households_to_inspect(round_: ReviewRound):
    """Households taking part in the round's village without an inspection yet."""
    return (
        Household.objects.taking_part()
        .filter(village=round_.village)
        .exclude(pk__in=round_.inspections.values("household_id"))
    )


def inspection_progress(round_: ReviewRound) -> list[dict]:
    """Per area: {"area", "inspected", "total"} in one query ("37 of 92 inspected")."""
    inspected = round_.inspections.values("household_id")
    rows = (
        Household.objects.taking_part()
        .filter(village=round_.village)
        .values("area_id", "area__name")
        .annotate(total=Count("id"), inspected=Count("id", filter=Q(pk__in=inspected)))
        .order_by("area__name")
    )
    return [
        {"area_id": r["area_id"], "area": r["area__name"], "inspected": r["inspected"], "total": r["total"]}
        for r in rows
    ]


def _panels_of(user, round_: ReviewRound):
    return PanelAssignment.objects.filter(round=round_, panel__members__user=user)


def record_inspection(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    household: Household,
    inspected_on: datetime.date,
    findings: Sequence[dict] = (),
    comment: str = "",
    override_reason: str = "",
) -> Inspection:
    """A panel member's visit: findings are dicts {item, comment, evidence: [files]}; each becomes a proposal.
    With `override_reason` the township office records it in the assigned panel's place (cross-review override)."""
    overriding = _check_panel_role(membership, household, override_reason)
    user = membership.user
    if round.state != RoundState.COLLECTING:
        raise DomainError(_("Inspections are recorded while the round is collecting."), code="illegal_state")
    if household.village_id != round.village_id:
        raise DomainError(_("This household is not in the round's village."), field="household")
    if not overriding and not _panels_of(user, round).filter(area_id=household.area_id).exists():
        raise DomainError(
            _("Your panel is not assigned to area %(area)s in this round.") % {"area": household.area.name},
            field="household",
            code="not_assigned",
        )
    if round.kind == RoundKind.QUARTERLY and period_of(Cadence.QUARTERLY, inspected_on) != round.period:
        raise DomainError(
            _("The inspection date must fall in %(period)s.") % {"period": round.period}, field="inspected_on"
        )
    with transaction.atomic():
        _require_cross_review(
            membership=membership,
            round_=round,
            households=[household],
            override_reason=override_reason,
            decision=_("Inspection"),
        )
        inspection, _created = Inspection.objects.get_or_create(
            round=round,
            household=household,
            defaults={
                "township_id": round.township_id,
                "inspector": user,
                "inspected_on": inspected_on,
                "comment": comment.strip(),
            },
        )
        for finding in findings:
            item = finding["item"]
            if round.kind == RoundKind.QUARTERLY and item.category.cadence != Cadence.QUARTERLY:
                raise DomainError(
                    _(
                        "%(item)s belongs to an annual category; a quarterly inspection records quarterly items only."
                    )
                    % {"item": item.name},
                    field="item",
                )
            _require_round_item(round, item)
            entry = record_entry(
                actor=user,
                household=household,
                item=item,
                occurred_on=inspected_on,
                source=EntrySource.INSPECTION,
                reason=finding.get("comment", ""),
                evidence=finding.get("evidence", ()),
                idempotency_key=finding.get("idempotency_key", ""),
            )
            RoundEntry.objects.get_or_create(
                entry=entry,
                defaults={"township_id": round.township_id, "round": round, "inspection": inspection},
            )
    return inspection


def _check_panel_role(membership: Membership, obj, override_reason: str) -> bool:
    """Panel work is the panel's; the township office may do it in the panel's place with an override reason.
    True when the township overrides."""
    if not override_reason.strip():
        check(membership, Action.PANEL_WORK, obj)
        return False
    if not can(membership, Action.APPROVE_ROUND, obj):
        check(membership, Action.PANEL_WORK, obj)  # 404 or 403 first, as without a reason
        raise DomainError(
            _("Only the township office can override cross-review."),
            field="override_reason",
            code="override_not_allowed",
        )
    return True


def _require_round_item(round_: ReviewRound, item: Item) -> None:
    if item.category.scheme_id != round_.scheme_id:
        raise DomainError(_("This item belongs to another scheme."), field="item")


# Declarations ----------------------------------------------------------------------------------------------------


def declare(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    household: Household,
    item: Item,
    occurred_on: datetime.date,
    place: str,
    description: str,
    evidence: Sequence = (),
    on_behalf: bool = False,
) -> Declaration:
    """A household's own claim, taken at the counter or by a grid worker on its behalf (代为申报)."""
    check(membership, Action.RUN_ROUND, household)
    if round.kind != RoundKind.ANNUAL:
        raise DomainError(_("Households declare in the annual review."))
    if round.state != RoundState.COLLECTING:
        raise DomainError(_("Declarations are taken while the round is collecting."), code="illegal_state")
    if household.village_id != round.village_id:
        raise DomainError(_("This household is not in the round's village."), field="household")
    _require_round_item(round, item)
    if not place.strip() or not description.strip():
        raise DomainError(_("Say where it happened and what happened."), field="description")
    if Declaration.objects.filter(
        round=round, household=household, item=item, occurred_on=occurred_on, description=description.strip()
    ).exists():  # a double submit at the counter
        raise DomainError(_("This declaration has already been taken."), code="duplicate")
    with transaction.atomic():
        entry = record_entry(
            actor=membership.user,
            household=household,
            item=item,
            occurred_on=occurred_on,
            source=EntrySource.DECLARATION,
            reason=description.strip(),
            evidence=evidence,
        )
        declaration = Declaration.objects.create(
            township_id=round.township_id,
            round=round,
            household=household,
            item=item,
            occurred_on=occurred_on,
            place=place.strip(),
            description=description.strip(),
            on_behalf=on_behalf,
            declared_by=membership.user,
        )
        RoundEntry.objects.create(
            township_id=round.township_id, round=round, entry=entry, declaration=declaration
        )
    return declaration


def decide_declaration(
    *,
    membership: Membership,
    declaration: Declaration,
    decision: str,
    reason: str = "",
    adjusted_item: Item | None = None,
    override_reason: str = "",
) -> Declaration:
    """The panel accepts, rejects, adjusts (another item) or finds a declaration false (it then costs double).
    Cross-review: never by a member of the household or of its own area's panel, unless the township overrides."""
    _check_panel_role(membership, declaration.household, override_reason)
    round_ = declaration.round
    if round_.state != RoundState.PANEL_REVIEW:
        raise DomainError(_("Declarations are verified during the panel review."), code="illegal_state")
    if decision not in {
        DeclarationState.ACCEPTED,
        DeclarationState.REJECTED,
        DeclarationState.ADJUSTED,
        DeclarationState.FALSE,
    }:
        raise DomainError(_("Unknown decision."), field="decision")
    if decision != DeclarationState.ACCEPTED and not reason.strip():
        raise DomainError(_("Give the reason for the decision."), field="reason")
    user = membership.user
    with transaction.atomic():
        _require_cross_review(
            membership=membership,
            round_=round_,
            households=[declaration.household],
            override_reason=override_reason,
            decision=_("Declaration decision"),
        )
        declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if declaration.state != DeclarationState.PENDING:
            raise DomainError(
                _("This declaration is already decided (%(state)s).")
                % {"state": declaration.get_state_display()}
            )
        entry = declaration.round_entry.entry
        if decision == DeclarationState.REJECTED:
            withdraw_entry(actor=user, entry=entry, reason=reason)
        elif decision == DeclarationState.ADJUSTED:
            if adjusted_item is None:
                raise DomainError(_("Choose the item the declaration is adjusted to."), field="adjusted_item")
            _change_proposal(user=user, round_=round_, entry=entry, reason=reason, new_item=adjusted_item)
        elif decision == DeclarationState.FALSE:
            penalty = penalise_false_declaration(actor=user, entry=entry, reason=reason)
            RoundEntry.objects.create(township_id=round_.township_id, round=round_, entry=penalty)
        declaration.state, declaration.decided_by, declaration.decided_at = decision, user, timezone.now()
        declaration.decision_reason = reason.strip()
        declaration.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    return declaration


# Meetings and changes --------------------------------------------------------------------------------------------


def change_proposal(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    entry: Entry,
    reason: str,
    new_item: Item | None = None,
    meeting: Meeting | None = None,
    objection: "Objection | None" = None,
    override_reason: str = "",
) -> ProposalChange:
    """A proposal changed with a reason: the old one is withdrawn (still visible), the new one proposed. Cross-review:
    never by a member of the household or of its own area's panel, unless the township overrides with a reason."""
    with transaction.atomic():
        _require_cross_review(
            membership=membership,
            round_=round,
            households=[entry.household],
            override_reason=override_reason,
            decision=_("Proposal change"),
        )
        return _change_proposal(
            user=membership.user,
            round_=round,
            entry=entry,
            reason=reason,
            new_item=new_item,
            meeting=meeting,
            objection=objection,
        )


def _change_proposal(
    *,
    user,
    round_: ReviewRound,
    entry: Entry,
    reason: str,
    new_item: Item | None = None,
    meeting: Meeting | None = None,
    objection: "Objection | None" = None,
) -> ProposalChange:
    """The change itself, once the decision's cross-review is checked (by a meeting, an objection's outcome, a
    declaration's adjustment or `change_proposal`)."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the change."), field="reason")
    if not RoundEntry.objects.filter(round=round_, entry=entry).exists():
        raise DomainError(_("This entry is not a proposal of the round."), field="entry")
    with transaction.atomic():
        withdraw_entry(actor=user, entry=entry, reason=reason)
        new_entry = None
        if new_item is not None:
            _require_round_item(round_, new_item)
            new_entry = record_entry(
                actor=user,
                household=entry.household,
                item=new_item,
                occurred_on=entry.occurred_on,
                source=entry.source,
                reason=reason.strip(),
            )
            RoundEntry.objects.create(township_id=round_.township_id, round=round_, entry=new_entry)
        return ProposalChange.objects.create(
            township_id=round_.township_id,
            round=round_,
            meeting=meeting,
            objection=objection,
            old_entry=entry,
            new_entry=new_entry,
            reason=reason.strip(),
            actor=user,
        )


def panels_without_quorate_meeting(round_: ReviewRound) -> list[ReviewPanel]:
    panels = list(ReviewPanel.objects.filter(pk__in=round_.assignments.values("panel_id")).distinct())
    if not panels:
        panels = list(ReviewPanel.objects.filter(village=round_.village))[:1]
    quorate = set(
        round_.meetings.filter(kind=MeetingKind.PANEL, panel__in=panels).values_list("panel_id", flat=True)
    )
    return [p for p in panels if p.pk not in quorate]


def record_panel_meeting(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    panel: ReviewPanel,
    held_on: datetime.date,
    attendees: Sequence,
    notes: str = "",
    changes: Sequence[dict] = (),
    override_reason: str = "",
) -> Meeting:
    """The whole panel verifies the proposals. Quorum: more than half of the panel and at least five people.
    `changes` are dicts {entry, reason, new_item (optional)}; every other proposal stands confirmed. The changes are
    the meeting's vote: cross-review refuses changes to households of the panel's own area or of an attendee's own
    household (or own area's panel), unless the township overrides with a reason."""
    if not (
        can(membership, Action.RUN_ROUND, round.village) or can(membership, Action.PANEL_WORK, round.village)
    ):
        raise PermissionDenied(_("Your role does not allow this."))
    if round.state != RoundState.PANEL_REVIEW:
        raise DomainError(_("The panel meeting is recorded during the panel review."), code="illegal_state")
    if panel.village_id != round.village_id:
        raise DomainError(_("This panel is not of the round's village."), field="panel")
    members = set(panel.members.values_list("user_id", flat=True))
    present = {user.pk for user in attendees}
    if strangers := present - members:
        raise DomainError(
            _("%(n)d of the attendees are not members of this panel.") % {"n": len(strangers)},
            field="attendees",
        )
    if not (len(present) * 2 > len(members) and len(present) >= PANEL_MINIMUM):
        raise DomainError(
            _(
                "No quorum: %(present)d of %(members)d panel members attended; more than half and at least %(min)d are needed."
            )
            % {"present": len(present), "members": len(members), "min": PANEL_MINIMUM},
            field="attendees",
            code="no_quorum",
        )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            township_id=round.township_id,
            round=round,
            kind=MeetingKind.PANEL,
            panel=panel,
            held_on=held_on,
            notes=notes.strip(),
            recorded_by=membership.user,
        )
        meeting.attendees.set(list(present))
        if changes:
            _require_cross_review(
                membership=membership,
                round_=round,
                households=[change["entry"].household for change in changes],
                override_reason=override_reason,
                deciders=list(attendees),
                panel=panel,
                decision=_("Panel meeting of %(panel)s") % {"panel": panel.name},
            )
        for change in changes:
            _change_proposal(user=membership.user, round_=round, meeting=meeting, **change)
    return meeting


def record_representatives_meeting(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    held_on: datetime.date,
    attendee_names: str,
    township_staff: str,
    notes: str = "",
    changes: Sequence[dict] = (),
) -> Meeting:
    """Annual review: the party members' and villagers' representatives review openly, township staff present."""
    check(membership, Action.RUN_ROUND, round.village)
    if round.state != RoundState.REPRESENTATIVES:
        raise DomainError(
            _("The representatives' meeting is recorded at its step of the annual review."),
            code="illegal_state",
        )
    if not attendee_names.strip():
        raise DomainError(_("List who attended."), field="attendee_names")
    if not township_staff.strip():
        raise DomainError(_("Name the township staff who supervised the meeting."), field="township_staff")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            township_id=round.township_id,
            round=round,
            kind=MeetingKind.REPRESENTATIVES,
            held_on=held_on,
            attendee_names=attendee_names.strip(),
            township_staff=township_staff.strip(),
            notes=notes.strip(),
            recorded_by=membership.user,
        )
        # Not a panel decision: the representatives decide in the open, township staff present (no cross-review).
        for change in changes:
            _change_proposal(user=membership.user, round_=round, meeting=meeting, **change)
    return meeting


# Notice and objections -------------------------------------------------------------------------------------------


def notice_is_running(round_: ReviewRound) -> bool:
    return (
        round_.state == RoundState.ON_NOTICE
        and round_.notice_ends_at is not None
        and timezone.now() < round_.notice_ends_at
    )


def file_objection(
    *,
    round: ReviewRound,
    household: Household,
    objector_name: str,
    objector_phone: str = "",
    reason: str,
    filed_by=None,  # noqa: A002
) -> Objection:
    """From the clerk (for a villager) or the public notice page (filed_by None). Only while the notice runs."""
    if not notice_is_running(round):
        raise DomainError(
            _("The notice is not running: objections are no longer accepted."), code="notice_not_running"
        )
    if household.village_id != round.village_id:
        raise DomainError(_("This household is not in the round's village."), field="household")
    if not objector_name.strip():
        raise DomainError(_("Give the name of the person who objects."), field="objector_name")
    if not reason.strip():
        raise DomainError(_("Say what is wrong with the result."), field="reason")
    phone = objector_phone.strip()
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            raise DomainError(exc.messages[0], field="objector_phone") from exc
    return Objection.objects.create(
        township_id=round.township_id,
        round=round,
        household=household,
        objector_name=objector_name.strip()[:50],
        objector_phone=phone,
        reason=reason.strip(),
        filed_by=filed_by,
        notice_number=round.notice_number,
    )


def resolve_objection(
    *,
    membership: Membership,
    objection: Objection,
    upheld: bool,
    outcome: str,
    changes: Sequence[dict] = (),
    override_reason: str = "",
) -> Objection:
    """The panel's written outcome. An upheld objection that changes results puts them on a fresh notice.
    Cross-review: never by a member of a household concerned or of its own area's panel, unless the township
    overrides with a reason."""
    if not (
        can(membership, Action.RUN_ROUND, objection.household)
        or can(membership, Action.PANEL_WORK, objection.household)
    ):
        raise PermissionDenied(_("Your role does not allow this."))
    if not outcome.strip():
        raise DomainError(_("Write the outcome."), field="outcome")
    if changes and not upheld:
        raise DomainError(_("A dismissed objection changes nothing."), field="changes")
    with transaction.atomic():
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        round_ = ReviewRound.objects.select_for_update().get(pk=objection.round_id)
        if objection.state != ObjectionState.OPEN:
            raise DomainError(_("This objection is already resolved."))
        if round_.state != RoundState.ON_NOTICE:
            raise DomainError(
                _("Objections are resolved while the round is on notice."), code="illegal_state"
            )
        _require_cross_review(
            membership=membership,
            round_=round_,
            households=[objection.household, *(change["entry"].household for change in changes)],
            override_reason=override_reason,
            decision=_("Objection resolution"),
        )
        for change in changes:
            _change_proposal(user=membership.user, round_=round_, objection=objection, **change)
        objection.state = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
        objection.outcome, objection.resolved_by, objection.resolved_at = (
            outcome.strip(),
            membership.user,
            timezone.now(),
        )
        objection.save(update_fields=["state", "outcome", "resolved_by", "resolved_at"])
        if changes:
            _start_notice(round_, timezone.now())
            round_.save(
                update_fields=["notice_opened_at", "notice_ends_at", "notice_number", "notice_closed_at"]
            )
            _trail(round_, move="fresh_notice", actor=membership.user, comment=outcome.strip())
    return objection


# Cross-review on every panel decision -----------------------------------------------------------------------------

CROSS_REVIEW_OVERRIDE = "cross_review_override"  # the trail's name for a township override


def _cross_review_conflict(user, household: Household, *, acting: bool) -> DomainError | None:
    """Why `user` may not decide about `household`: they live in it, or they sit on the panel of its own area.
    `acting`: the user is the one asking (the message says "you"), else e.g. an attendee of a meeting."""
    params = {"person": user.get_full_name() or user.username, "number": household.number}
    if Resident.objects.filter(household=household, account=user).exists():
        message = (
            _(
                "You are a member of household %(number)s: another panel member must decide, or the township "
                "office may override with a reason."
            )
            if acting
            else _(
                "%(person)s is a member of household %(number)s and cannot vote on it: another panel must "
                "decide, or the township office may override with a reason."
            )
        )
        return DomainError(message % params, field="household", code="conflict_of_interest")
    own_panel = ReviewPanel.objects.filter(home_area_id=household.area_id, members__user=user).first()
    if own_panel is not None:
        params["panel"] = own_panel.name
        message = (
            _(
                "Cross-review: you sit on %(panel)s, the panel of household %(number)s's own area: another panel "
                "must decide, or the township office may override with a reason."
            )
            if acting
            else _(
                "Cross-review: %(person)s sits on %(panel)s, the panel of household %(number)s's own area: "
                "another panel must decide, or the township office may override with a reason."
            )
        )
        return DomainError(message % params, field="household", code="own_area")
    return None


def _require_cross_review(
    *,
    membership: Membership,
    round_: ReviewRound,
    households: Sequence[Household],
    override_reason: str = "",
    deciders: Sequence | None = None,
    panel: ReviewPanel | None = None,
    decision: str,
) -> None:
    """Every panel decision: nobody decides about their own household or their own area's households (the deciders
    are the acting member unless given, e.g. a meeting's attendees). The township office may override with a
    reason; the override is written into the round's trail. Call inside the decision's transaction."""
    reason = override_reason.strip()
    if reason and not can(membership, Action.APPROVE_ROUND, round_.village):
        raise DomainError(
            _("Only the township office can override cross-review."),
            field="override_reason",
            code="override_not_allowed",
        )
    conflict = None
    for household in dict.fromkeys(households):  # each once, in order
        if panel is not None and panel.home_area_id == household.area_id:
            conflict = DomainError(
                _(
                    "Cross-review: %(panel)s cannot decide about household %(number)s of its own home area: "
                    "another panel must decide, or the township office may override with a reason."
                )
                % {"panel": panel.name, "number": household.number},
                field="changes",
                code="own_area",
            )
        for user in deciders if deciders is not None else [membership.user]:
            conflict = conflict or _cross_review_conflict(user, household, acting=user == membership.user)
        if conflict is not None:
            break
    if conflict is None and not reason:
        return
    if not reason:
        raise conflict
    _trail(
        round_,
        move=CROSS_REVIEW_OVERRIDE,
        actor=membership.user,
        comment=_("%(decision)s, household %(numbers)s: %(reason)s")
        % {
            "decision": decision,
            "numbers": "、".join(h.number for h in dict.fromkeys(households)),
            "reason": reason,
        },
    )


TRAIL_LABELS[CROSS_REVIEW_OVERRIDE] = _lazy("township override of cross-review")  # a trail row, not a move
