"""The codes in the QR on the passbooks: issue (or reprint: revoke the old one and issue a new one) and revoke.

Whoever may keep an account's holder (its village's clerk, the township office) issues and revokes its code: a
family's (a household passed for its account), a villager's or a unit's. The code is returned once, to print; only
its SHA-256 hash is stored (scoring.models.PassbookCode).
"""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Household, Membership

from ..accounts import account_of
from ..models import Account, PassbookCode

CODE_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 random bits


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _account(holder: Household | Account) -> Account:
    return holder if isinstance(holder, Account) else account_of(holder)


def live_code(holder: Household | Account) -> PassbookCode | None:
    return PassbookCode.objects.filter(account=_account(holder), revoked_at__isnull=True).first()


def issue_code(*, membership: Membership, household: Household | Account) -> tuple[PassbookCode, str]:
    """A new code for the passbook of the household's (or the given) account, revoking its live one if any (a
    reprint). Returns the row and the code itself, which is never stored: print it now."""
    account = _account(household)
    require(
        membership,
        Action.EDIT_ROSTER,
        account,
        message=_("Only the village's clerk or the township office can issue the code of a passbook."),
    )
    code = secrets.token_urlsafe(CODE_BYTES)
    now = timezone.now()
    with transaction.atomic():
        # Lock the account so two reprints at once cannot both leave a live code.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        PassbookCode.objects.filter(account=account, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=membership.user
        )
        row = PassbookCode.objects.create(
            township_id=account.township_id,
            account=account,
            household_id=account.household_id,
            code_hash=hash_code(code),
            created_by=membership.user,
        )
    return row, code


def revoke_code(*, membership: Membership, household: Household | Account) -> PassbookCode:
    """Revoke the live code of the household's (or the given) account: its QR stops opening the page at once."""
    account = _account(household)
    require(
        membership,
        Action.EDIT_ROSTER,
        account,
        message=_("Only the village's clerk or the township office can revoke the code of a passbook."),
    )
    with transaction.atomic():
        row = (
            PassbookCode.objects.select_for_update().filter(account=account, revoked_at__isnull=True).first()
        )
        if row is None:
            raise DomainError(
                _("%(holder)s has no live passbook code: there is nothing to revoke.")
                % {"holder": account.holder_name},
                code="no_live_code",
            )
        row.revoked_at = timezone.now()
        row.revoked_by = membership.user
        row.save(update_fields=["revoked_at", "revoked_by"])
    return row
