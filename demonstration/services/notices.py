"""The programme's notices (公示) and their objections (异议).

- The township's notice of an application opens with its "publish" move and must have ended, every objection
  resolved and none upheld, before the "forward" move (申报表"经所在乡镇公示审核").
- The region's notice of its result opens with the call's "publish_result" move; a selected village's award is
  recorded only after it has ended with no objection open or upheld against that village or the result as a whole
  ("评审结果经公示无异议后兑现以獎代补资金").
Anyone who reads a notice objects on its public page while it runs (`file_*_objection`: no member acts; the same
checks of name, phone and reason as a round's, `review.services.checked_objector`); the township, or the call's
region, resolves each objection in writing, and the resolution joins the application's or the call's trail.
A notice lasts the call's `notice_days` whole calendar days, ending as a round's does (`review.services.notice_end`).
"""

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import require, require_region
from core.tenancy import township_scope
from households.models import Membership
from review.models import ObjectionState
from review.services import checked_objector, notice_end

from ..models import (
    Application,
    ApplicationMove,
    ApplicationNotice,
    ApplicationObjection,
    ApplicationState,
    Call,
    CallMove,
    CallState,
    RegionMembership,
    ResultNotice,
    ResultObjection,
)
from ..moves import CALL_RIGHT, TOWNSHIP_RIGHT

RESOLVE_MOVE = "resolve_objection"  # the trail's row of a resolution (from and to the same state)


