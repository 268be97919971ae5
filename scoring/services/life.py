"""A household's life where points move (issue 16): a split (分户), a merge (合户), moving out of the township (迁出).

What moves is a household's APPROVED points of a scheme (the ledger's sum per category: the year's score above the
base, which is also what the supermarket's spendable balance is earned from; what was already spent stays spent by
the household that spent it). Points move only by new ledger entries, as a transfer does: a debit and a credit per
category, tied by a Transfer that names the LifeEvent (who, when, why). The acting clerk agrees for each side whose
village they keep; like every directly recorded entry, the pair then counts after its village's notice batch, so no
point counts unseen and none is lost. Closed schemes are history and stay with the household that earned them.

- A split divides the points of the scheme in force on the split's date, per the scheme's `split_points`: they stay
  with the original, divide by members (each category's points × leaving members / current members, cut to the
  cent towards zero, so penalties divide too), or the clerk types how many go (taken from the categories in their
  order, never more than a category holds).
- A merge moves all approved points of every active scheme, per category, penalties included.
- Moving out may first transfer everything to another household of the township (scheme 4: 积分在本镇范围内可转移和接续).
"""

import datetime
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can, require
from households import services as roster
from households.life import services as life
from households.models import (
    Area,
    Household,
    HouseholdStatus,
    LifeEvent,
    LifeEventKind,
    Membership,
    Resident,
)

from ..accounts import account_of
from ..life_selectors import balances, scheme_in_force
from ..models import (
    Account,
    Category,
    Entry,
    EntrySource,
    EntryState,
    ItemKind,
    Scheme,
    SchemeState,
    SplitPoints,
    Transfer,
    TransferState,
    format_points,
)
from ..periods import period_of
from .common import _require_two_decimals

CENT = Decimal("0.01")


def _split_amounts(
    scheme: Scheme, held: dict[int, Decimal], *, leaving: int, members: int, points: Decimal | None
) -> dict[int, Decimal]:
    """What goes to the new household, per category, by the scheme's rule (see the module's docstring)."""
    rule = scheme.split_points
    if rule != SplitPoints.EXPLICIT and points is not None:
        raise DomainError(
            _("The scheme %(scheme)s divides points by its own rule (%(rule)s): leave the amount empty.")
            % {"scheme": scheme, "rule": SplitPoints(rule).label},
            field="points",
        )
    if rule == SplitPoints.STAY:
        return {}
    order = {c.pk: (c.order, c.pk) for c in Category.objects.filter(scheme=scheme)}
    if rule == SplitPoints.BY_MEMBERS:
        shares = {
            pk: (value * leaving / members).quantize(CENT, rounding=ROUND_DOWN) for pk, value in held.items()
        }
        return {pk: value for pk, value in shares.items() if value}
    if points is None:
        raise DomainError(_("Type how many points go to the new household."), field="points")
    points = _require_two_decimals(points, "points")
    total = sum(held.values(), Decimal("0"))
    if points <= 0 or points > total:
        raise DomainError(
            _("Type an amount above 0 and at most the household's %(total)s approved points.")
            % {"total": format_points(total)},
            field="points",
        )
    amounts, left = {}, points
    for pk in sorted((pk for pk, value in held.items() if value > 0), key=lambda pk: order.get(pk, (0, pk))):
        take = min(held[pk], left)
        amounts[pk], left = take, left - take
        if not left:
            break
    return amounts


def _move(
    membership: Membership,
    scheme: Scheme,
    giver: Household,
    taker: Household,
    amounts: dict[int, Decimal],
    event: LifeEvent,
    day: datetime.date,
) -> list[Transfer]:
    """A debit and a credit per category; the clerk agrees for each side whose village they keep."""
    if not amounts:
        return []
    giving, taking = account_of(giver), account_of(taker)
    on = min(max(day, scheme.starts_on), scheme.ends_on) if scheme.ends_on else max(day, scheme.starts_on)
    categories = Category.objects.in_bulk(list(amounts))
    transfers = []
    for pk, points in amounts.items():
        category = categories[pk]
        common = {
            "township_id": scheme.township_id,
            "scheme": scheme,
            "category": category,
            "category_name": category.name,
            "item_name": LifeEventKind(event.kind).label,
            "item_kind": ItemKind.BONUS,
            "item_points": abs(points),
            "year": on.year if scheme.points_carry_forward else scheme.year,
            "period": period_of(category.cadence, on),
            "occurred_on": on,
            "source": EntrySource.TRANSFER,
            "reason": f"{event.get_kind_display()} {giver.number} → {taker.number}: {event.reason}",
            "recorded_by": membership.user,
        }
        debit = Entry.objects.create(
            account=giving, household=giver, village_id=giving.village_id, points=-points, **common
        )
        credit = Entry.objects.create(
            account=taking, household=taker, village_id=taking.village_id, points=points, **common
        )
        transfer = Transfer(
            township_id=scheme.township_id, scheme=scheme, debit=debit, credit=credit, life_event=event
        )
        if can(membership, Action.RECORD_ENTRY, giver):
            transfer.from_village_approved_by = membership.user
        if can(membership, Action.RECORD_ENTRY, taker):
            transfer.to_village_approved_by = membership.user
        if transfer.from_village_approved_by and transfer.to_village_approved_by:
            transfer.state = TransferState.APPROVED
        transfer.save()
        transfers.append(transfer)
    return transfers


