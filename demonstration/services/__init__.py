"""Every change in the demonstration programme: calls and their moves (`calls`), applications and theirs
(`applications`). The acting member is explicit and each service checks its own right in `core.permissions`:
`membership: Membership` for the village's and the township's steps, `membership: RegionMembership` for the
county's and the city's (the same keyword everywhere: the acting member, of the kind its level needs).

Like a review round, a call or an application changes state only through a named move of `demonstration.moves`:
the row is locked, a move the state does not allow is refused with the state and who moved it last, and every move
is recorded with who, when and why. Limits that span rows (at most N pre-selected villages per county, the number
of villages and the budget of the call) are checked under the call's row lock, taken before the application's, so
two officers at once cannot both take the last place.
"""

from .applications import apply, decide_application, move_application
from .award import record_check, record_spending, reverse_spending
from .calls import create_call, move_call
from .notices import (
    file_application_objection,
    file_result_objection,
    resolve_application_objection,
    resolve_result_objection,
)
from .survey import answer_survey, enter_paper_answer

__all__ = [
    "answer_survey",
    "apply",
    "create_call",
    "decide_application",
    "enter_paper_answer",
    "file_application_objection",
    "file_result_objection",
    "move_application",
    "move_call",
    "record_check",
    "record_spending",
    "resolve_application_objection",
    "resolve_result_objection",
    "reverse_spending",
]
