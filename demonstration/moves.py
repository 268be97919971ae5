"""The programme's two state machines: the moves of a call and of an application, and the level that makes each.

- Village level (apply, withdraw): the township office, or a village clerk for the villages of their membership.
- Township level (publish and review the applications of its villages): the township office.
- County level (pre-select at most N villages per county): an officer of the township's county.
- Call level (score, select, publish the result, award): an officer of the call's region.

Who holds each level's right is `core.permissions`, the one contract: the township levels are a township
membership's `Action`s, the county and call levels a region membership's `RegionAction`s (`TOWNSHIP_LEVELS`,
`REGION_LEVELS`). The services (`demonstration.services`) make the moves and check the right; the selectors list
what a member may try now.
"""

import enum

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from core.errors import DomainError
from core.permissions import Action, RegionAction

from .models import ApplicationMove, ApplicationState, Call, CallMove, CallState


class Level(enum.StrEnum):
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"
    CALL = "call"


# Applying and withdrawing are the village's paperwork, done by those who keep its roster (the township API's
# write right); publishing, forwarding and refusing are the township office's approval, like a round's.
VILLAGE_RIGHT = Action.EDIT_ROSTER
TOWNSHIP_RIGHT = Action.APPROVE_ROUND
TOWNSHIP_LEVELS: dict[Level, Action] = {Level.VILLAGE: VILLAGE_RIGHT, Level.TOWNSHIP: TOWNSHIP_RIGHT}
REGION_LEVELS: dict[Level, RegionAction] = {
    Level.COUNTY: RegionAction.PRESELECT,
    Level.CALL: RegionAction.RUN_CALL,
}
CALL_RIGHT = RegionAction.RUN_CALL  # opening and moving a call: an officer of its region


# Calls ---------------------------------------------------------------------------------------------------------

# move → (states it may start from, state it leads to)
CALL_MOVES: dict[str, tuple[set[str], str]] = {
    "open": ({CallState.DRAFT}, CallState.OPEN),
    # A county's call has no pre-selection: it goes straight to selection (`call_target`).
    "close_applications": ({CallState.OPEN}, CallState.PRESELECTION),
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


def call_target(call: Call, move: str) -> str:
    target = CALL_MOVES[move][1]
    if move == "close_applications" and not call.has_preselection:
        return CallState.SELECTION
    return target


def call_moves_now(call: Call) -> list[str]:
    """The moves the call's state allows now (who may make them is `CALL_RIGHT`)."""
    return [name for name, (sources, _target) in CALL_MOVES.items() if call.state in sources]


# Applications --------------------------------------------------------------------------------------------------

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
    # An objection to the result upheld against a selected village (or the whole result) takes it off the result:
    # it is not paid, and the call can close (demonstration.services.notices._check_upheld_against).
    "deselect": ({ApplicationState.SELECTED}, ApplicationState.NOT_SELECTED, Level.CALL),
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
    "deselect": _lazy("take off the result (objection upheld)"),
}
# The trails also hold the resolutions of objections to the notices (demonstration.services.notices), which are
# not moves of the state machines.
RESOLVE_LABEL = _lazy("resolve an objection to the notice")
CALL_TRAIL_LABELS = {**CALL_MOVE_LABELS, "resolve_objection": RESOLVE_LABEL}
APPLICATION_TRAIL_LABELS = {**APPLICATION_MOVE_LABELS, "resolve_objection": RESOLVE_LABEL}
TOWNSHIP_MOVES = [name for name, (*_states, level) in APPLICATION_MOVES.items() if level in TOWNSHIP_LEVELS]
REGION_MOVES = [name for name, (*_states, level) in APPLICATION_MOVES.items() if level in REGION_LEVELS]
SCORED_MOVES = {"score", "select", "not_select"}
COMMENT_REQUIRED = {"reject", "not_preselect", "not_select", "withdraw", "deselect"}
# The call's state each level works in.
CALL_STATES_FOR: dict[Level, set[str]] = {
    Level.VILLAGE: {CallState.OPEN},
    Level.TOWNSHIP: {CallState.OPEN, CallState.PRESELECTION},
    Level.COUNTY: {CallState.PRESELECTION},
}


def level_of(move: str) -> Level:
    return APPLICATION_MOVES[move][2]


def sources_of(call: Call, move: str) -> set[str]:
    sources = APPLICATION_MOVES[move][0]
    if move in SCORED_MOVES and not call.has_preselection:
        return {ApplicationState.FORWARDED}
    return sources


def call_states_for(call: Call, move: str) -> set[str]:
    level = level_of(move)
    if move in ("award", "deselect"):
        return {CallState.RESULT_PUBLISHED}
    if level == Level.CALL:
        return {CallState.SELECTION}
    if level == Level.TOWNSHIP and not call.has_preselection:
        return {CallState.OPEN, CallState.SELECTION}
    return CALL_STATES_FOR[level]


def application_moves_now(application_state: str, call: Call, moves: list[str]) -> list[str]:
    """Those of `moves` the application's state and its call's state allow now (who may: the level's right)."""
    return [
        name
        for name in moves
        if application_state in sources_of(call, name) and call.state in call_states_for(call, name)
    ]


def illegal_move(
    state_label: str, last: CallMove | ApplicationMove | None, move_label: str | Promise
) -> DomainError:
    """The refusal of a move the state does not allow: the state, and who moved it there and when."""
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
