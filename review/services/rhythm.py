"""The class's rhythm (seed 2, 附说明 2): the duty monitor's day, the Monday summary handed from the duty monitor
to the vice monitor to the head teacher, and the week's entries posted on the class's notice by a class officer.

"值日班长全面负责统计每天常规结果,第二天把汇总结果交于副班长,然后副班长每星期一交老师备案。" Each step checks its
own right and records who and when; the order is kept (a summary is filed only after it was handed over)."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Household, Membership, Village

from ..models import DailyRecord, ReviewRound, SummaryState, WeeklySummary
from ..selectors import rhythm as selectors
from .rounds import post_notice_batch


def _check_day(day: datetime.date) -> None:
    if day > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="day")
    scheme = selectors.scheme_for_day(day)
    if scheme is None:
        raise DomainError(
            _("No active scheme covers %(day)s: it is outside the term.") % {"day": day}, field="day"
        )


def _check_student(village: Village, student: Household | None, field: str) -> None:
    if student is not None and student.village_id != village.pk:
        raise DomainError(
            _("Student %(number)s is not in %(class)s.") % {"number": student.number, "class": village},
            field=field,
        )


def _closed_message(record: DailyRecord) -> str:
    return _("The day %(day)s was closed by %(user)s at %(at)s; it is handed over and no longer changes.") % {
        "day": record.day,
        "user": record.closed_by,
        "at": timezone.localtime(record.closed_at).strftime("%Y-%m-%d %H:%M") if record.closed_at else "",
    }


def _day_record(membership: Membership, village: Village, day: datetime.date) -> DailyRecord:
    """The class's record of the day, locked (created on first use)."""
    try:
        with transaction.atomic():
            DailyRecord.objects.get_or_create(
                village=village,
                day=day,
                defaults={"township_id": village.township_id, "recorded_by": membership.user},
            )
    except IntegrityError:
        pass  # someone else created it a moment ago
    return DailyRecord.objects.select_for_update().get(village=village, day=day)


def name_duty_monitor(
    *,
    membership: Membership,
    village: Village,
    day: datetime.date,
    duty_monitor: Household | None,
    note: str = "",
) -> DailyRecord:
    """值日班长: which student was the class's duty monitor on `day` (the duty rotates daily), and a note.

    Right: RECORD_ENTRY on the class (the duty monitor, a class officer, the head teacher)."""
    require(membership, Action.RECORD_ENTRY, village)
    _check_day(day)
    _check_student(village, duty_monitor, "duty_monitor")
    with transaction.atomic():
        record = _day_record(membership, village, day)
        if record.closed:
            raise DomainError(_closed_message(record), code="day_closed")
        record.duty_monitor = duty_monitor
        record.note = note.strip()
        record.save(update_fields=["duty_monitor", "note"])
    return record


def close_day(
    *,
    membership: Membership,
    village: Village,
    day: datetime.date,
    duty_monitor: Household | None = None,
    note: str | None = None,
) -> DailyRecord:
    """Close the day: the duty monitor's results are handed over (the summary the next morning, 7:40–7:45). Safe
    to send twice: a closed day is returned as it is.

    Right: RECORD_ENTRY on the class."""
    require(membership, Action.RECORD_ENTRY, village)
    _check_day(day)
    _check_student(village, duty_monitor, "duty_monitor")
    with transaction.atomic():
        record = _day_record(membership, village, day)
        if record.closed:
            return record
        if duty_monitor is not None:
            record.duty_monitor = duty_monitor
        if note is not None:
            record.note = note.strip()
        if record.duty_monitor_id is None:
            raise DomainError(_("Name the day's duty monitor before closing the day."), field="duty_monitor")
        record.closed_at, record.closed_by = timezone.now(), membership.user
        record.save(update_fields=["duty_monitor", "note", "closed_at", "closed_by"])
    return record