def _carry_person_accounts(moved: Sequence[Resident]) -> None:
    """A villager's own account goes with the person (scheme 4): the account of the row they left moves to the row
    that continues them, unless it holds nothing (then the new row keeps the one it was opened with)."""
    for new in moved:
        if new.continued_from_id is None:
            continue
        old_account = Account.objects.filter(resident_id=new.continued_from_id).first()
        if old_account is None or not Entry.objects.filter(account=old_account).exists():
            continue
        Account.objects.filter(resident=new).exclude(entries__isnull=False).delete()
        old_account.resident, old_account.village_id, old_account.area_id = new, *_place(new.household_id)
        old_account.save(update_fields=["resident", "village", "area"])


def _place(household_id: int) -> tuple[int, int]:
    household = Household.objects.only("village_id", "area_id").get(pk=household_id)
    return household.village_id, household.area_id


def _no_waiting_entries(household: Household) -> None:
    waiting = Entry.objects.filter(household=household, state=EntryState.PROPOSED).count()
    if waiting:
        raise DomainError(
            _(
                "Household %(number)s has %(count)s entries waiting for approval: wait until they are decided "
                "(or withdraw them) so that no point is left behind."
            )
            % {"number": household.number, "count": waiting}
        )


def _all_points(
    membership: Membership, giver: Household, taker: Household, event: LifeEvent
) -> list[Transfer]:
    transfers = []
    for scheme in Scheme.objects.filter(state=SchemeState.ACTIVE).order_by("starts_on", "pk"):
        transfers += _move(
            membership, scheme, giver, taker, balances(giver, scheme), event, event.occurred_on
        )
    return transfers


def split_household(
    *,
    membership: Membership,
    household: Household,
    leaving: Sequence[Resident],
    head: Resident,
    number: str,
    area: Area,
    split_on: datetime.date | None,
    reason: str,
    points: Decimal | int | str | None = None,
) -> LifeEvent:
    """分户: some members (not all, not none) leave to form a new household with its number, area and head (one of
    them); the original keeps its head. The points of the scheme in force divide per the scheme's rule.

    Right: EDIT_ROSTER and RECORD_ENTRY on the household, EDIT_ROSTER on the new household's area."""
    require(membership, Action.EDIT_ROSTER, household)
    require(membership, Action.RECORD_ENTRY, household)
    if area.township_id != household.township_id:
        raise DomainError(_("Choose an area of this township."), field="area")
    require(membership, Action.EDIT_ROSTER, area)
    day = life.check_date(split_on, "split_on")
    if not reason.strip():
        raise DomainError(_("Say why the household splits."), field="reason")
    if not number.strip():
        raise DomainError(_("Give the new household's number."), field="number")
    life.require_open(household)
    members = life.current_members(household)
    current = {m.pk for m in members}
    leaving_ids = {r.pk for r in leaving}
    if not leaving_ids:
        raise DomainError(_("Choose the members who leave to form the new household."), field="leaving")
    if not leaving_ids <= current:
        raise DomainError(_("Choose among the household's current members."), field="leaving")
    if leaving_ids == current:
        raise DomainError(
            _("Not every member can leave: the original household keeps at least one member."),
            field="leaving",
        )
    if head.pk not in leaving_ids:
        raise DomainError(_("The new household's head must be one of the members who leave."), field="head")
    if any(m.is_head and m.pk in leaving_ids for m in members):
        raise DomainError(
            _(
                "The head of household %(number)s would leave it without a head: change its head first, or "
                "let the head stay."
            )
            % {"number": household.number},
            field="leaving",
        )
    scheme = scheme_in_force(day)
    if points in ("", None):
        points = None
    amounts: dict[int, Decimal] = {}
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if scheme is not None:
            amounts = _split_amounts(
                scheme,
                balances(household, scheme),
                leaving=len(leaving_ids),
                members=len(current),
                points=None if points is None else Decimal(str(points)),
            )
        elif points is not None:
            raise DomainError(_("No active scheme covers the date: no points can move."), field="points")
        new = roster.create_household(
            membership=membership,
            area=area,
            number=number,
            address=household.address,
            participation=household.participation,
            participation_reason=household.participation_reason,
        )
        new.split_from = household
        new.save(update_fields=["split_from"])
        moved = life.transfer_members(
            membership=membership,
            residents=[m for m in members if m.pk in leaving_ids],
            to_household=new,
            moved_on=day,
            head=head,
        )
        _carry_person_accounts(moved)
        event = life.record_event(
            membership, LifeEventKind.SPLIT, household, day, reason.strip(), other_household=new
        )
        if scheme is not None:
            _move(membership, scheme, household, new, amounts, event, day)
    return event


