"""The duty monitor's daily record (值日班长, seed 2) on a phone: the class's students, the day's common items one
tap each, what was recorded that day with who recorded it, the day's duty monitor and closing the day.

Every recording goes through `scoring.services.record_entry` (source: recorded directly, like a clerk's), which
checks the member's right on the student, the term and the date; the day's record through
`review.services.name_duty_monitor` / `close_day`."""

import datetime
import secrets

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, check
from core.views import parse_id, township_view
from households.selectors import villages_visible_to
from scoring import services as scoring
from scoring.models import EntrySource, Item, SchemeState, format_points

from .. import services
from ..selectors import rhythm as selectors
from .common import get_visible, render_page, url

IDEMPOTENCY_PREFIX = "day"


def get_class(membership, village_pk):
    """A class of the member's (404 otherwise) where the member records (403 otherwise)."""
    village = get_visible(villages_visible_to(membership), village_pk)
    check(membership, Action.RECORD_ENTRY, village)
    return village


def parse_day(request, value: str | None) -> datetime.date:
    """The day of the page (the school's today by default); a malformed date falls back to today, said so."""
    today = timezone.localdate()
    if not value:
        return today
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        messages.error(
            request, _("“%(value)s” is not a date (YYYY-MM-DD): showing today.") % {"value": value[:20]}
        )
        return today


def day_url(request, village, day: datetime.date, query: str = "") -> str:
    params = {"date": day.isoformat(), **({"q": query} if query else {})}
    return url(request, "class-day", village_pk=village.pk) + "?" + urlencode(params)


@township_view(Action.RECORD_ENTRY)
def class_day(request, township, membership, village_pk):
    village = get_class(membership, village_pk)
    day = parse_day(request, request.GET.get("date"))
    query = request.GET.get("q", "")[:50].replace("\x00", "")
    today = timezone.localdate()
    scheme = selectors.scheme_for_day(day)
    record = selectors.daily_record(village, day)
    problem = ""
    if day > today:
        problem = _("The date cannot be in the future.")
    elif scheme is None:
        problem = _("No active scheme covers %(day)s: it is outside the term.") % {"day": day}
    common, items = selectors.duty_items(scheme) if scheme else ([], [])
    entries = list(selectors.day_entries(village, day))
    for entry in entries:
        entry.can_withdraw = selectors.withdrawable(entry, membership.user_id)
    context = {
        "village": village,
        "day": day,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1) if day < today else None,
        "today": today,
        "query": query,
        "scheme": scheme,
        "problem": problem,
        "record": record,
        "can_record": not problem and not (record and record.closed),
        "students": list(selectors.class_students(village, query)),
        "all_students": list(selectors.class_students(village)),
        "common": common,
        "items": items,
        "entries": entries,
        "token": secrets.token_urlsafe(12),
        "week_url": url(request, "class-weeks", village_pk=village.pk),
    }
    return render_page(request, "review/class_day.html", context)


def _posted_day(request) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        return None


@township_view(Action.RECORD_ENTRY)
def class_day_record(request, township, membership, village_pk):
    village = get_class(membership, village_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    day = _posted_day(request)
    query = request.POST.get("q", "")[:50]
    back = day_url(request, village, day or timezone.localdate(), query)
    students = selectors.class_students(village)
    student = get_visible(students, request.POST.get("student"))
    item = get_visible(
        Item.objects.filter(category__scheme__state=SchemeState.ACTIVE, active=True), request.POST.get("item")
    )
    if day is None:
        messages.error(request, _("Choose the date."))
        return redirect(back)
    record = selectors.daily_record(village, day)
    if record is not None and record.closed:
        messages.error(request, _("The day %(day)s is closed: nothing was recorded.") % {"day": day})
        return redirect(back)
    token = request.POST.get("token", "")[:40]
    key = f"{IDEMPOTENCY_PREFIX}:{token}:{student.pk}:{item.pk}" if token else ""
    try:
        entry = scoring.record_entry(
            membership=membership,
            household=student,
            item=item,
            occurred_on=day,
            source=EntrySource.CLERK,
            reason=request.POST.get("reason", "")[:300].replace("\x00", ""),
            idempotency_key=key[:80],
        )
    except DomainError as exc:
        messages.error(request, _("Nothing was recorded: %(problem)s") % {"problem": exc.message})
    else:
        points = format_points(entry.points)
        messages.success(
            request,
            _("Recorded for %(number)s %(name)s: %(item)s %(points)s.")
            % {
                "number": student.number,
                "name": student.head or "",
                "item": entry.item_name,
                "points": points if entry.points < 0 else f"+{points}",
            },
        )
    return redirect(back)


@township_view(Action.RECORD_ENTRY)
def class_day_withdraw(request, township, membership, village_pk):
    village = get_class(membership, village_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    day = _posted_day(request) or timezone.localdate()
    entry = get_visible(selectors.day_entries(village, day), request.POST.get("entry"))
    if not selectors.withdrawable(entry, membership.user_id):
        messages.error(
            request, _("Only your own proposal recorded today and not yet posted can be withdrawn here.")
        )
        return redirect(day_url(request, village, day))
    try:
        scoring.withdraw_entry(
            membership=membership, entry=entry, reason=_("Withdrawn by the recorder on the daily record.")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Withdrawn: %(item)s.") % {"item": entry.item_name})
    return redirect(day_url(request, village, day))


@township_view(Action.RECORD_ENTRY)
def class_day_close(request, township, membership, village_pk):
    """The day's duty monitor (saved), or the day closed (handed over)."""
    village = get_class(membership, village_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    day = _posted_day(request)
    if day is None:
        messages.error(request, _("Choose the date."))
        return redirect(day_url(request, village, timezone.localdate()))
    monitor_id = parse_id(request.POST.get("duty_monitor"))
    monitor = get_visible(selectors.class_students(village), monitor_id) if monitor_id else None
    note = request.POST.get("note", "")[:1000].replace("\x00", "")
    closing = request.POST.get("close") == "1"
    try:
        if closing:
            services.close_day(
                membership=membership, village=village, day=day, duty_monitor=monitor, note=note
            )
        else:
            services.name_duty_monitor(
                membership=membership, village=village, day=day, duty_monitor=monitor, note=note
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The day %(day)s is closed and handed over.") % {"day": day}
            if closing
            else _("The day's duty monitor is saved."),
        )
    return redirect(day_url(request, village, day))


urlpatterns = [
    path("classes/<int:village_pk>/day/", class_day, name="class-day"),
    path("classes/<int:village_pk>/day/record/", class_day_record, name="class-day-record"),
    path("classes/<int:village_pk>/day/withdraw/", class_day_withdraw, name="class-day-withdraw"),
    path("classes/<int:village_pk>/day/close/", class_day_close, name="class-day-close"),
]
