"""Every change in the demonstration programme: regions and their officers, calls and their moves, applications and
theirs. The acting user is explicit; who may act at which level is `demonstration.permissions`.

Like a review round, a call or an application changes state only through a named move from `CALL_MOVES` or
`APPLICATION_MOVES`: the row is locked, a move the state does not allow is refused with the state and who moved it
last, and every move is recorded with who, when and why. Limits that span rows (at most N pre-selected villages
per county, the number of villages and the budget of the call) are checked under the call's row lock, taken before
the application's, so two officers at once cannot both take the last place.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import DomainError, full_clean_or_raise
from households.models import Village
from households.permissions import can_see, memberships_of
from households.tenancy import township_scope
from scoring.evidence import sniff_content_type

from . import selectors
from .models import (
    Application,
    ApplicationMove,
    ApplicationState,
    Call,
    CallMove,
    CallState,
    Region,
)
from .permissions import (
    TOWNSHIP_ROLES,
    Authority,
    Level,
    calls_for_township,
    check_application,
    check_call,
    county_of,
    is_officer_of,
)

FORM_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (.docx)",
}


FORM_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
}


def form_name_for(name: str, content_type: str) -> str:
    """The uploaded name, with the extension of what the file really is (a Word file named .pdf becomes .docx)."""
    name = (name or "form").rsplit("/", 1)[-1][:180]
    extensions = FORM_EXTENSIONS[content_type]
    if name.lower().endswith(extensions):
        return name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem + extensions[0]


def _form_max_bytes() -> int:
    return getattr(settings, "JIFEN_DEMONSTRATION_FORM_MAX_BYTES", 10 * 1024 * 1024)


# Calls ---------------------------------------------------------------------------------------------------------

# move → (states it may start from, state it leads to); only an officer of the call's region moves a call.
CALL_MOVES: dict[str, tuple[set[str], str]] = {
    "open": ({CallState.DRAFT}, CallState.OPEN),
    "close_applications": (
        {CallState.OPEN},
        CallState.PRESELECTION,
    ),  # a county's call: straight to selection
    "start_selection": ({CallState.PRESELECTION}, CallState.SELECTION),
    "publish_result": ({CallState.SELECTION}, CallState.RESULT_PUBLISHED),
    "close": ({CallState.RESULT_PUBLISHED}, CallState.CLOSED),
}
CALL_MOVE_LABELS = {
    "open": _lazy("open for applications"),
    "close_applications": _lazy("close the applications"),
    "start_selection": _lazy("start the scoring and selection"),
    "publish_result": _lazy("publish the result"),
    "close": _lazy("close the call"),
}


def create_call(
    *,
    actor,
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
) -> Call:
    """A county or a city opens a call in draft (an officer of that region)."""
    if not is_officer_of(actor, region):
        raise PermissionDenied(_("Only an officer of %(region)s opens its calls.") % {"region": region})
    call = Call(
        region=region,
        title=title.strip(),
        year=year,
        budget=budget,
        villages_wanted=villages_wanted,
        preselect_limit=preselect_limit,
        min_shop_share=min_shop_share,
        round_grace_days=round_grace_days,
        conditions=conditions.strip(),
        applications_open_on=applications_open_on,
        applications_close_on=applications_close_on,
        preselection_ends_on=preselection_ends_on,
        selection_ends_on=selection_ends_on,
        created_by=actor,
    )
    full_clean_or_raise(call)
    call.save()
    return call


def _target(call: Call, move: str) -> str:
    target = CALL_MOVES[move][1]
    if move == "close_applications" and not call.has_preselection:
        return CallState.SELECTION
    return target


def _illegal(state_label: str, last, move_label) -> DomainError:
    by = (
        _(" (moved by %(user)s at %(at)s)")
        % {"user": last.actor, "at": timezone.localtime(last.at).strftime("%Y-%m-%d %H:%M")}
        if last
        else ""
    )
    return DomainError(
        _("This is %(state)s%(by)s; “%(move)s” is not possible now.")
        % {"state": state_label, "by": by, "move": move_label},
        code="illegal_move",
    )


def move_call(*, actor, call: Call, move: str, comment: str = "") -> Call:
    """The only way a call changes state (an officer of its region)."""
    if move not in CALL_MOVES:
        raise DomainError(_("Unknown move."), field="move")
    check_call(actor, call)
    with transaction.atomic():
        locked = Call.objects.select_for_update().select_related("region").get(pk=call.pk)
        sources, _to = CALL_MOVES[move]
        if locked.state not in sources:
            last = locked.moves.select_related("actor").last()
            raise _illegal(locked.get_state_display(), last, CALL_MOVE_LABELS[move])
        CALL_PRECONDITIONS[move](locked)
        from_state, target = locked.state, _target(locked, move)
        locked.state = target
        fields = ["state"]
        if move == "publish_result":
            locked.result_published_at = timezone.now()
            fields.append("result_published_at")
        locked.save(update_fields=fields)
        CallMove.objects.create(
            call=locked,
            from_state=from_state,
            to_state=target,
            move=move,
            actor=actor,
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


# Applications --------------------------------------------------------------------------------------------------


def check_form_file(upload) -> str:
    """The application form's content type, read from its content (never from its name), or a DomainError."""
    limit = _form_max_bytes()
    if upload.size > limit:
        raise DomainError(
            _("%(name)s is %(size).1f MB; the application form may be at most %(limit)d MB.")
            % {"name": upload.name, "size": upload.size / 1_048_576, "limit": limit // 1_048_576},
            field="form",
        )
    if upload.size == 0:
        raise DomainError(_("%(name)s is empty.") % {"name": upload.name}, field="form")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type in FORM_TYPES:
        return content_type
    if head.startswith(b"PK\x03\x04") and _is_docx(upload):
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    raise DomainError(
        _("%(name)s is not a PDF, a Word document (.docx) or a photo (JPEG, PNG) of the form.")
        % {"name": upload.name},
        field="form",
    )


def _is_docx(upload) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    # A macro-enabled document is not a .docx: refuse what carries a VBA project.
    return "word/document.xml" in names and not any(name.endswith("vbaProject.bin") for name in names)


def apply(*, actor, call: Call, village: Village, form, statement: str = "") -> Application:
    """A village applies to a call with its figures as Jifen has them now (stored as a snapshot)."""
    membership = next((m for m in memberships_of(actor) if m.township_id == village.township_id), None)
    if membership is None or not can_see(membership, village):
        raise Http404
    if not calls_for_township(village.township).filter(pk=call.pk).exists():
        raise Http404
    if membership.role not in TOWNSHIP_ROLES[Level.VILLAGE]:
        raise PermissionDenied(_("Your role does not allow this."))
    today = timezone.localdate()
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
    content_type = check_form_file(form)
    with township_scope(village.township):
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
                form_name=form_name_for(form.name, content_type),
                form_content_type=content_type,
                form_size=form.size,
                figures_at=timezone.now(),
                applied_by=actor,
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
                actor=actor,
            )
    return application


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value.quantize(Decimal('0.01'))}"


