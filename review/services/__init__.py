"""Every change in a review: panels, rounds and their moves, inspections, declarations, meetings, notices,
objections and the township's approval. Each service takes the acting member (`membership`), checks the member's
right itself (`core.permissions.require`) and writes the member's user into the trail; pages and the API call it
and map its refusal (PermissionDenied → 403, DomainError → a form error or a 400).

`from review import services; services.move_round(...)` reaches every service of the package's modules."""

from .changes import change_proposal
from .common import NOTICE_TOO_SHORT, PANEL_MINIMUM, notice_end
from .cross_review import CROSS_REVIEW_OVERRIDE
from .declarations import decide_declaration, declare
from .inspections import record_inspection
from .meetings import record_panel_meeting, record_representatives_meeting
from .objections import checked_objector, file_objection, file_public_objection, resolve_objection
from .panels import (
    add_panel_member,
    apply_rotation,
    assign_panel,
    create_panel,
    remove_panel_member,
    replace_panel_member,
)
from .rhythm import (
    close_day,
    file_summary,
    hand_over_summary,
    name_duty_monitor,
    post_weekly_notice,
    prepare_weekly_summary,
)
from .rounds import (
    MOVE_LABELS,
    MOVES,
    TRAIL_LABELS,
    approve_rounds,
    close_ended_notices,
    create_round,
    move_round,
    possible_moves,
    post_notice_batch,
)

__all__ = [
    "CROSS_REVIEW_OVERRIDE",
    "MOVES",
    "MOVE_LABELS",
    "NOTICE_TOO_SHORT",
    "PANEL_MINIMUM",
    "TRAIL_LABELS",
    "apply_rotation",
    "approve_rounds",
    "assign_panel",
    "change_proposal",
    "checked_objector",
    "close_day",
    "close_ended_notices",
    "add_panel_member",
    "create_panel",
    "remove_panel_member",
    "replace_panel_member",
    "create_round",
    "decide_declaration",
    "declare",
    "file_objection",
    "file_public_objection",
    "file_summary",
    "hand_over_summary",
    "move_round",
    "name_duty_monitor",
    "notice_end",
    "possible_moves",
    "post_notice_batch",
    "post_weekly_notice",
    "prepare_weekly_summary",
    "record_inspection",
    "record_panel_meeting",
    "record_representatives_meeting",
    "resolve_objection",
]
