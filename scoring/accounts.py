"""Every holder has its points account (issue 14, item 1): a household, a resident and a unit get one when they are
created, and it follows its holder's village and area when the holder moves. Kept here, in one place, by the
roster's own saves (post_save), so no roster service has to remember it and an import opens the accounts of what
it writes."""

from collections.abc import Iterable

from django.db.models.signals import post_save

from households.models import Household, Resident, Unit

from .models import Account, AccountKind


def _row(holder: Household | Resident | Unit) -> Account:
    if isinstance(holder, Household):
        return Account(
            township_id=holder.township_id,
            kind=AccountKind.HOUSEHOLD,
            household=holder,
            village_id=holder.village_id,
            area_id=holder.area_id,
        )
    if isinstance(holder, Resident):
        household = Household._base_manager.only("village_id", "area_id").get(pk=holder.household_id)
        return Account(
            township_id=holder.township_id,
            kind=AccountKind.RESIDENT,
            resident=holder,
            village_id=household.village_id,
            area_id=household.area_id,
        )
    return Account(
        township_id=holder.township_id, kind=AccountKind.UNIT, unit=holder, village_id=holder.village_id
    )


def open_accounts(holders: Iterable[Household | Resident | Unit]) -> None:
    """Open the holders' accounts, or bring their village and area up to date: one INSERT … ON CONFLICT per kind."""
    by_field: dict[str, list[Account]] = {}
    for holder in holders:
        field = type(holder).__name__.lower()
        by_field.setdefault(field, []).append(_row(holder))
    for field, rows in by_field.items():
        # The base manager: the rows carry their holders' own township, and a roster save may run outside a scope.
        Account._base_manager.bulk_create(
            rows, update_conflicts=True, unique_fields=[field], update_fields=["village", "area"]
        )


def account_of(holder: Household | Resident | Unit, *, for_update: bool = False) -> Account:
    """The holder's account (opened if a holder written before accounts existed lacks one); `for_update`: locked for
    the rest of the transaction, and read under the lock."""
    field = type(holder).__name__.lower()
    accounts = Account.objects.select_for_update() if for_update else Account.objects.all()
    account = accounts.filter(**{field: holder}).first()
    if account is None:
        open_accounts([holder])
        account = accounts.get(**{field: holder})
    setattr(account, field, holder)  # the holder the caller has, not a second read
    return account


def _opened(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        open_accounts([instance])


def _household_moved(sender, instance: Household, raw=False, **kwargs) -> None:
    """A household's residents move with it."""
    if raw:
        return
    open_accounts([instance])
    Account._base_manager.filter(resident__household=instance).exclude(
        village_id=instance.village_id, area_id=instance.area_id
    ).update(village_id=instance.village_id, area_id=instance.area_id)


def connect() -> None:
    post_save.connect(_household_moved, sender=Household, dispatch_uid="scoring-account-household")
    post_save.connect(_opened, sender=Resident, dispatch_uid="scoring-account-resident")
    post_save.connect(_opened, sender=Unit, dispatch_uid="scoring-account-unit")