# move → (states it may start from, state it leads to, the level that acts)
APPLICATION_MOVES: dict[str, tuple[set[str], str, Level]] = {
    "withdraw": (
        {ApplicationState.SUBMITTED, ApplicationState.ON_NOTICE},
        ApplicationState.WITHDRAWN,
        Level.VILLAGE,
    ),
    "publish": ({ApplicationState.SUBMITTED}, ApplicationState.ON_NOTICE, Level.TOWNSHIP),
    "forward": ({ApplicationState.ON_NOTICE}, ApplicationState.FORWARDED, Level.TOWNSHIP),
    "reject": (
        {ApplicationState.SUBMITTED, ApplicationState.ON_NOTICE},
        ApplicationState.REJECTED,
        Level.TOWNSHIP,
    ),
    "preselect": ({ApplicationState.FORWARDED}, ApplicationState.PRESELECTED, Level.COUNTY),
    "not_preselect": ({ApplicationState.FORWARDED}, ApplicationState.NOT_PRESELECTED, Level.COUNTY),
    # For a county's call the county selects the forwarded applications itself (no pre-selection).
    "score": ({ApplicationState.PRESELECTED}, "", Level.CALL),  # "": the state stays
    "select": ({ApplicationState.PRESELECTED}, ApplicationState.SELECTED, Level.CALL),
    "not_select": ({ApplicationState.PRESELECTED}, ApplicationState.NOT_SELECTED, Level.CALL),
    "award": ({ApplicationState.SELECTED}, ApplicationState.AWARDED, Level.CALL),
}
APPLICATION_MOVE_LABELS = {
    "apply": _lazy("apply"),
    "withdraw": _lazy("withdraw the application"),
    "publish": _lazy("publish in the township"),
    "forward": _lazy("approve and forward to the county"),
    "reject": _lazy("do not forward"),
    "preselect": _lazy("pre-select"),
    "not_preselect": _lazy("do not pre-select"),
    "score": _lazy("score"),
    "select": _lazy("select"),
    "not_select": _lazy("do not select"),
    "award": _lazy("record the award"),
}
# The call's state each level works in.
CALL_STATES_FOR = {
    Level.VILLAGE: {CallState.OPEN},
    Level.TOWNSHIP: {CallState.OPEN, CallState.PRESELECTION},
    Level.COUNTY: {CallState.PRESELECTION},
}
COMMENT_REQUIRED = {"reject", "not_preselect", "not_select", "withdraw"}


