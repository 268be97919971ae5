"""A county or a city opens a call and moves it, from the draft to the result and the close (an officer of the
call's region: `RegionAction.RUN_CALL`)."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from core.permissions import require_region
from review.models import MIN_NOTICE_DAYS

from .. import selectors
from ..models import Call, CallMove, Region, RegionMembership
from ..moves import CALL_MOVE_LABELS, CALL_MOVES, CALL_RIGHT, call_target, illegal_move
from .notices import _post_result_notice


def create_call(
    *,
    membership: RegionMembership,
    region: Region,
    title: str,
    year: int,
    budget: Decimal,
    villages_wanted: int,
    applications_open_on: datetime.date,
    applications_close_on: datetime.date,
    preselection_ends_on: datetime.date,
    selection_ends_on: datetime.date,
    conditions: str = "",
    preselect_limit: int = 3,
    min_shop_share: Decimal = Decimal("30"),
    round_grace_days: int = 15,
    notice_days: int = MIN_NOTICE_DAYS,
) -> Call:
    """A county or a city opens a call in draft (an officer of that region)."""
    require_region(
        membership,
        CALL_RIGHT,
        region,
        message=_("Only an officer of %(region)s opens its calls.") % {"region": region},
    )
    call = Call(
        region=region,
        title=title.strip(),
        year=year,
        budget=budget,
        villages_wanted=villages_wanted,
        preselect_limit=preselect_limit,
        min_shop_share=min_shop_share,
        round_grace_days=round_grace_days,
        notice_days=notice_days,
        conditions=conditions.strip(),
        applications_open_on=applications_open_on,
        applications_close_on=applications_close_on,
        preselection_ends_on=preselection_ends_on,
        selection_ends_on=selection_ends_on,
        created_by=membership.user,
    )
    full_clean_or_raise(call)
    call.save()
    return call


def move_call(*, membership: RegionMembership, call: Call, move: str, comment: str = "") -> Call:
    """The only way a call changes state (an officer of its region)."""
    if move not in CALL_MOVES:
        raise DomainError(_("Unknown move."), field="move")
    require_region(membership, CALL_RIGHT, call.region)
    with transaction.atomic():
        locked = Call.objects.select_for_update().select_related("region").get(pk=call.pk)
        sources, _to = CALL_MOVES[move]
        if locked.state not in sources:
            last = locked.moves.select_related("actor").last()
            raise illegal_move(locked.get_state_display(), last, CALL_MOVE_LABELS[move])
        CALL_PRECONDITIONS[move](locked)
        from_state, target = locked.state, call_target(locked, move)
        locked.state = target
        fields = ["state"]
        if move == "publish_result":
            locked.result_published_at = timezone.now()
            fields.append("result_published_at")
        locked.save(update_fields=fields)
        if move == "publish_result":
            _post_result_notice(locked, actor=membership.user)
        CallMove.objects.create(
            call=locked,
            from_state=from_state,
            to_state=target,
            move=move,
            actor=membership.user,
            comment=comment.strip(),
        )
    call.refresh_from_db()
    return call


def _call_ok(call: Call) -> None:
    return None


def _check_close_applications(call: Call) -> None:
    today = timezone.localdate()
    if today <= call.applications_close_on:
        raise DomainError(
            _("Villages may apply until %(date)s; the applications close after that day.")
            % {"date": call.applications_close_on.isoformat()},
            code="applications_running",
        )


def _check_start_selection(call: Call) -> None:
    waiting = selectors.call_totals(call)["waiting_county"]
    if waiting:
        raise DomainError(
            _("%(n)d forwarded applications still wait for their county's pre-selection.") % {"n": waiting},
            code="preselection_running",
        )


def _check_publish_result(call: Call) -> None:
    totals = selectors.call_totals(call)
    waiting = totals["waiting_selection"] if call.has_preselection else totals["waiting_county"]
    if waiting:
        raise DomainError(
            _("%(n)d applications still wait for a decision.") % {"n": waiting}, code="selection_running"
        )
    if not totals["selected"]:
        raise DomainError(_("Select at least one village before publishing the result."))


def _check_close(call: Call) -> None:
    waiting = selectors.call_totals(call)["selected_unawarded"]
    if waiting:
        raise DomainError(_("%(n)d selected villages have no award recorded yet.") % {"n": waiting})


CALL_PRECONDITIONS = {
    "open": _call_ok,
    "close_applications": _check_close_applications,
    "start_selection": _check_start_selection,
    "publish_result": _check_publish_result,
    "close": _check_close,
}
