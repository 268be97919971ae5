"""Objections (异议) to the results on notice: filed by the clerk for a villager or by anyone on the public notice
page while the notice runs, and resolved by the panel with a written outcome (upheld changes go on a fresh
notice)."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Household, Membership
from households.validators import validate_mobile

from ..models import Objection, ObjectionState, ReviewRound, RoundState
from ..selectors import notice_is_running
from .changes import _change_proposal
from .common import _require_any, _start_notice, _trail
from .cross_review import _require_cross_review


def file_objection(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    household: Household,
    objector_name: str,
    objector_phone: str = "",
    reason: str,
) -> Objection:
    """The clerk files a villager's objection (the township office or the village's clerk), while the notice runs."""
    require(membership, Action.RUN_ROUND, round)
    return _file(
        round_=round,
        household=household,
        objector_name=objector_name,
        objector_phone=objector_phone,
        reason=reason,
        filed_by=membership,
    )


def file_public_objection(
    *,
    round: ReviewRound,  # noqa: A002
    household: Household,
    objector_name: str,
    objector_phone: str = "",
    reason: str,
) -> Objection:
    """Anyone who reads the notice objects on its public page (reached by the notice's token): no member acts."""
    return _file(
        round_=round,
        household=household,
        objector_name=objector_name,
        objector_phone=objector_phone,
        reason=reason,
        filed_by=None,
    )


def _file(
    *,
    round_: ReviewRound,
    household: Household,
    objector_name: str,
    objector_phone: str,
    reason: str,
    filed_by: Membership | None,
) -> Objection:
    if not notice_is_running(round_):
        raise DomainError(
            _("The notice is not running: objections are no longer accepted."), code="notice_not_running"
        )
    if household.village_id != round_.village_id:
        raise DomainError(_("This household is not in the round's village."), field="household")
    name, phone, reason = checked_objector(
        objector_name=objector_name, objector_phone=objector_phone, reason=reason
    )
    return Objection.objects.create(
        township_id=round_.township_id,
        round=round_,
        household=household,
        objector_name=name,
        objector_phone=phone,
        reason=reason,
        filed_by=filed_by.user if filed_by is not None else None,
        notice_number=round_.notice_number,
    )


def checked_objector(*, objector_name: str, objector_phone: str, reason: str) -> tuple[str, str, str]:
    """(name, phone, reason) of an objection as kept, or the refusal that says what to fix: every notice's objections
    (a round's, and the demonstration programme's) ask the same of the person who objects."""
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
    return objector_name.strip()[:50], phone, reason.strip()


def resolve_objection(
    *,
    membership: Membership,
    objection: Objection,
    upheld: bool,
    outcome: str,
    changes: Sequence[dict[str, Any]] = (),
    override_reason: str = "",
) -> Objection:
    """The panel's written outcome (recorded by the panel or the clerk). An upheld objection that changes results
    puts them on a fresh notice. Cross-review: never by a member of a household concerned or of its own area's
    panel, unless the township overrides with a reason."""
    _require_any(membership, objection, Action.RUN_ROUND, Action.PANEL_WORK)
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
            _change_proposal(membership=membership, round_=round_, objection=objection, **change)
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
            _trail(round_, move="fresh_notice", membership=membership, comment=outcome.strip())
    return objection