def sources_of(call: Call, move: str) -> set[str]:
    sources = APPLICATION_MOVES[move][0]
    if move in {"score", "select", "not_select"} and not call.has_preselection:
        return {ApplicationState.FORWARDED}
    return sources


def call_states_for(call: Call, move: str) -> set[str]:
    level = APPLICATION_MOVES[move][2]
    if move == "award":
        return {CallState.RESULT_PUBLISHED}
    if level == Level.CALL:
        return {CallState.SELECTION}
    if level == Level.TOWNSHIP and not call.has_preselection:
        return {CallState.OPEN, CallState.SELECTION}
    return CALL_STATES_FOR[level]


def move_application(
    *,
    actor,
    application: Application,
    move: str,
    comment: str = "",
    score: Decimal | None = None,
    amount: Decimal | None = None,
) -> Application:
    """The only way an application changes state. The call's row is locked first, then the application's."""
    if move not in APPLICATION_MOVES:
        raise DomainError(_("Unknown move."), field="move")
    level = APPLICATION_MOVES[move][2]
    check_application(actor, application, level)
    comment = comment.strip()
    with township_scope(application.township), transaction.atomic():
        call = Call.objects.select_for_update().select_related("region").get(pk=application.call_id)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state not in sources_of(call, move):
            last = locked.moves.select_related("actor").last()
            raise _illegal(locked.get_state_display(), last, APPLICATION_MOVE_LABELS[move])
        if call.state not in call_states_for(call, move):
            raise DomainError(
                _("The call is %(state)s: “%(move)s” is not possible now.")
                % {"state": call.get_state_display(), "move": APPLICATION_MOVE_LABELS[move]},
                code="call_state",
            )
        if move in COMMENT_REQUIRED and not comment:
            raise DomainError(_("Say why."), field="comment")
        from_state = locked.state
        target = APPLICATION_MOVES[move][1] or from_state
        fields = ["state"]
        if move == "preselect":
            _check_county_limit(call, locked)
        if move in {"score", "select", "not_select"}:
            locked.score = _score(score, locked)
            fields.append("score")
        if move == "select":
            _check_villages_wanted(call)
        if move == "award":
            locked.award = _award(amount, call)
            fields.append("award")
        locked.state = target
        locked.save(update_fields=fields)
        ApplicationMove.objects.create(
            township_id=locked.township_id,
            application=locked,
            from_state=from_state,
            to_state=target,
            move=move,
            actor=actor,
            comment=comment,
            score=locked.score if move in {"score", "select", "not_select"} else None,
            amount=locked.award if move == "award" else None,
        )
    application.refresh_from_db()
    return application


def _check_county_limit(call: Call, application: Application) -> None:
    county = county_of(application.township)
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


def _score(score, application: Application) -> Decimal:
    if score is None:
        if application.score is not None:
            return application.score
        raise DomainError(_("Give a score from 0 to 100."), field="score")
    score = Decimal(score)
    if not Decimal("0") <= score <= Decimal("100"):
        raise DomainError(_("Give a score from 0 to 100."), field="score")
    return score.quantize(Decimal("0.01"))


def _award(amount, call: Call) -> Decimal:
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


# What a member may try now (the pages list them; the service still checks everything) ---------------------


def application_moves_for(user, application: Application, authority: Authority | None = None) -> list[str]:
    """The moves of `APPLICATION_MOVES` this user may try on the application now (state, call state and level);
    the service still checks everything again."""
    authority = authority or Authority(user)
    call = application.call
    return [
        name
        for name, (_sources, _target, level) in APPLICATION_MOVES.items()
        if application.state in sources_of(call, name)
        and call.state in call_states_for(call, name)
        and authority.can_act(application, level)
    ]


def call_moves_for(user, call: Call) -> list[str]:
    if not is_officer_of(user, call.region):
        return []
    return [name for name, (sources, _target) in CALL_MOVES.items() if call.state in sources]
