"""A proposal changed with a reason (at a meeting, after an objection, by a declaration's adjustment): the old
entry is withdrawn and stays visible, the new one is proposed on the same round."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action
from households.models import Household, Membership
from scoring import services as scoring
from scoring.models import Entry, Item

from ..models import Meeting, Objection, ProposalChange, ReviewRound, RoundEntry
from .common import _require_any, _require_round_item
from .cross_review import _require_cross_review


def change_proposal(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    entry: Entry,
    reason: str,
    new_item: Item | None = None,
    meeting: Meeting | None = None,
    objection: Objection | None = None,
    override_reason: str = "",
) -> ProposalChange:
    """A proposal changed with a reason: the old one is withdrawn (still visible), the new one proposed. The clerk
    or the panel changes it. Cross-review: never by a member of the household or of its own area's panel, unless
    the township overrides with a reason."""
    _require_any(membership, round, Action.RUN_ROUND, Action.PANEL_WORK)
    with transaction.atomic():
        _require_cross_review(
            membership=membership,
            round_=round,
            households=[_household_of(entry)],
            override_reason=override_reason,
            decision=_("Proposal change"),
        )
        return _change_proposal(
            membership=membership,
            round_=round,
            entry=entry,
            reason=reason,
            new_item=new_item,
            meeting=meeting,
            objection=objection,
        )


def _household_of(entry: Entry) -> Household:
    """A review round's proposals are households' (a villager's or a unit's entry goes on a notice batch)."""
    if entry.household is None:
        raise DomainError(_("Only a household's proposal is changed in a review round."), field="entry")
    return entry.household


def _change_proposal(
    *,
    membership: Membership,
    round_: ReviewRound,
    entry: Entry,
    reason: str,
    new_item: Item | None = None,
    meeting: Meeting | None = None,
    objection: Objection | None = None,
) -> ProposalChange:
    """The change itself, once the decision's right and cross-review are checked (by a meeting, an objection's
    outcome, a declaration's adjustment or `change_proposal`)."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the change."), field="reason")
    if not RoundEntry.objects.filter(round=round_, entry=entry).exists():
        raise DomainError(_("This entry is not a proposal of the round."), field="entry")
    with transaction.atomic():
        scoring.withdraw_entry(membership=membership, entry=entry, reason=reason)
        new_entry = None
        if new_item is not None:
            _require_round_item(round_, new_item)
            new_entry = scoring.record_entry(
                membership=membership,
                household=_household_of(entry),
                item=new_item,
                occurred_on=entry.occurred_on,
                source=entry.source,
                reason=reason.strip(),
            )
            RoundEntry.objects.create(township_id=round_.township_id, round=round_, entry=new_entry)
        return ProposalChange.objects.create(
            township_id=round_.township_id,
            round=round_,
            meeting=meeting,
            objection=objection,
            old_entry=entry,
            new_entry=new_entry,
            reason=reason.strip(),
            actor=membership.user,
        )