def merge_households(
    *,
    membership: Membership,
    household: Household,
    absorbed: Household,
    merged_on: datetime.date | None,
    reason: str,
    area: Area | None = None,
) -> LifeEvent:
    """合户: `absorbed`'s members join `household` (which keeps its head), its approved points of every active scheme
    are added by ledger entries, and it ends (merged, with a pointer to `household`). The two may be of different
    villages of the township; `area`, if given, is where the merged household lives.

    Right: EDIT_ROSTER and RECORD_ENTRY on both households."""
    require(membership, Action.EDIT_ROSTER, household)
    require(membership, Action.RECORD_ENTRY, household)
    if absorbed.township_id != household.township_id:
        raise DomainError(
            _("Household %(number)s is not of this township.") % {"number": absorbed.number}, field="absorbed"
        )
    require(membership, Action.EDIT_ROSTER, absorbed)
    require(membership, Action.RECORD_ENTRY, absorbed)
    if absorbed.pk == household.pk:
        raise DomainError(_("A household cannot merge with itself."), field="absorbed")
    day = life.check_date(merged_on, "merged_on")
    if not reason.strip():
        raise DomainError(_("Say why the households merge."), field="reason")
    if area is not None and area.township_id != household.township_id:
        raise DomainError(_("Choose an area of this township."), field="area")
    life.require_open(household)
    life.require_open(absorbed, "absorbed")
    _no_waiting_entries(absorbed)
    with transaction.atomic():
        first, second = sorted([household.pk, absorbed.pk])  # rows locked in a fixed order
        list(Household.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk"))
        if area is not None and area.pk != household.area_id:
            roster.move_household(membership=membership, household=household, to_area=area, reason=reason)
            household.refresh_from_db()
        moved = life.transfer_members(
            membership=membership,
            residents=life.current_members(absorbed),
            to_household=household,
            moved_on=day,
        )
        _carry_person_accounts(moved)
        event = life.record_event(
            membership, LifeEventKind.MERGE, household, day, reason.strip(), other_household=absorbed
        )
        _all_points(membership, absorbed, household, event)
        life.end_household(
            membership=membership,
            household=absorbed,
            ended_on=day,
            status=HouseholdStatus.MERGED,
            reason=reason,
            merged_into=household,
        )
    return event


def close_household(
    *,
    membership: Membership,
    household: Household,
    moved_out_on: datetime.date | None,
    reason: str,
    transfer_to: Household | None = None,
) -> LifeEvent:
    """迁出: the household moves out of the township and its account closes (its members leave with it). Before it
    closes, its approved points of every active scheme may go to another household of the township. The closed
    household receives no entries, is not ranked and leaves the pickers; its passbook and closing slip stay.

    Right: EDIT_ROSTER and RECORD_ENTRY on the household."""
    require(membership, Action.EDIT_ROSTER, household)
    require(membership, Action.RECORD_ENTRY, household)
    day = life.check_date(moved_out_on, "moved_out_on")
    if not reason.strip():
        raise DomainError(_("Say why the household moves out."), field="reason")
    if transfer_to is not None:
        if transfer_to.township_id != household.township_id:
            raise DomainError(_("The points go only to a household of this township."), field="transfer_to")
        if transfer_to.pk == household.pk:
            raise DomainError(_("Choose another household to take the points."), field="transfer_to")
        life.require_open(transfer_to, "transfer_to")
    life.require_open(household)
    _no_waiting_entries(household)
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        event = life.record_event(
            membership, LifeEventKind.MOVED_OUT, household, day, reason.strip(), other_household=transfer_to
        )
        if transfer_to is not None:
            _all_points(membership, household, transfer_to, event)
        life.end_household(
            membership=membership,
            household=household,
            ended_on=day,
            status=HouseholdStatus.CLOSED,
            reason=reason,
        )
    return event


def set_split_points(*, membership: Membership, scheme: Scheme, split_points: str) -> Scheme:
    """The scheme's rule for points on a split (the township office's, like the rest of the scheme).

    Right: EDIT_SCHEME."""
    require(membership, Action.EDIT_SCHEME, scheme, message=_("Only the township office changes schemes."))
    if scheme.state == SchemeState.CLOSED:
        raise DomainError(
            _("The scheme of %(year)d is closed; start next year's scheme instead.") % {"year": scheme.year}
        )
    if split_points not in SplitPoints.values:
        raise DomainError(_("Choose how points divide on a split."), field="split_points")
    scheme.split_points = split_points
    scheme.save(update_fields=["split_points"])
    return scheme
