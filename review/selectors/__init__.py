"""Read queries of the review that pages, API, jobs and services share: the rounds a member sees, one round with
its whole trail, the households a panel member inspects, what waits for a notice batch, the township's approval
queue and each member's worklist.

Call them inside the township scope. Every list costs a fixed number of queries whatever the number of rows:
counts and names are annotated in SQL, related rows are fetched in one batch per model.
"""

from .claims import (
    Step,
    approved_claims_of_batch,
    claim_trail,
    claims_to_check,
    claims_visible_to,
    person_name,
    reversals,
)
from .counts import Line, Section, WorkCounts, work_counts
from .detail import (
    RoundDetail,
    assigned_areas,
    households_for_inspector,
    households_to_inspect,
    inspection_progress,
    next_household_to_inspect,
    open_proposals,
    panels_without_quorate_meeting,
    proposals_of,
    propose_rotation,
    round_detail,
)
from .notices import (
    direct_proposals,
    direct_proposals_waiting,
    villages_with_direct_proposals,
    waiting_for_a_notice,
)
from .rounds import (
    approval_queue,
    days_left,
    declarable_items,
    declarations_visible_to,
    inspectable_items,
    notice_is_running,
    objections_visible_to,
    round_items,
    round_list,
    rounds_visible_to,
    township_approval_needed,
    with_notice,
)
from .worklist import RUNNING_STATES, Worklist, worklist

__all__ = [
    "Line",
    "Section",
    "WorkCounts",
    "work_counts",
    "RUNNING_STATES",
    "RoundDetail",
    "Step",
    "claim_trail",
    "claims_to_check",
    "approved_claims_of_batch",
    "claims_visible_to",
    "reversals",
    "Worklist",
    "approval_queue",
    "assigned_areas",
    "days_left",
    "declarable_items",
    "declarations_visible_to",
    "direct_proposals",
    "direct_proposals_waiting",
    "households_for_inspector",
    "households_to_inspect",
    "inspectable_items",
    "inspection_progress",
    "next_household_to_inspect",
    "notice_is_running",
    "objections_visible_to",
    "open_proposals",
    "panels_without_quorate_meeting",
    "person_name",
    "propose_rotation",
    "proposals_of",
    "round_detail",
    "round_items",
    "round_list",
    "rounds_visible_to",
    "township_approval_needed",
    "villages_with_direct_proposals",
    "waiting_for_a_notice",
    "with_notice",
    "worklist",
]
