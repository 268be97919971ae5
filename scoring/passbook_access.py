"""Opening a household's own public pages by the code in its passbook's QR (publicity.villager asks the second
factor and sets the cookie; other public pages of the household, such as the village survey, check the same
cookie). One source for the rule: the code is found by its hash, a revoked code opens nothing, and the page stays
open 30 minutes after the second factor, for that code only."""

import datetime

from django.core import signing

from core.tenancy import dangerously_all_townships

from .models import PassbookCode
from .services import hash_code

COOKIE = "jifen_passbook"
OPEN_FOR = datetime.timedelta(minutes=30)
MAX_CODE_LENGTH = 100


def page_signer(code_hash: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"publicity.villager:{code_hash}")


def page_is_open(request, code_hash: str) -> bool:
    """Did this browser answer the code's second factor in the last 30 minutes (its signed cookie)?"""
    value = request.COOKIES.get(COOKIE)
    if not value:
        return False
    try:
        return page_signer(code_hash).unsign(value, max_age=OPEN_FOR) == code_hash[:16]
    except signing.BadSignature:  # forged, another code's, or older than 30 minutes
        return False


def find_code(code: str) -> PassbookCode | None:
    """The code's row, live or revoked, or None (too long or unknown). The code is the only key to the household:
    the one cross-township lookup of a villager's page."""
    if len(code) > MAX_CODE_LENGTH:
        return None
    with dangerously_all_townships():
        return (
            PassbookCode.objects.select_related(
                "township", "account__village", "account__household", "account__resident__household"
            )
            .filter(code_hash=hash_code(code))
            .first()
        )
