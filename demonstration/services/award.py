"""The use of an award (seed 3: 专款专用): the village records its spending, the county or the city checks it.

The village's side acts as a township member (`membership: Membership`): the village's paperwork right
(`SPEND_RIGHT`, the clerk of the village or the township office), like applying. The check is a region officer's
(`membership: RegionMembership`, `CHECK_RIGHT`) of a county or city that sees the application.

The balance never goes below zero: a spending is checked under the application's row lock (and the database refuses
one that would overdraw it). Nothing is edited or deleted: a spending is put right by a reversing record with a
reason, a check by a later check.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import RegionAction, require, require_region
from core.tenancy import township_scope
from households.models import Membership

from .. import selectors
from ..form_files import check_invoice_file, invoice_name_for
from ..models import (
    Application,
    ApplicationState,
    AwardCheck,
    AwardPurpose,
    AwardSpending,
    CheckFinding,
    CheckKind,
    RegionMembership,
)
from ..moves import VILLAGE_RIGHT

SPEND_RIGHT = VILLAGE_RIGHT  # the village's paperwork: its clerk, or the township office
CHECK_RIGHT = RegionAction.RUN_CALL  # a programme officer of the county or the city
CENT = Decimal("0.01")


def record_spending(
    *,
    membership: Membership,
    application: Application,
    spent_on: datetime.date,
    purpose: str,
    amount: Decimal,
    supplier: str,
    invoice: UploadedFile,
    note: str = "",
) -> AwardSpending:
    """One spending of the award, with its invoice; refused when it is more than the balance."""
    with township_scope(application.township):
        require(membership, SPEND_RIGHT, application)
        amount = _amount(amount)
        supplier, note = supplier.strip(), note.strip()
        if purpose not in AwardPurpose.values:
            raise DomainError(_("Choose one of the programme's purposes."), field="purpose")
        if purpose == AwardPurpose.OTHER_APPROVED and not note:
            raise DomainError(
                _("Say who approved this use and when (the approval's reference)."), field="note"
            )
        if not supplier:
            raise DomainError(_("Name the supplier."), field="supplier")
        _not_in_future(spent_on, "spent_on")
        content_type = check_invoice_file(invoice)
        with transaction.atomic():
            locked = _lock_awarded(application)
            balance = selectors.award_balance(locked)
            if amount > balance.balance:
                raise DomainError(
                    _(
                        "%(amount)s yuan is more than the award's balance of %(balance)s yuan "
                        "(award %(award)s yuan, %(spent)s yuan spent)."
                    )
                    % {
                        "amount": amount,
                        "balance": balance.balance,
                        "award": balance.award,
                        "spent": balance.spent,
                    },
                    field="amount",
                    code="over_balance",
                )
            spending = AwardSpending(
                township_id=locked.township_id,
                application=locked,
                spent_on=spent_on,
                purpose=purpose,
                amount=amount,
                supplier=supplier[:200],
                note=note[:300],
                invoice_name=invoice_name_for(invoice.name or "", content_type),
                invoice_content_type=content_type,
                invoice_size=invoice.size or 0,
                recorded_by=membership.user,
            )
            invoice.seek(0)
            spending.invoice.save(spending.invoice_name, invoice, save=False)
            spending.save()
    return spending


def reverse_spending(*, membership: Membership, spending: AwardSpending, reason: str) -> AwardSpending:
    """Put a spending right: a reversing record of the same amount, dated today, with the reason."""
    reason = reason.strip()
    with township_scope(spending.township):
        require(membership, SPEND_RIGHT, spending.application)
        if not reason:
            raise DomainError(_("Say why the spending is reversed."), field="reason")
        with transaction.atomic():
            _lock_awarded(spending.application)
            original = AwardSpending.objects.select_related("reverses").get(pk=spending.pk)
            if original.is_reversal:
                raise DomainError(_("A reversal is not reversed: record the spending again instead."))
            done = AwardSpending.objects.filter(reverses=original).first()
            if done is not None:
                raise DomainError(
                    _("This spending was already reversed on %(date)s.")
                    % {"date": timezone.localtime(done.recorded_at).date()},
                    code="already_reversed",
                )
            return AwardSpending.objects.create(
                township_id=original.township_id,
                application_id=original.application_id,
                spent_on=timezone.localdate(),
                purpose=original.purpose,
                amount=-original.amount,
                supplier=original.supplier,
                reverses=original,
                reason=reason,
                recorded_by=membership.user,
            )


def record_check(
    *,
    membership: RegionMembership,
    application: Application,
    checked_on: datetime.date,
    finding: str,
    sampled: Iterable[Any] = (),
    kind: str = CheckKind.SPOT_CHECK,
    details: str = "",
    follow_up: str = "",
) -> AwardCheck:
    """A county's or a city's check of the award's use: the items sampled (spending of this award), the finding
    and, for a finding of misuse, what was found and what must follow."""
    require_region(membership, CHECK_RIGHT, membership.region)
    region = membership.region
    if not selectors.applications_for_region(region, pk=application.pk):
        raise PermissionDenied(_("Your role does not allow this."))  # another county's village
    details, follow_up = details.strip(), follow_up.strip()
    if finding not in CheckFinding.values:
        raise DomainError(_("Choose the finding."), field="finding")
    if kind not in CheckKind.values:
        raise DomainError(_("Choose a check or a spot check."), field="kind")
    if finding != CheckFinding.NONE and not details:
        raise DomainError(_("Say what was found."), field="details")
    if finding != CheckFinding.NONE and not follow_up:
        raise DomainError(
            _("Say what must follow (return of the money, correction, referral)."), field="follow_up"
        )
    _not_in_future(checked_on, "checked_on")
    ids = {_id(item) for item in sampled}
    with township_scope(application.township), transaction.atomic():
        locked = _lock_awarded(application)
        spending = AwardSpending.objects.filter(application=locked)
        items = list(spending.filter(pk__in=ids))
        if len(items) != len(ids):
            raise DomainError(_("Sample only items of this award's spending."), field="sampled")
        if not items and spending.exists():
            raise DomainError(_("Tick the items you sampled."), field="sampled")
        check = AwardCheck.objects.create(
            township_id=locked.township_id,
            application=locked,
            region=region,
            kind=kind,
            checked_on=checked_on,
            finding=finding,
            details=details,
            follow_up=follow_up,
            checked_by=membership.user,
        )
        check.sampled.set(items)
    return check


def _lock_awarded(application: Application) -> Application:
    locked = Application.objects.select_for_update().get(pk=application.pk)
    if locked.state != ApplicationState.AWARDED or locked.award is None:
        raise DomainError(
            _("The application is %(state)s: only an awarded village records spending against its award.")
            % {"state": locked.get_state_display()},
            code="not_awarded",
        )
    return locked


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Give the amount in yuan, e.g. 1200.50."), field="amount") from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError(_("The amount must be more than 0 yuan."), field="amount", code="not_positive")
    if amount != amount.quantize(CENT) or amount >= Decimal("1e10"):
        raise DomainError(_("Give the amount in yuan, e.g. 1200.50."), field="amount")
    return amount.quantize(CENT)


def _not_in_future(day: datetime.date, field: str) -> None:
    if day is None or day > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field=field)


def _id(item: Any) -> int:
    try:
        value = int(getattr(item, "pk", item))
    except (TypeError, ValueError):
        value = 0
    if not 0 < value < 2**31:
        raise DomainError(_("Sample only items of this award's spending."), field="sampled")
    return value
