"""The Monday summary (常规结果每周一汇总, seed 2): a class's weeks, one week's summary with its three steps
(prepared → handed to the vice monitor → filed by the head teacher), the printed summary, and the button that
posts the week's entries on the class's notice (班干部负责积分汇总和公示). Each step is one service call."""

import datetime

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.pdf import render_pdf
from core.permissions import Action, can, restrict_to_visible
from core.views import township_view
from core.vocabulary import in_language

from .. import services
from ..models import SummaryState, WeeklySummary
from ..selectors import rhythm as selectors
from .common import get_visible, render_page, round_url, url
from .daily import get_class

WEEKS_LISTED = 20


def get_summary(membership, pk) -> WeeklySummary:
    summaries = restrict_to_visible(membership, WeeklySummary.objects.select_related("village", "scheme"))
    return get_visible(summaries, pk)


def summary_url(request, summary: WeeklySummary) -> str:
    return url(request, "weekly-summary", pk=summary.pk)


@township_view(Action.RECORD_ENTRY)
def class_weeks(request, township, membership, village_pk):
    """The class's weeks of the term so far, newest first, each with its summary's step; POST prepares one."""
    village = get_class(membership, village_pk)
    if request.method == "POST":
        try:
            week_start = datetime.date.fromisoformat(request.POST.get("week_start", ""))
        except ValueError:
            messages.error(request, _("Choose the week."))
            return redirect(url(request, "class-weeks", village_pk=village.pk))
        try:
            summary = services.prepare_weekly_summary(
                membership=membership, village=village, week_start=week_start
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(url(request, "class-weeks", village_pk=village.pk))
        messages.success(request, _("The summary of %(week)s is prepared.") % {"week": summary.week})
        return redirect(summary_url(request, summary))
    today = timezone.localdate()
    monday, _week = selectors.week_of(today)
    scheme = selectors.scheme_for_day(today)
    first = selectors.week_of(scheme.starts_on)[0] if scheme else monday
    summaries = {s.week_start: s for s in WeeklySummary.objects.filter(village=village)}
    weeks = []
    start = monday
    while start >= first and len(weeks) < WEEKS_LISTED:
        weeks.append({"start": start, "name": selectors.week_of(start)[1], "summary": summaries.get(start)})
        start -= datetime.timedelta(days=7)
    context = {
        "village": village,
        "weeks": weeks,
        "day_url": url(request, "class-day", village_pk=village.pk),
    }
    return render_page(request, "review/class_weeks.html", context)


def _summary_context(request, membership, summary: WeeklySummary) -> dict:
    days = selectors.week_days(summary.week_start)
    minus, plus = selectors.deductions_and_additions(summary.rows)
    village = summary.village
    return {
        "summary": summary,
        "village": village,
        "days": days,
        "open_days": [datetime.date.fromisoformat(d) for d in summary.open_days],
        "minus": minus,
        "plus": plus,
        "officers": list(selectors.class_officers(village, summary.scheme)),
        "waiting": selectors.week_proposals(village, summary.scheme, summary.week_start).count(),
        "can_record": can(membership, Action.RECORD_ENTRY, summary),
        "can_file": can(membership, Action.APPROVE_ROUND, summary),
        "can_post": can(membership, Action.RUN_ROUND, summary),
        "States": SummaryState,
        "notice_url": round_url(request, summary.notice_round) if summary.notice_round_id else "",
    }


@township_view(Action.RECORD_ENTRY)
def weekly_summary(request, township, membership, pk):
    summary = get_summary(membership, pk)
    return render_page(request, "review/weekly_summary.html", _summary_context(request, membership, summary))


def _step(request, membership, pk, act):
    summary = get_summary(membership, pk)  # first: another class's summary is "not found"
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        done = act(summary)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(summary_url(request, summary))


@township_view(Action.RECORD_ENTRY)
def summary_hand_over(request, township, membership, pk):
    def act(summary):
        student = get_visible(selectors.class_students(summary.village), request.POST.get("vice_monitor"))
        services.hand_over_summary(membership=membership, summary=summary, vice_monitor=student)
        return _("Handed to the vice monitor %(number)s %(name)s.") % {
            "number": student.number,
            "name": student.head,
        }

    return _step(request, membership, pk, act)


@township_view(Action.RECORD_ENTRY)
def summary_file(request, township, membership, pk):
    def act(summary):
        services.file_summary(membership=membership, summary=summary)
        return _("Filed.")

    return _step(request, membership, pk, act)


@township_view(Action.RECORD_ENTRY)
def summary_notice(request, township, membership, pk):
    def act(summary):
        round_ = services.post_weekly_notice(membership=membership, summary=summary)
        return _(
            "The week's entries are on the class's notice until %(end)s. Print the sheet and post it."
        ) % {"end": timezone.localtime(round_.notice_ends_at).strftime("%Y-%m-%d %H:%M")}

    return _step(request, membership, pk, act)


@township_view(Action.RECORD_ENTRY)
def summary_pdf(request, township, membership, pk):
    summary = get_summary(membership, pk)
    try:
        with in_language("zh-hans"):
            content = render_pdf(
                "review/weekly_summary_pdf.html",
                {**_summary_context(request, membership, summary), "township": township},
            )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(summary_url(request, summary))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="summary-{summary.week}.pdf"'
    return response


urlpatterns = [
    path("classes/<int:village_pk>/weeks/", class_weeks, name="class-weeks"),
    path("summaries/<int:pk>/", weekly_summary, name="weekly-summary"),
    path("summaries/<int:pk>/hand-over/", summary_hand_over, name="weekly-summary-hand-over"),
    path("summaries/<int:pk>/file/", summary_file, name="weekly-summary-file"),
    path("summaries/<int:pk>/notice/", summary_notice, name="weekly-summary-notice"),
    path("summaries/<int:pk>/pdf/", summary_pdf, name="weekly-summary-pdf"),
]
