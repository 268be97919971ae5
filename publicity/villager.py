"""The villagers' own page (/v/<code>/), reached by the QR on their passbook: no login, a second factor.

The code is looked up by its SHA-256 hash, the one cross-township lookup this page makes; everything after runs in
the code's township and shows only the code's household. A second factor the household knows (the last 4 digits of
the head's mobile or ID number) opens it for 30 minutes with a signed cookie for that code only. Five wrong answers
for a code within 15 minutes lock the code for 15 minutes; a client address is locked after 20 (core.security).
Only the failure counts are written (the code's on its row, the address's in the cache). Nothing here is
cached by anyone.
"""

import datetime
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.security import client_ip
from core.tenancy import dangerously_all_townships, township_scope
from households.models import Resident
from rewards.models import StarResult
from rewards.selectors import list_stars, published_run, spendable_balance
from scoring.models import Account, EntryState, PassbookCode, RankingList, Scheme, SchemeState
from scoring.passbook_access import COOKIE, MAX_CODE_LENGTH, OPEN_FOR, page_is_open, page_signer
from scoring.selectors import passbook
from scoring.services import hash_code

from . import villager_requests

WINDOW = datetime.timedelta(minutes=15)
CODE_TRIES = 5
ADDRESS_TRIES = 20


def villager_url(code: str) -> str:
    """The absolute address the QR on the passbook encodes (as the notices' QR: JIFEN_PUBLIC_BASE_URL)."""
    return settings.JIFEN_PUBLIC_BASE_URL.rstrip("/") + reverse(
        "publicity:villager-page", kwargs={"code": code}
    )


def _no_store(response, *, referrer: str = "no-referrer"):
    """Cached by nobody; the address (it holds the code) sent to no other site. The page with the form says
    "same-origin": with "no-referrer" the browser posts the form with `Origin: null`, which the CSRF check refuses,
    and the page links nowhere else, so the code still never leaves the site."""
    response["Cache-Control"] = "no-store, private, max-age=0"
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    response["Referrer-Policy"] = referrer
    return response


def _refuse(request, message: str, status: int):
    return _no_store(render(request, "publicity/villager_refused.html", {"message": message}, status=status))


def _locked_until(key: str) -> datetime.datetime | None:
    until = cache.get(f"{key}:locked")
    return until if until is not None and until > timezone.now() else None


def _count_failure(key: str, limit: int) -> None:
    """Count a wrong answer from a client address within the window; at `limit` lock it for the window. In the
    cache: one count per process unless settings.CACHES names a shared cache (the code's own count is in the
    database)."""
    now = timezone.now()
    fails = [t for t in cache.get(f"{key}:fails", []) if t > now - WINDOW] + [now]
    timeout = int(WINDOW.total_seconds()) + 60
    if len(fails) >= limit:
        cache.set(f"{key}:locked", now + WINDOW, timeout=timeout)
        fails = []
    cache.set(f"{key}:fails", fails, timeout=timeout)


def _code_locked_until(row: PassbookCode) -> datetime.datetime | None:
    return row.locked_until if row.locked_until is not None and row.locked_until > timezone.now() else None


def _count_code_failure(row: PassbookCode) -> None:
    """Count a wrong answer for the code, in the database (every web worker sees the same count): the 5th within
    15 minutes of the first locks the code for 15 minutes."""
    with transaction.atomic():
        row = PassbookCode.objects.select_for_update().get(pk=row.pk)
        now = timezone.now()
        if row.failed_since is None or row.failed_since <= now - WINDOW:
            row.failed_attempts, row.failed_since = 0, now
        row.failed_attempts += 1
        if row.failed_attempts >= CODE_TRIES:
            row.locked_until = now + WINDOW
            row.failed_attempts, row.failed_since = 0, None
        row.save(update_fields=["failed_attempts", "failed_since", "locked_until"])


def _address_key(request) -> str:
    return f"passbook-address:{client_ip(request) or 'unknown'}"


def _factors(account: Account, head: Resident | None) -> list[str]:
    """What the holder knows: a family's head's (or a villager's own) last 4 digits of the mobile or ID number; a
    villager without either answers with their head of household's; a unit with its contact's mobile."""
    if account.unit_id is not None:
        values = [account.unit.contact_mobile]
    else:
        person = account.resident if account.resident_id is not None else head
        values = [person.mobile, person.id_number] if person is not None else []
        if account.resident_id is not None and not any(len(v) >= 4 for v in values) and head is not None:
            values = [head.mobile, head.id_number]
    return [value[-4:].upper() for value in values if len(value) >= 4]


_signer = page_signer  # the cookie's rule lives in scoring.passbook_access (the village survey reads it too)
_is_open = page_is_open


