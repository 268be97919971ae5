"""Transfers of points between two accounts of one township: two entries, approved side by side by each village."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Household, HouseholdStatus, Membership

from ..accounts import account_of
from ..models import Account, Category, Entry, EntrySource, ItemKind, Scheme, Transfer, TransferState
from ..periods import period_of
from .common import _require_two_decimals

SIDES = {"from": "debit", "to": "credit"}


def transfer_points(
    *,
    membership: Membership,
    scheme: Scheme,
    from_household: Household | Account,
    to_household: Household | Account,
    category: Category,
    points: Decimal | int | str,
    reason: str,
) -> Transfer:
    """Two entries in one transaction; once both villages agree they go on each village's notice batch and count
    when the township approves the batches.

    Right: RECORD_ENTRY on the giving household (its village's clerk, the township office); the receiving
    account may live in any village of the same township. Either side is an account of any kind the scheme keeps
    (a household passed for its own account)."""
    require(membership, Action.RECORD_ENTRY, from_household)
    if (
        len({scheme.township_id, category.township_id, to_household.township_id, from_household.township_id})
        > 1
    ):
        raise DomainError(_("Both accounts, the scheme and the category must be of one township."))
    if category.scheme_id != scheme.pk:
        raise DomainError(_("The category belongs to another scheme."), field="category")
    points = _require_two_decimals(points, "points")
    if not scheme.allows_transfers:
        raise DomainError(_("This scheme does not allow transfers between accounts."))
    giver = from_household if isinstance(from_household, Account) else account_of(from_household)
    taker = to_household if isinstance(to_household, Account) else account_of(to_household)
    if giver.pk == taker.pk:
        raise DomainError(_("Choose two different accounts."), field="to_household")
    ended = (
        Household.objects.filter(pk=taker.household_id).exclude(status=HouseholdStatus.ACTIVE).first()
        if taker.household_id is not None
        else None
    )
    if ended is not None:
        raise DomainError(
            _("Household %(number)s has ended: it receives no points.") % {"number": ended.number},
            field="to_household",
        )
    for account in (giver, taker):
        if account.kind not in scheme.account_kinds:
            raise DomainError(
                _("The scheme %(scheme)s keeps no accounts of %(kind)s.")
                % {"scheme": scheme, "kind": account.get_kind_display()},
                field="to_household",
            )
    if points <= 0:
        raise DomainError(_("Transfer a positive number of points."), field="points")
    if not reason.strip():
        raise DomainError(_("Say why the points are transferred."), field="reason")
    today = timezone.localdate()
    common = {
        "township_id": scheme.township_id,
        "scheme": scheme,
        "category": category,
        "category_name": category.name,
        "item_name": _("Transfer"),
        "item_kind": ItemKind.BONUS,
        "item_points": points,
        "year": today.year if scheme.points_carry_forward else scheme.year,
        "period": period_of(category.cadence, today),
        "occurred_on": today,
        "source": EntrySource.TRANSFER,
        "reason": reason.strip(),
        "recorded_by": membership.user,
    }
    with transaction.atomic():
        debit = Entry.objects.create(
            account=giver,
            household_id=giver.household_id,
            village_id=giver.village_id,
            points=-points,
            **common,
        )
        credit = Entry.objects.create(
            account=taker,
            household_id=taker.household_id,
            village_id=taker.village_id,
            points=points,
            **common,
        )
        return Transfer.objects.create(
            township_id=scheme.township_id, scheme=scheme, debit=debit, credit=credit
        )


def approve_transfer_side(*, membership: Membership, transfer: Transfer, side: str) -> Transfer:
    """`side` is "from" or "to": each village approves its own side; both sides make the entries count.

    Right: RECORD_ENTRY on that side's entry (the clerk who keeps its village, the township office)."""
    if side not in SIDES:
        raise DomainError(_("Choose the side of the transfer: from or to."), field="side")
    require(
        membership,
        Action.RECORD_ENTRY,
        getattr(transfer, SIDES[side]),
        message=_("You do not keep the village of this side of the transfer."),
    )
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.state != TransferState.PENDING:
            raise DomainError(_("This transfer is already decided."))
        setattr(transfer, f"{side}_village_approved_by", membership.user)
        if transfer.from_village_approved_by_id and transfer.to_village_approved_by_id:
            # Both villages agree; the two entries still count only after their villages' notice batches.
            transfer.state = TransferState.APPROVED
        transfer.save()
    return transfer
