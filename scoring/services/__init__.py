"""Every change to schemes and to the ledger, each taking the acting `membership` and checking its right.

`from scoring import services; services.record_entry(...)` keeps working: the public names live in `schemes`
(the catalogue), `ledger` (entries, corrections, alerts), `limits` (the weekly list of limits reached) and
`transfers`.
"""

from .appeals import (
    decide_appeal,
    refuse_self_declaration,
    submit_appeal,
    submit_self_declaration,
    take_self_declaration,
)
from .claims import check_claim, record_claim
from .false_claims import penalise_false_declaration
from .ledger import (
    NOTICE_REQUIRED,
    SOURCE_RECORDER,
    acknowledge_alert,
    approve_entries,
    correct_entry,
    record_bulk,
    record_entry,
    withdraw_entry,
)
from .limits import file_study_list
from .passbook_codes import hash_code, issue_code, live_code, revoke_code
from .roles import assign_role, end_role, enrol_student
from .schemes import (
    activate_scheme,
    add_category,
    add_item,
    add_role_rule,
    close_scheme,
    copy_scheme,
    create_scheme,
    update_item,
)
from .transfers import approve_transfer_side, transfer_points

__all__ = [
    "NOTICE_REQUIRED",
    "SOURCE_RECORDER",
    "acknowledge_alert",
    "activate_scheme",
    "add_category",
    "add_item",
    "add_role_rule",
    "approve_entries",
    "approve_transfer_side",
    "check_claim",
    "assign_role",
    "end_role",
    "enrol_student",
    "close_scheme",
    "copy_scheme",
    "correct_entry",
    "decide_appeal",
    "refuse_self_declaration",
    "submit_appeal",
    "submit_self_declaration",
    "take_self_declaration",
    "hash_code",
    "issue_code",
    "live_code",
    "create_scheme",
    "file_study_list",
    "penalise_false_declaration",
    "record_bulk",
    "record_claim",
    "record_entry",
    "revoke_code",
    "transfer_points",
    "update_item",
    "withdraw_entry",
]
