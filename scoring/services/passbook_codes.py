"""The codes in the QR on the passbooks: issue (or reprint: revoke the old one and issue a new one) and revoke.

Whoever may keep a household's record (its village's clerk, the township office) issues and revokes its code. The
code is returned once, to print; only its SHA-256 hash is stored (scoring.models.PassbookCode).
"""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Household, Membership

from ..models import PassbookCode

CODE_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 random bits


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def live_code(household: Household) -> PassbookCode | None:
    return PassbookCode.objects.filter(household=household, revoked_at__isnull=True).first()


def issue_code(*, membership: Membership, household: Household) -> tuple[PassbookCode, str]:
    """A new code for the household's passbook, revoking its live one if any (a reprint). Returns the row and the
    code itself, which is never stored: print it now."""
    require(
        membership,
        Action.EDIT_ROSTER,
        household,
        message=_("Only the village's clerk or the township office can issue the code of a passbook."),
    )
    code = secrets.token_urlsafe(CODE_BYTES)
    now = timezone.now()
    with transaction.atomic():
        # Lock the household so two reprints at once cannot both leave a live code.
        Household.objects.select_for_update().filter(pk=household.pk).first()
        PassbookCode.objects.filter(household=household, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=membership.user
        )
        row = PassbookCode.objects.create(
            township_id=household.township_id,
            household=household,
            code_hash=hash_code(code),
            created_by=membership.user,
        )
    return row, code


def revoke_code(*, membership: Membership, household: Household) -> PassbookCode:
    """Revoke the household's live code: its QR stops opening the page at once."""
    require(
        membership,
        Action.EDIT_ROSTER,
        household,
        message=_("Only the village's clerk or the township office can revoke the code of a passbook."),
    )
    with transaction.atomic():
        row = (
            PassbookCode.objects.select_for_update()
            .filter(household=household, revoked_at__isnull=True)
            .first()
        )
        if row is None:
            raise DomainError(
                _("Household %(number)s has no live passbook code: there is nothing to revoke.")
                % {"number": household.number},
                code="no_live_code",
            )
        row.revoked_at = timezone.now()
        row.revoked_by = membership.user
        row.save(update_fields=["revoked_at", "revoked_by"])
    return row
