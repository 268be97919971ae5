"""A village applies to a call with its figures as Jifen has them now; then each level moves the application.

The village and the township act as township members (`membership: Membership`, `core.permissions.require`):
apply and withdraw need the village's right on that village, publish, forward and reject the township office's.
The county and the call's region act as region members (`membership: RegionMembership`,
`core.permissions.require_region`): pre-selection is the township's county's, scoring, selection and the award the
call's region's. The call's row is locked first, then the application's.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import require, require_region
from core.tenancy import township_scope
from households.models import Membership, Village

from .. import selectors
from ..form_files import check_form_file, form_name_for
from ..models import Application, ApplicationMove, ApplicationState, Call, CallState, Region, RegionMembership
from ..moves import (
    APPLICATION_MOVE_LABELS,
    APPLICATION_MOVES,
    COMMENT_REQUIRED,
    REGION_LEVELS,
    SCORED_MOVES,
    TOWNSHIP_LEVELS,
    VILLAGE_RIGHT,
    Level,
    call_states_for,
    illegal_move,
    level_of,
    sources_of,
)
from .notices import (
    _check_application_notice_over,
    _check_result_notice_over,
    _check_upheld_against,
    _post_application_notice,
)
from .survey import snapshot_evaluation


def apply(
    *, membership: Membership, call: Call, village: Village, form: UploadedFile, statement: str = ""
) -> Application:
    """A village applies to a call of its county or city (the township office, or the village's clerk); its
    figures are taken now and kept with the application (a snapshot)."""
    with township_scope(village.township):
        require(membership, VILLAGE_RIGHT, village)
        if not selectors.calls_for_township(village.township).filter(pk=call.pk).exists():
            raise PermissionDenied(_("Your role does not allow this."))  # another county's call
        today = timezone.localdate()
        _check_open(call, today)
        content_type = check_form_file(form)
        if (
            Application.objects.filter(call=call, village=village)
            .exclude(state=ApplicationState.WITHDRAWN)
            .exists()
        ):
            raise DomainError(_("This village has already applied to this call."), code="already_applied")
        figures = selectors.village_figures(village, call.year, on=today, grace_days=call.round_grace_days)
        if figures.shop_resident_share < call.min_shop_share:
            raise DomainError(
                _(
                    "Supermarket participation of %(village)s is %(share)s %% of its residents; "
                    "the call requires at least %(minimum)s %%."
                )
                % {
                    "village": village.name,
                    "share": _percent(figures.shop_resident_share),
                    "minimum": _percent(call.min_shop_share),
                },
                field="village",
                code="below_threshold",
            )
        with transaction.atomic():
            application = Application(
                township_id=village.township_id,
                call=call,
                village=village,
                statement=statement.strip(),
                form_name=form_name_for(form.name or "", content_type),
                form_content_type=content_type,
                form_size=form.size or 0,
                figures_at=timezone.now(),
                applied_by=membership.user,
                households_eligible=figures.households_eligible,
                households_taking_part=figures.households_taking_part,
                shop_household_share=figures.shop_household_share,
                shop_resident_share=figures.shop_resident_share,
                rounds_counted=figures.rounds_counted,
                rounds_on_time=figures.rounds_on_time,
                objections_total=figures.objections_total,
                objections_resolved=figures.objections_resolved,
            )
            application.form.save(application.form_name, form, save=False)
            application.save()
            ApplicationMove.objects.create(
                township_id=village.township_id,
                application=application,
                from_state="",
                to_state=ApplicationState.SUBMITTED,
                move="apply",
                actor=membership.user,
            )
            snapshot_evaluation(application)
    return application


def _check_open(call: Call, today: datetime.date) -> None:
    if call.state != CallState.OPEN:
        raise DomainError(
            _("The call is %(state)s: it takes no applications.") % {"state": call.get_state_display()},
            code="call_not_open",
        )
    if today < call.applications_open_on:
        raise DomainError(
            _("Applications open on %(date)s.") % {"date": call.applications_open_on.isoformat()},
            code="too_early",
        )
    if today > call.applications_close_on:
        raise DomainError(
            _("The applications closed on %(date)s; it is too late to apply.")
            % {"date": call.applications_close_on.isoformat()},
            code="too_late",
        )


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value.quantize(Decimal('0.01'))}"


# The village's and the township's moves -------------------------------------------------------------------------


def move_application(
    *, membership: Membership, application: Application, move: str, comment: str = ""
) -> Application:
    """withdraw (the village: the office or its clerk), publish, forward or reject (the township office)."""
    level = _level(move)
    if level not in TOWNSHIP_LEVELS:
        raise PermissionDenied(_("Your role does not allow this."))  # the county's or the city's step
    comment = comment.strip()
    with township_scope(application.township):
        require(membership, TOWNSHIP_LEVELS[level], application)
        with transaction.atomic():
            call, locked = _lock(application, move, comment)
            if move == "forward":
                _check_application_notice_over(locked)
            _advance(locked, move, actor=membership.user, comment=comment)
            if move == "publish":
                _post_application_notice(locked, call, actor=membership.user)
    application.refresh_from_db()
    return application


# The county's and the call's region's moves ----------------------------------------------------------------------


def decide_application(
    *,
    membership: RegionMembership,
    application: Application,
    move: str,
    comment: str = "",
    score: Decimal | None = None,
    amount: Decimal | None = None,
) -> Application:
    """preselect / not_preselect (the township's county, at most N per county); score, select / not_select (with
    a score), award (with an amount, within the budget), deselect (after an objection to the result was upheld
    against the village) — the call's region."""
    level = _level(move)
    region = selectors.acting_region(application, level) if level in REGION_LEVELS else None
    if region is None:
        raise PermissionDenied(_("Your role does not allow this."))  # the village's or the township's step
    require_region(membership, REGION_LEVELS[level], region)
    comment = comment.strip()
    with township_scope(application.township), transaction.atomic():
        call, locked = _lock(application, move, comment)
        fields = []
        if move == "preselect":
            _check_county_limit(call, county=region)
        if move in SCORED_MOVES:
            locked.score = _score(score, locked)
            fields.append("score")
        if move == "select":
            _check_villages_wanted(call)
        if move == "deselect":
            _check_upheld_against(call, locked)
        if move == "award":
            _check_result_notice_over(call, locked)
            locked.award = _award(amount, call)
            fields.append("award")
        _advance(locked, move, actor=membership.user, comment=comment, fields=fields)
    application.refresh_from_db()
    return application


# Every move ------------------------------------------------------------------------------------------------------


def _level(move: str) -> Level:
    if move not in APPLICATION_MOVES:
        raise DomainError(_("Unknown move."), field="move")
    return level_of(move)


def _lock(application: Application, move: str, comment: str) -> tuple[Call, Application]:
    """The call's row, then the application's, locked; a move their states do not allow is refused."""
    call = Call.objects.select_for_update().select_related("region").get(pk=application.call_id)
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state not in sources_of(call, move):
        last = locked.moves.select_related("actor").last()
        raise illegal_move(locked.get_state_display(), last, APPLICATION_MOVE_LABELS[move])
    if call.state not in call_states_for(call, move):
        raise DomainError(
            _("The call is %(state)s: “%(move)s” is not possible now.")
            % {"state": call.get_state_display(), "move": APPLICATION_MOVE_LABELS[move]},
            code="call_state",
        )
    if move in COMMENT_REQUIRED and not comment:
        raise DomainError(_("Say why."), field="comment")
    return call, locked


def _advance(
    locked: Application, move: str, *, actor: Any, comment: str, fields: list[str] | None = None
) -> None:
    """The locked application takes the move's state (and `fields`), and the step is recorded."""
    from_state = locked.state
    target = APPLICATION_MOVES[move][1] or from_state
    locked.state = target
    locked.save(update_fields=["state", *(fields or [])])
    ApplicationMove.objects.create(
        township_id=locked.township_id,
        application=locked,
        from_state=from_state,
        to_state=target,
        move=move,
        actor=actor,
        comment=comment,
        score=locked.score if move in SCORED_MOVES else None,
        amount=locked.award if move == "award" else None,
    )


def _check_county_limit(call: Call, *, county: Region) -> None:
    taken = selectors.preselected_in_county(call, county)
    if taken >= call.preselect_limit:
        raise DomainError(
            _(
                "%(county)s has already pre-selected %(n)d villages for this call; the limit is %(limit)d per county."
            )
            % {"county": county.name, "n": taken, "limit": call.preselect_limit},
            code="county_limit",
        )


def _check_villages_wanted(call: Call) -> None:
    selected = selectors.call_totals(call)["selected"]
    if selected >= call.villages_wanted:
        raise DomainError(
            _("%(n)d villages are already selected; the call selects %(wanted)d.")
            % {"n": selected, "wanted": call.villages_wanted},
            code="villages_wanted",
        )


def _score(score: Decimal | None, application: Application) -> Decimal:
    if score is None:
        if application.score is not None:
            return application.score
        raise DomainError(_("Give a score from 0 to 100."), field="score")
    score = Decimal(score)
    if not Decimal("0") <= score <= Decimal("100"):
        raise DomainError(_("Give a score from 0 to 100."), field="score")
    return score.quantize(Decimal("0.01"))


def _award(amount: Decimal | None, call: Call) -> Decimal:
    if amount is None or Decimal(amount) < 0:
        raise DomainError(_("Give the award in yuan (0 or more)."), field="amount")
    amount = Decimal(amount).quantize(Decimal("0.01"))
    spent = selectors.call_totals(call)["awards"]
    if spent + amount > call.budget:
        raise DomainError(
            _(
                "The awards would come to %(total)s yuan; the call's budget is %(budget)s yuan (%(left)s left)."
            )
            % {"total": spent + amount, "budget": call.budget, "left": call.budget - spent},
            field="amount",
            code="over_budget",
        )
    return amount
