"""Rounds and notice batches: opening them and every move of their state machine (`MOVES`), with the
preconditions of each move, the township's approval that makes the proposals count, and the sweeper that closes
ended notices."""

import re
import secrets
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import DomainError, full_clean_or_raise
from core.permissions import Action, can, require
from households.models import Membership, Village
from scoring import services as scoring
from scoring.models import Entry, EntrySource, EntryState, Scheme, SchemeState

from ..models import (
    MIN_NOTICE_DAYS,
    DeclarationState,
    MeetingKind,
    ObjectionState,
    ReviewRound,
    RoundEntry,
    RoundKind,
    RoundState,
)
from ..selectors import (
    direct_proposals,
    households_to_inspect,
    panels_without_quorate_meeting,
    township_approval_needed,
)
from .common import NOTICE_TOO_SHORT, PANEL_MINIMUM, _start_notice, _trail
from .cross_review import CROSS_REVIEW_OVERRIDE

# move name → (states it may start from, state it leads to, action the member needs)
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
    CROSS_REVIEW_OVERRIDE: _lazy("township override of cross-review"),
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
    """A round of the village in draft (the township office or the village's clerk)."""
    require(membership, Action.RUN_ROUND, village)
    _require_active_scheme(scheme, village)
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


def _require_active_scheme(scheme: Scheme, village: Village) -> None:
    if scheme.township_id != village.township_id:
        raise DomainError(_("The scheme belongs to another township."), field="scheme")
    if scheme.state != SchemeState.ACTIVE:
        raise DomainError(_("The scheme %(scheme)s is not active.") % {"scheme": scheme}, field="scheme")


def _period_pattern(kind: str, year: int) -> re.Pattern:
    if kind == RoundKind.BATCH:
        return re.compile(rf"{year}-B\d{{2,3}}")
    return re.compile(rf"{year}-Q[1-4]") if kind == RoundKind.QUARTERLY else re.compile(str(year))


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
    require(membership, Action.RUN_ROUND, village)
    _require_active_scheme(scheme, village)
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
            membership=membership,
            comment=_("%(n)d directly recorded entries posted.") % {"n": len(entries)},
            to_state=RoundState.COLLECTING,
        )
        ReviewRound.objects.filter(pk=round_.pk).update(state=RoundState.COLLECTING)
        round_.state = RoundState.COLLECTING
        return move_round(membership=membership, round=round_, move="open_notice")


def move_round(*, membership: Membership, round: ReviewRound, move: str, comment: str = "") -> ReviewRound:  # noqa: A002
    """The only way a round changes state. Safe against double clicks and two people at once: the round's row
    is locked, and whoever comes second is told what already happened."""
    if move not in MOVES:
        raise DomainError(_("Unknown move."), field="move")
    sources, target, action = MOVES[move]
    require(membership, action, round)
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
            _post_entries(locked, membership, comment)
        _trail(
            locked,
            move=move,
            membership=membership,
            comment=comment.strip(),
            from_state=from_state,
            to_state=target,
        )
    round.refresh_from_db()
    return round


def approve_rounds(*, membership: Membership, rounds: Sequence[ReviewRound], comment: str = "") -> int:
    """The township approves several rounds and notice batches at once (say, all of a village's): each goes through
    `move_round`'s "approve", with its checks (the notice has ended) and its trail row carrying the one comment,
    all in one transaction — one refusal approves none. Returns how many entries now count."""
    if not rounds:
        raise DomainError(_("Tick the rounds or batches to approve."), field="rounds")
    ids = [round_.pk for round_ in rounds]
    proposed = Entry.objects.filter(round_link__round__in=ids, state=EntryState.PROPOSED)
    with transaction.atomic():
        before = proposed.count()
        for round_ in sorted(rounds, key=lambda r: r.pk):  # a fixed order: two people at once never deadlock
            try:
                move_round(membership=membership, round=round_, move="approve", comment=comment)
            except DomainError as exc:
                raise DomainError(
                    _("%(round)s: %(why)s Nothing was approved.") % {"round": round_, "why": exc.message},
                    code=exc.code,
                ) from exc
        return before - proposed.count()


def _post_entries(round_: ReviewRound, membership: Membership, comment: str) -> int:
    """Every proposal of the round becomes an approved ledger entry, in the same transaction as the move."""
    entries = Entry.objects.filter(round_link__round=round_, state=EntryState.PROPOSED)
    default = _("Notice batch approved") if round_.kind == RoundKind.BATCH else _("Review round approved")
    return scoring.approve_entries(membership=membership, entries=entries, reason=comment or default)


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


# Preconditions of the moves --------------------------------------------------------------------------------------


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
        last_day = round_.notice_last_day
        raise DomainError(
            _("The notice runs to the end of %(day)s; the round can be submitted only after it ends.")
            % {"day": date_format(last_day, "DATE_FORMAT") if last_day else "—"},
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


# The sweeper -----------------------------------------------------------------------------------------------------


def close_ended_notices() -> int:
    """Periodic (beat): mark notices whose time is up, and let the rounds whose scheme needs no township step
    count. Never a task scheduled days ahead. Safe to run twice. It acts for no member: a round it finishes is
    moved by the member who opened its notice, whose right `move_round` checks."""
    ended = ReviewRound.objects.filter(
        state=RoundState.ON_NOTICE, notice_ends_at__lte=timezone.now(), notice_closed_at__isnull=True
    )
    ids = list(ended.values_list("pk", flat=True))
    closed = ReviewRound.objects.filter(pk__in=ids).update(notice_closed_at=timezone.now())
    for round_ in ReviewRound.objects.filter(pk__in=ids).select_related("scheme", "village", "township"):
        _finish_at_notice_end(round_)
    return closed


def _finish_at_notice_end(round_: ReviewRound) -> bool:
    """Seed 1's quarter counts when its notice ends without an upheld objection: the one who opened the notice
    finishes it (their move, in the trail). Anything that needs a person — an open or upheld objection, the
    township's approval, an opener no longer allowed — leaves the round for the pages."""
    if township_approval_needed(round_):
        return False
    opened = round_.moves.filter(move__in=["open_notice", "fresh_notice"]).order_by("-at", "-pk").first()
    if opened is None:
        return False
    opener = Membership.objects.filter(user=opened.actor, township_id=round_.township_id).first()
    if opener is None or not can(opener, Action.RUN_ROUND, round_):
        return False
    try:
        move_round(
            membership=opener,
            round=round_,
            move="finish",
            comment=_("The notice ended without an upheld objection: the results count."),
        )
    except (DomainError, PermissionDenied):
        return False
    return True