def _scheme(account: Account) -> Scheme | None:
    """This year's active scheme that keeps the account's kind, else the latest such one that is not a draft."""
    year = timezone.localdate().year
    schemes = [
        s
        for s in Scheme.objects.exclude(state=SchemeState.DRAFT).order_by("-year", "-id")
        if account.kind in s.account_kinds
    ]
    current = [
        s for s in schemes if s.state == SchemeState.ACTIVE and (s.year == year or s.points_carry_forward)
    ]
    return (current or schemes or [None])[0]


def _statement(account: Account) -> dict:
    """The account's own figures, from the same selectors as the staff's passbook (one source for the rule): a
    family's stars (its rating run), a villager's or a unit's in its village's list; the supermarket balance."""
    scheme = _scheme(account)
    context: dict = {"scheme": scheme}
    if scheme is None:
        return context
    household = account.household
    book = passbook(household or account, scheme)
    stars = None
    if household is not None:
        run = published_run(scheme)
        result = StarResult.objects.filter(run=run, household=household).first() if run else None
        stars = result.stars if result is not None else None
    else:
        ranking = RankingList.UNIT if account.unit_id else RankingList.RESIDENT
        stars = next(
            (s for r, s in list_stars(scheme, ranking, account.village) if r.account_id == account.pk), 0
        )
    context.update(
        book=book,
        rows=[row for row in book["rows"] if row["entry"].state != EntryState.WITHDRAWN],
        stars=stars or None,
        balance=spendable_balance(
            household if household is not None else account,
            year=timezone.localdate().year if scheme.points_carry_forward else scheme.year,
        ),
    )
    return context


@never_cache
def villager_page(request, code: str):
    if len(code) > MAX_CODE_LENGTH:
        return _refuse(
            request, _("This QR code is not valid. Ask your village clerk for your passbook."), 404
        )
    code_hash = hash_code(code)
    # The code is the only key to the household: the one cross-township lookup of this page.
    with dangerously_all_townships():
        row = (
            PassbookCode.objects.select_related(
                "township",
                "account__village",
                "account__household",
                "account__resident__household",
                "account__unit",
            )
            .filter(code_hash=code_hash)
            .first()
        )
    if row is None:
        return _refuse(
            request, _("This QR code is not valid. Ask your village clerk for your passbook."), 404
        )
    if row.revoked_at is not None:
        return _refuse(
            request,
            _(
                "This QR code was revoked (the passbook was reprinted or reported lost). Use your newest passbook."
            ),
            404,
        )
    with township_scope(row.township):
        return _villager_page(request, row, code_hash)


def _holder(account: Account, head: Resident | None) -> str:
    """Whose page this is, in the holder's own words (their own page: names in full)."""
    if account.unit_id is not None:
        return account.unit.name
    if account.resident_id is not None:
        return f"{account.resident.name}（{account.resident.household.number}）"
    return f"{account.household.number} {head.name if head else ''}".strip()


def _villager_page(request, row: PassbookCode, code_hash: str):
    account = row.account
    household = account.household or (account.resident.household if account.resident_id else None)
    head = Resident.objects.filter(household=household, is_head=True).first() if household else None
    context = {
        "account": account,
        "household": account.household,
        "head": head,
        "village": account.village,
        "holder": _holder(account, head),
    }
    if _is_open(request, code_hash):
        # The page holds two forms now: "same-origin" lets the browser send its Origin (see _no_store).
        page = villager_requests.open_page(request, row, {**context, **_statement(account)})
        return _no_store(page, referrer="same-origin")
    factors = _factors(account, head)
    context["has_factor"] = bool(factors)
    status = 200
    if request.method == "POST" and factors and "digits" not in request.POST:
        # A declaration or appeal sent after the page closed: nothing is kept, and it is no wrong answer.
        context["error"] = _(
            "This page closed after 30 minutes: enter the 4 digits again, then send it again."
        )
        status = 400
    elif request.method == "POST" and factors:
        locked = _code_locked_until(row) or _locked_until(_address_key(request))
        answer = request.POST.get("digits", "").strip().upper()[:4]
        if locked is not None:
            context["error"] = _(
                "Too many wrong answers. For your safety this page is locked: try again after %(time)s."
            ) % {"time": timezone.localtime(locked).strftime("%H:%M")}
            status = 429
        elif len(answer) == 4 and any(secrets.compare_digest(answer, f) for f in factors):
            response = _no_store(redirect(request.path))
            response.set_cookie(
                COOKIE,
                _signer(code_hash).sign(code_hash[:16]),
                max_age=int(OPEN_FOR.total_seconds()),
                path=request.path,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Strict",
            )
            return response
        else:
            _count_code_failure(row)
            _count_failure(_address_key(request), ADDRESS_TRIES)
            context["error"] = _(
                "The digits do not match. Enter the last 4 digits of the head of household's mobile number or ID "
                "number (an X at the end of an ID number counts as a digit)."
            )
            status = 400
    page = render(request, "publicity/villager_check.html", context, status=status)
    return _no_store(page, referrer="same-origin" if factors else "no-referrer")


urlpatterns = [path("v/<str:code>/", villager_page, name="villager-page")]
