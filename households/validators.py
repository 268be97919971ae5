"""Chinese resident ID numbers (GB 11643) and mobile numbers: validation and masking."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_number_problem(value: str) -> str | None:
    """Why an ID number is invalid, or None. Checks length, digits, birth date and the check character."""
    value = value.strip().upper()
    if len(value) != 18:
        return _("An ID number has 18 characters; this one has %(n)d.") % {"n": len(value)}
    if not _ID_RE.match(value):
        return _("An ID number is 17 digits followed by a digit or X.")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("The birth date inside the ID number (%(d)s) does not exist.") % {"d": value[6:14]}
    if birth.year < 1900 or birth > timezone.localdate():
        return _("The birth date inside the ID number (%(d)s) is not plausible.") % {"d": value[6:14]}
    expected = _ID_CHECK[sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True)) % 11]
    if value[17] != expected:
        return _("The check character of the ID number is wrong: a typing mistake?")
    return None


def validate_id_number(value: str) -> None:
    if value and (problem := id_number_problem(value)):
        raise ValidationError(problem, code="invalid_id_number")


def validate_mobile(value: str) -> None:
    if value and not _MOBILE_RE.match(value):
        raise ValidationError(_("A mobile number is 11 digits starting with 1."), code="invalid_mobile")


def mask_id_number(value: str) -> str:
    """371425********123X → keeps the region code and the last four characters."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:]


def mask_name(value: str) -> str:
    """张*明: keeps the first and last character (two-character names keep the first)."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