def prepare_weekly_summary(
    *, membership: Membership, village: Village, week_start: datetime.date
) -> WeeklySummary:
    """常规结果每周一汇总: the class's week (per student, per day: deductions and additions; the days not closed).
    Preparing again refreshes it until it is handed over.

    Right: RECORD_ENTRY on the class (the duty monitors or any class officer)."""
    require(membership, Action.RECORD_ENTRY, village)
    monday, week = selectors.week_of(week_start)
    if monday > timezone.localdate():
        raise DomainError(_("The week has not begun."), field="week_start")
    scheme = next(
        (s for day in selectors.week_days(monday) if (s := selectors.scheme_for_day(day)) is not None), None
    )
    if scheme is None:
        raise DomainError(
            _("No active scheme covers the week %(week)s: it is outside the term.") % {"week": week}
        )
    rows, open_days = selectors.week_rows(village, scheme, monday)
    with transaction.atomic():
        summary = WeeklySummary.objects.select_for_update().filter(village=village, week_start=monday).first()
        if summary is not None and summary.state != SummaryState.PREPARED:
            raise DomainError(
                _("The summary of %(week)s is already %(state)s: it no longer changes.")
                % {"week": week, "state": summary.get_state_display()},
                code="summary_handed_over",
            )
        if summary is None:
            summary = WeeklySummary(township_id=village.township_id, village=village, week_start=monday)
        summary.scheme, summary.week, summary.rows, summary.open_days = scheme, week, rows, open_days
        summary.prepared_by, summary.prepared_at = membership.user, timezone.now()
        summary.save()
    return summary


def hand_over_summary(
    *, membership: Membership, summary: WeeklySummary, vice_monitor: Household
) -> WeeklySummary:
    """第二天把汇总结果交于副班长: the prepared summary handed to the vice monitor, a student who is a class officer.
    Handing it again to the same student changes nothing.

    Right: RECORD_ENTRY on the class."""
    require(membership, Action.RECORD_ENTRY, summary)
    _check_student(summary.village, vice_monitor, "vice_monitor")
    if not selectors.class_officers(summary.village, summary.scheme).filter(pk=vice_monitor.pk).exists():
        raise DomainError(
            _("Student %(number)s is not a class officer: the summary goes to the vice monitor.")
            % {"number": vice_monitor.number},
            field="vice_monitor",
        )
    with transaction.atomic():
        locked = WeeklySummary.objects.select_for_update().get(pk=summary.pk)
        if locked.state != SummaryState.PREPARED:
            if locked.vice_monitor_id == vice_monitor.pk:
                return locked
            raise DomainError(
                _("The summary of %(week)s is already %(state)s.")
                % {"week": locked.week, "state": locked.get_state_display()},
                code="summary_handed_over",
            )
        locked.state, locked.vice_monitor = SummaryState.HANDED_OVER, vice_monitor
        locked.handed_by, locked.handed_at = membership.user, timezone.now()
        locked.save(update_fields=["state", "vice_monitor", "handed_by", "handed_at"])
    return locked


def file_summary(*, membership: Membership, summary: WeeklySummary) -> WeeklySummary:
    """副班长每星期一交老师备案: the head teacher files the handed-over summary. Filing twice changes nothing.

    Right: APPROVE_ROUND on the class (the head teacher; the school's office)."""
    require(
        membership,
        Action.APPROVE_ROUND,
        summary,
        message=_("Only the head teacher files the weekly summary."),
    )
    with transaction.atomic():
        locked = WeeklySummary.objects.select_for_update().get(pk=summary.pk)
        if locked.state == SummaryState.FILED:
            return locked
        if locked.state != SummaryState.HANDED_OVER:
            raise DomainError(
                _("The summary of %(week)s is not yet handed to the vice monitor: it is filed after that.")
                % {"week": locked.week},
                code="summary_not_handed_over",
            )
        locked.state, locked.filed_by, locked.filed_at = SummaryState.FILED, membership.user, timezone.now()
        locked.save(update_fields=["state", "filed_by", "filed_at"])
    return locked


def post_weekly_notice(*, membership: Membership, summary: WeeklySummary) -> ReviewRound:
    """班干部负责积分汇总和公示: the week's entries of the class, not yet posted, on the class's notice (a notice
    batch: printed sheet, public page, objections; the head teacher approves after it ends). Posting twice
    returns the notice already posted.

    Right: RUN_ROUND on the class (a class officer, the head teacher), checked by post_notice_batch."""
    require(membership, Action.RUN_ROUND, summary)
    with transaction.atomic():
        locked = WeeklySummary.objects.select_for_update().get(pk=summary.pk)
        if locked.notice_round_id is not None:
            return locked.notice_round  # type: ignore[return-value]
        waiting = selectors.week_proposals(locked.village, locked.scheme, locked.week_start)
        ids = list(waiting.values_list("pk", flat=True))
        if not ids:
            raise DomainError(
                _("The week %(week)s has no entries waiting for a notice.") % {"week": locked.week},
                code="nothing_to_post",
            )
        round_ = post_notice_batch(
            membership=membership, village=locked.village, scheme=locked.scheme, only=ids
        )
        locked.notice_round = round_
        locked.save(update_fields=["notice_round"])
    return round_
