"""The monthly report pages (class scheme, seed 2): a student's month (the parent's home: their student's report,
the comment form), the class's reports and comments and the talk list (the head teacher's), and their PDFs.

A parent sees their own student only (`households_visible_to`): another student's report is "not found". The
class's pages are the head teacher's and the school office's (APPROVE_ENTRY): class officers and parents are
refused."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import jobs
from core.errors import DomainError
from core.permissions import Action, can, check
from core.views import get_visible, render_page, township_view
from households.selectors import households_visible_to
from rewards.selectors import prize_lists_visible_to

from . import services
from .month_reports import (
    class_for_reports,
    class_reports,
    parse_month,
    student_report,
    student_report_pdf,
    talk_list,
)
from .selectors import comments_visible_to
from .term_prizes import prize_certificates_pdf, talk_list_pdf


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    response["Cache-Control"] = "no-store, private"  # a student's own document
    return response


def _refused(request, exc: DomainError) -> HttpResponse:
    return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)


def _month(request, value=None):
    return parse_month(request.GET.get("month", "") if value is None else value)


def _report_url(township, household_pk, month_key: str) -> str:
    url = reverse(
        "publicity:student-report", kwargs={"township_slug": township.slug, "household_pk": household_pk}
    )
    return f"{url}?{urlencode({'month': month_key})}"


def _class_url(township, village_pk, month_key: str) -> str:
    url = reverse(
        "publicity:class-reports", kwargs={"township_slug": township.slug, "village_pk": village_pk}
    )
    return f"{url}?{urlencode({'month': month_key})}"


def _reads_comments(membership, household) -> bool:
    """The comment is between the parent and the head teacher: class officers (students) do not read it."""
    return can(membership, Action.COMMENT_REPORT, household) or can(
        membership, Action.APPROVE_ENTRY, household
    )


# A student's month ------------------------------------------------------------------------------------------------


@township_view(Action.VIEW)
def student_report_page(request, township, membership, household_pk):
    household = get_visible(households_visible_to(membership).select_related("village"), household_pk)
    try:
        month = _month(request)
    except DomainError as exc:
        return _refused(request, exc)
    if not month.started:
        return _refused(
            request, DomainError(_("The month %(month)s has not started yet.") % {"month": month.key})
        )
    report = student_report(household, month)
    show_comment = _reads_comments(membership, household)
    comment = report.comment if show_comment else None
    context = {
        "show_comment": show_comment,
        "comment": comment,
        "household": household,
        "report": report,
        "month": month,
        "previous": month.previous(),
        "next": month.next() if month.next().started else None,
        "can_comment": can(membership, Action.COMMENT_REPORT, household)
        and not (comment and comment.is_read),
        "can_mark_read": comment is not None
        and not comment.is_read
        and can(membership, Action.APPROVE_ENTRY, comment),
        "can_see_class": can(membership, Action.APPROVE_ENTRY, household),
    }
    return render_page(request, "publicity/student_report.html", context)


@township_view(Action.VIEW)
def student_report_print(request, township, membership, household_pk):
    household = get_visible(households_visible_to(membership).select_related("village"), household_pk)
    try:
        month = _month(request)
        if not month.started:
            raise DomainError(_("The month %(month)s has not started yet.") % {"month": month.key})
        return _pdf(
            *student_report_pdf(household, month, with_comment=_reads_comments(membership, household))
        )
    except DomainError as exc:
        return _refused(request, exc)


@township_view(Action.COMMENT_REPORT)
@require_POST
def comment_write(request, township, membership, household_pk):
    household = get_visible(households_visible_to(membership), household_pk)
    month = request.POST.get("month", "")
    try:
        services.write_parent_comment(
            membership=membership, household=household, month=month, text=request.POST.get("text", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your comment is saved. The head teacher will read it."))
    month_key = month if isinstance(month, str) and len(month) == 7 else ""
    return redirect(_report_url(township, household.pk, month_key))


@township_view(Action.APPROVE_ENTRY)
@require_POST
def comment_read(request, township, membership, pk):
    comment = get_visible(comments_visible_to(membership).select_related("household"), pk)
    check(membership, Action.APPROVE_ENTRY, comment)
    services.mark_comment_read(membership=membership, comment=comment)
    messages.success(request, _("Marked read: the parent can no longer change this comment."))
    return redirect(_class_url(township, comment.household.village_id, comment.month))


# The class -------------------------------------------------------------------------------------------------------


@township_view(Action.APPROVE_ENTRY)
def class_reports_page(request, township, membership, village_pk):
    village = class_for_reports(membership, village_pk)
    try:
        month = _month(request)
    except DomainError as exc:
        return _refused(request, exc)
    reports = class_reports(village, month) if month.started else []
    context = {
        "village": village,
        "month": month,
        "previous": month.previous(),
        "next": month.next() if month.next().started else None,
        "reports": reports,
        "comments": sum(1 for r in reports if r.comment),
        "started": month.started,
    }
    return render_page(request, "publicity/class_reports.html", context)


@township_view(Action.APPROVE_ENTRY)
@require_POST
def class_reports_print(request, township, membership, village_pk):
    village = class_for_reports(membership, village_pk)
    try:
        month = _month(request, request.POST.get("month", ""))
        if not month.started:
            raise DomainError(_("The month %(month)s has not started yet.") % {"month": month.key})
    except DomainError as exc:
        return _refused(request, exc)
    job = jobs.start_job(
        membership=membership, kind="month_reports", params={"village_id": village.pk, "month": month.key}
    )
    return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)


@township_view(Action.APPROVE_ENTRY)
def talk_list_page(request, township, membership, village_pk):
    village = class_for_reports(membership, village_pk)
    try:
        month = _month(request)
    except DomainError as exc:
        return _refused(request, exc)
    context = {
        "village": village,
        "month": month,
        "previous": month.previous(),
        "next": month.next() if month.next().started else None,
        "rows": talk_list(village, month) if month.started else [],
        "started": month.started,
    }
    return render_page(request, "publicity/talk_list_page.html", context)


@township_view(Action.APPROVE_ENTRY)
def talk_list_print(request, township, membership, village_pk):
    village = class_for_reports(membership, village_pk)
    try:
        return _pdf(*talk_list_pdf(village, _month(request)))
    except DomainError as exc:
        return _refused(request, exc)


@township_view(Action.VIEW)
def prize_certificates(request, township, membership, pk):
    prize_list = get_visible(prize_lists_visible_to(membership).select_related("scheme", "village"), pk)
    check(membership, Action.MANAGE_REWARDS, prize_list)
    try:
        return _pdf(*prize_certificates_pdf(prize_list))
    except DomainError as exc:
        return _refused(request, exc)


PREFIX = "t/<slug:township_slug>/publicity/"
urlpatterns = [
    path(f"{PREFIX}students/<int:household_pk>/report/", student_report_page, name="student-report"),
    path(f"{PREFIX}students/<int:household_pk>/report.pdf", student_report_print, name="student-report-pdf"),
    path(f"{PREFIX}students/<int:household_pk>/comment/", comment_write, name="comment-write"),
    path(f"{PREFIX}comments/<int:pk>/read/", comment_read, name="comment-read"),
    path(f"{PREFIX}classes/<int:village_pk>/reports/", class_reports_page, name="class-reports"),
    path(f"{PREFIX}classes/<int:village_pk>/reports.pdf", class_reports_print, name="class-reports-pdf"),
    path(f"{PREFIX}classes/<int:village_pk>/talk-list/", talk_list_page, name="talk-list"),
    path(f"{PREFIX}classes/<int:village_pk>/talk-list.pdf", talk_list_print, name="talk-list-pdf"),
    path(f"{PREFIX}prize-lists/<int:pk>/certificates.pdf", prize_certificates, name="prize-certificates"),
]
