"""Claims outside rounds (积分申报) as a member sees them, and the trail of their six steps: declared (by whom, on
whose behalf, how), collected and checked, posted on which notice batch by whom, submitted, approved — each with
who and when, read from the entry, its claim detail and its batch's trail (RoundMove)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from core.people import display_name
from core.permissions import restrict_to_visible
from households.models import Membership
from scoring.models import Entry, EntrySource, EntryState

from ..models import RoundMove

TRAIL_MOVES = {"post_batch", "open_notice", "submit", "finish", "approve", "return"}


def claims_visible_to(membership: Membership) -> QuerySet[Entry]:
    """The claims of the households the member may see (a grid worker: their villages and areas), newest first,
    with what a list or the trail shows (a fixed number of queries)."""
    entries = Entry.objects.filter(source=EntrySource.CLAIM, claim__isnull=False).select_related(
        "claim",
        "claim__checked_by",
        "recorded_by",
        "approved_by",
        "household",
        "account__resident",
        "account__unit",
        "round_link__round",
    )
    return restrict_to_visible(membership, entries).order_by("-recorded_at", "-pk")


def approved_claims_of_batch(membership: Membership, batch: Any) -> QuerySet[Entry]:
    """The approved claims of a notice batch among those the member may read, less those since reversed (found
    false or corrected): what its reward slips print (publicity.slips) and whether the batch's page offers them."""
    return claims_visible_to(membership).filter(
        ~Exists(reversals(OuterRef("pk"))), round_link__round=batch, state=EntryState.APPROVED
    )


def reversals(entry: Any) -> QuerySet[Entry]:
    """The entries that reverse `entry` (a correction, a false claim's penalty), unless withdrawn."""
    return Entry.objects.filter(corrects=entry).exclude(state=EntryState.WITHDRAWN)


def claims_to_check(membership: Membership) -> QuerySet[Entry]:
    """Proposed claims nobody has checked yet (e.g. self-declarations): the grid worker's first work."""
    return claims_visible_to(membership).filter(state=EntryState.PROPOSED, claim__checked_at__isnull=True)


@dataclass(frozen=True)
class Step:
    step: str  # declared, collected, checked, posted, open_notice, submit, approve, …, withdrawn, found_false
    label: str  # empty for a move of the batch: the caller labels it with the round trail's words
    by: str
    at: datetime | None
    note: str = ""


def person_name(user: Any) -> str:
    """A user as the trail and the slips name them: the full name, else the username."""
    return display_name(user)


def claim_trail(entry: Entry) -> list[Step]:
    """The six steps of one claim as far as it has come (entry from `claims_visible_to`)."""
    claim = entry.claim
    declarer = (
        _("%(name)s (%(relation)s) on the holder's behalf")
        % {"name": claim.declarer_name, "relation": claim.declarer_relation}
        if claim.declarer_name
        else _("the holder themselves")
    )
    steps = [
        Step("declared", _("Declared"), declarer, None, claim.get_channel_display()),
        Step("collected", _("Collected"), person_name(entry.recorded_by), entry.recorded_at),
    ]
    if claim.checked_at:
        steps.append(Step("checked", _("Checked first"), person_name(claim.checked_by), claim.checked_at))
    link = getattr(entry, "round_link", None)
    if link is not None:
        moves = RoundMove.objects.filter(round_id=link.round_id, move__in=TRAIL_MOVES).select_related("actor")
        for move in moves:
            note = link.round.period if move.move == "post_batch" else move.comment
            steps.append(
                Step(move.move, "", person_name(move.actor), move.at, note)
            )  # labelled by the trail's words
    if entry.state == EntryState.APPROVED:
        steps.append(
            Step("entered", _("Entered (counts)"), person_name(entry.approved_by), entry.approved_at)
        )
    elif entry.state == EntryState.WITHDRAWN:
        steps.append(
            Step(
                "withdrawn",
                _("Withdrawn"),
                person_name(entry.approved_by),
                entry.approved_at,
                entry.decided_reason,
            )
        )
    penalty = (
        Entry.objects.filter(corrects=entry, source=EntrySource.CLAIM).select_related("recorded_by").first()
    )
    if penalty is not None:
        note = f"{penalty.points:+} · {penalty.reason}"
        steps.append(
            Step("found_false", _("Found false"), person_name(penalty.recorded_by), penalty.recorded_at, note)
        )
    return steps


__all__ = [
    "Step",
    "approved_claims_of_batch",
    "claim_trail",
    "reversals",
    "claims_to_check",
    "claims_visible_to",
]
