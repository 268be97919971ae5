"""What the services of schemes, the ledger and transfers share: the two-decimal rule of points."""

from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import DomainError


def _require_two_decimals(value: Decimal | int | str, field: str) -> Decimal:
    value = Decimal(value)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError(_("Points have at most two decimals (e.g. 0.5 or 1.25)."), field=field)
    return value
