"""False declarations and claims (seed 4): found false at any step, they cost `false_declaration_multiplier` times
their value through the next notice."""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Membership

from ..closing import late_reason, posting_of
from ..models import Entry, EntrySource, EntryState, ItemKind
from .ledger import _require_any, _under_review, correct_entry, withdraw_entry


def _require_false_finder(membership: Membership, entry: Entry) -> None:
    if entry.source == EntrySource.DECLARATION:
        _require_any(membership, entry, Action.PANEL_WORK, Action.APPROVE_ENTRY)
    elif entry.state == EntryState.PROPOSED and not _under_review([entry]):
        _require_any(membership, entry, Action.CHECK_CLAIM, Action.APPROVE_ENTRY)  # before the batch
    elif entry.state == EntryState.PROPOSED:
        _require_any(membership, entry, Action.RUN_ROUND, Action.APPROVE_ENTRY)  # on the notice
    else:
        require(membership, Action.APPROVE_ENTRY, entry)  # after approval: a correction


FALSE_SOURCES = {EntrySource.DECLARATION, EntrySource.CLAIM}


def penalise_false_declaration(*, membership: Membership, entry: Entry, reason: str) -> Entry:
    """Seed 4: a declaration or claim proved false costs `false_declaration_multiplier` (default 2) times its
    value, inside a round or outside (a claim, 积分申报), at any step.

    The declaration is withdrawn if still proposed (or reversed by a correction if already approved), and a
    penalty of multiplier × its value is PROPOSED against the household: like every other point it counts once
    approved (by the review round it belongs to; a claim's penalty goes on the village's next notice batch).

    Right, for a declaration: PANEL_WORK on the entry (the panel finds it false) or APPROVE_ENTRY (the township
    office). For a claim: before its notice batch CHECK_CLAIM (the grid worker, the clerk); on the notice RUN_ROUND
    (the clerk's objection outcome); APPROVE_ENTRY (the township office) at any step. Reversing an already
    approved one is a correction and needs APPROVE_ENTRY (correct_entry's own right).
    """
    entry = Entry.objects.get(pk=entry.pk)
    _require_false_finder(membership, entry)
    if not reason.strip():
        raise DomainError(_("Say how the declaration was proved false."), field="reason")
    if entry.source not in FALSE_SOURCES or entry.points <= 0 or entry.corrects_id is not None:
        raise DomainError(_("Only a household's own declaration of a bonus can be found false."))
    if entry.source == EntrySource.CLAIM and entry.state == EntryState.WITHDRAWN:
        raise DomainError(
            _("This declaration was withdrawn: it has no points to double."), code="illegal_state"
        )
    with transaction.atomic():
        if Entry.objects.filter(corrects=entry, source=entry.source).exists():
            raise DomainError(_("This declaration has already been found false."))
        if entry.state == EntryState.PROPOSED:
            withdraw_entry(membership=membership, entry=entry, reason=reason)
        elif entry.state == EntryState.APPROVED:
            correct_entry(membership=membership, entry=entry, reason=reason)
        penalty = -(entry.points * entry.scheme.false_declaration_multiplier).quantize(Decimal("0.01"))
        label = (
            _("False claim: %(item)s")
            if entry.source == EntrySource.CLAIM
            else _("False declaration: %(item)s")
        )
        posting = posting_of(entry)  # a closed year's penalty posts to the next year
        return Entry.objects.create(
            township_id=entry.township_id,
            account=entry.account,
            household=entry.household,
            village_id=entry.account.village_id,
            **posting,
            category_name=entry.category_name,
            item_name=label % {"item": entry.item_name},
            item_kind=ItemKind.PENALTY,
            item_points=entry.item_points,
            multiplier=entry.scheme.false_declaration_multiplier,
            points=penalty,
            source=entry.source,
            reason=late_reason(entry, posting, reason.strip()),
            corrects=entry,
            recorded_by=membership.user,
        )