def _period(call: Call, tz: str, actor: Any, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    return {
        "opened_at": now,
        "ends_at": notice_end(now, call.notice_days, tz),
        "days": call.notice_days,
        "token": secrets.token_urlsafe(32),
        "posted_by": actor,
    }


def _day(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# The township's notice of an application ---------------------------------------------------------------------


def _post_application_notice(locked: Application, call: Call, *, actor: Any) -> ApplicationNotice:
    """Inside the "publish" move: the application goes on notice from now (one notice per application)."""
    if ApplicationNotice.objects.filter(application=locked).exists():
        raise DomainError(_("This application has already been posted."), code="already_posted")
    return ApplicationNotice.objects.create(
        township_id=locked.township_id,
        application=locked,
        **_period(call, locked.township.timezone, actor),
    )


def _check_application_notice_over(locked: Application) -> None:
    """Before the "forward" move: the notice has ended, and no objection is open or upheld."""
    notice = ApplicationNotice.objects.filter(application=locked).first()
    if notice is None:
        raise DomainError(
            _("The application was never posted in the township: post it before forwarding it."),
            code="not_posted",
        )
    if notice.is_running():
        raise DomainError(
            _("The application is on notice until %(end)s; it can be forwarded after the notice ends.")
            % {"end": _day(notice.ends_at)},
            code="notice_running",
        )
    _check_objections(notice.objections.all())


def _check_objections(objections: QuerySet) -> None:
    states = list(objections.values_list("state", flat=True))
    if ObjectionState.OPEN in states:
        raise DomainError(
            _("%(n)d objections to the notice are not resolved yet: resolve them first.")
            % {"n": states.count(ObjectionState.OPEN)},
            code="objections_open",
        )
    if ObjectionState.UPHELD in states:
        raise DomainError(
            _("An objection to the notice was upheld: the notice did not pass without objection."),
            code="objection_upheld",
        )


def file_application_objection(
    *, notice: ApplicationNotice, objector_name: str, objector_phone: str = "", reason: str
) -> ApplicationObjection:
    """Anyone who reads the township's notice objects on its public page (by the token) while it runs."""
    with township_scope(notice.township), transaction.atomic():
        locked = ApplicationNotice.objects.select_for_update().select_related("application").get(pk=notice.pk)
        if locked.has_ended() or locked.application.state != ApplicationState.ON_NOTICE:
            raise DomainError(
                _("The notice has ended: objections are no longer accepted."), code="notice_not_running"
            )
        name, phone, text = checked_objector(
            objector_name=objector_name, objector_phone=objector_phone, reason=reason
        )
        return ApplicationObjection.objects.create(
            township_id=locked.township_id,
            notice=locked,
            objector_name=name,
            objector_phone=phone,
            reason=text,
        )


def resolve_application_objection(
    *, membership: Membership, objection: ApplicationObjection, upheld: bool, outcome: str
) -> ApplicationObjection:
    """The township office resolves an objection in writing while the application waits for its check."""
    with township_scope(objection.township):
        require(membership, TOWNSHIP_RIGHT, objection.notice.application)
        outcome = outcome.strip()
        if not outcome:
            raise DomainError(_("Write the outcome."), field="outcome")
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=objection.notice.application_id)
            locked = ApplicationObjection.objects.select_for_update().get(pk=objection.pk)
            if locked.state != ObjectionState.OPEN:
                raise DomainError(_("This objection is already resolved."), code="resolved")
            if application.state != ApplicationState.ON_NOTICE:
                raise DomainError(
                    _("The application is %(state)s: its objections can no longer be resolved.")
                    % {"state": application.get_state_display()},
                    code="illegal_state",
                )
            _resolve(locked, upheld=upheld, outcome=outcome, actor=membership.user)
            ApplicationMove.objects.create(
                township_id=application.township_id,
                application=application,
                from_state=application.state,
                to_state=application.state,
                move=RESOLVE_MOVE,
                actor=membership.user,
                comment=_resolution_comment(locked),
            )
    return locked


# The region's notice of the call's result -------------------------------------------------------------------


def _post_result_notice(locked: Call, *, actor: Any) -> ResultNotice:
    """Inside the "publish_result" move: the result goes on notice from now (one notice per call)."""
    if ResultNotice.objects.filter(call=locked).exists():
        raise DomainError(_("This result has already been posted."), code="already_posted")
    return ResultNotice.objects.create(call=locked, **_period(locked, settings.TIME_ZONE, actor))


def _check_result_notice_over(call: Call, application: Application) -> None:
    """Before the "award" move: the result's notice has ended with no objection open or upheld against this
    village or against the result as a whole."""
    notice = ResultNotice.objects.filter(call=call).first()
    if notice is None:
        raise DomainError(
            _("The result was never posted: the award is paid only after the result's notice."),
            code="not_posted",
        )
    if notice.is_running():
        raise DomainError(
            _(
                "The result is on notice until %(end)s; the award is paid only after the notice ends without objection."
            )
            % {"end": _day(notice.ends_at)},
            code="notice_running",
        )
    concerning = notice.objections.filter(application__isnull=True) | notice.objections.filter(
        application=application
    )
    _check_objections(concerning)


def _check_upheld_against(call: Call, application: Application) -> None:
    """Before the "deselect" move: only an objection to the result upheld against this village, or against the
    result as a whole, takes a selected village off the result."""
    notice = ResultNotice.objects.filter(call=call).first()
    upheld = (
        notice is not None
        and (
            notice.objections.filter(state=ObjectionState.UPHELD, application__isnull=True)
            | notice.objections.filter(state=ObjectionState.UPHELD, application=application)
        ).exists()
    )
    if not upheld:
        raise DomainError(
            _(
                "Only an objection to the result upheld against this village (or the whole result) takes it off "
                "the result; record the award instead."
            ),
            code="no_upheld_objection",
        )


def file_result_objection(
    *,
    notice: ResultNotice,
    objector_name: str,
    objector_phone: str = "",
    reason: str,
    application: Application | None = None,
) -> ResultObjection:
    """Anyone who reads the result's notice objects on its public page (by the token) while it runs: to the result
    as a whole, or to one selected village."""
    with transaction.atomic():
        locked = ResultNotice.objects.select_for_update().select_related("call").get(pk=notice.pk)
        if locked.has_ended() or locked.call.state != CallState.RESULT_PUBLISHED:
            raise DomainError(
                _("The notice has ended: objections are no longer accepted."), code="notice_not_running"
            )
        if application is not None and (
            application.call_id != locked.call_id
            or application.state not in (ApplicationState.SELECTED, ApplicationState.AWARDED)
        ):
            raise DomainError(_("Choose one of the villages on the notice."), field="application")
        name, phone, text = checked_objector(
            objector_name=objector_name, objector_phone=objector_phone, reason=reason
        )
        return ResultObjection.objects.create(
            notice=locked, application=application, objector_name=name, objector_phone=phone, reason=text
        )


def resolve_result_objection(
    *, membership: RegionMembership, objection: ResultObjection, upheld: bool, outcome: str
) -> ResultObjection:
    """An officer of the call's region resolves an objection to the result in writing."""
    call = objection.notice.call
    require_region(membership, CALL_RIGHT, call.region)
    outcome = outcome.strip()
    if not outcome:
        raise DomainError(_("Write the outcome."), field="outcome")
    with transaction.atomic():
        locked_call = Call.objects.select_for_update().get(pk=call.pk)
        locked = ResultObjection.objects.select_for_update().get(pk=objection.pk)
        if locked.state != ObjectionState.OPEN:
            raise DomainError(_("This objection is already resolved."), code="resolved")
        if locked_call.state != CallState.RESULT_PUBLISHED:
            raise DomainError(
                _("The call is %(state)s: its objections can no longer be resolved.")
                % {"state": locked_call.get_state_display()},
                code="illegal_state",
            )
        _resolve(locked, upheld=upheld, outcome=outcome, actor=membership.user)
        CallMove.objects.create(
            call=locked_call,
            from_state=locked_call.state,
            to_state=locked_call.state,
            move=RESOLVE_MOVE,
            actor=membership.user,
            comment=_resolution_comment(locked),
        )
    return locked


# Both ---------------------------------------------------------------------------------------------------------


def _resolve(
    objection: ApplicationObjection | ResultObjection, *, upheld: bool, outcome: str, actor: Any
) -> None:
    objection.state = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
    objection.outcome, objection.resolved_by, objection.resolved_at = outcome, actor, timezone.now()
    objection.save(update_fields=["state", "outcome", "resolved_by", "resolved_at"])


def _resolution_comment(objection: ApplicationObjection | ResultObjection) -> str:
    return _("Objection of %(name)s %(state)s: %(outcome)s") % {
        "name": objection.objector_name,
        "state": objection.get_state_display(),
        "outcome": objection.outcome,
    }
