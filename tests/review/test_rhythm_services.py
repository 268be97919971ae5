"""The class's rhythm (seed 2, 附说明 2) through its services: the duty monitor's day, the Monday summary handed
from the duty monitor to the vice monitor to the head teacher, and the week's entries on the class's notice."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from core.errors import DomainError
from core.tenancy import township_scope
from review import services
from review.models import DailyRecord, ReviewRound, RoundKind, RoundState, SummaryState, WeeklySummary
from scoring import services as scoring
from scoring.models import Entry, EntryState
from tests.notices import run_out
from tests.review.rhythm_world import RhythmWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(db):
    return RhythmWorld()


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):  # the refusals' messages, matched in English
        yield


def _record(cw, student, item, day, user=None):
    return scoring.record_entry(
        membership=cw.m(user or cw.monitor), household=student, item=item, occurred_on=day
    )


def _closed_week(cw):
    """Last week: S01 late on Monday and Tuesday (−1 each), S04 (an officer) skipped drill on Wednesday (−2 × 2), S02 a good
    deed on Thursday (+1); Monday to Thursday closed by the duty monitor, Friday left open."""
    monday = cw.last_monday
    with township_scope(cw.township):
        _record(cw, cw.students[0], cw.late, monday)
        _record(cw, cw.students[0], cw.late, monday + datetime.timedelta(days=1))
        _record(cw, cw.students[3], cw.skipped_drill, monday + datetime.timedelta(days=2))
        _record(cw, cw.students[1], cw.good_deed, monday + datetime.timedelta(days=3))
        for n in range(4):
            services.close_day(
                membership=cw.m(cw.monitor),
                village=cw.class_,
                day=monday + datetime.timedelta(days=n),
                duty_monitor=cw.students[n % 3],
            )
    return monday


def test_the_duty_monitor_names_the_day_and_closes_it_once(cw):
    with township_scope(cw.township):
        record = services.name_duty_monitor(
            membership=cw.m(cw.monitor), village=cw.class_, day=cw.today, duty_monitor=cw.students[1]
        )
        assert record.duty_monitor == cw.students[1] and not record.closed
        closed = services.close_day(membership=cw.m(cw.monitor), village=cw.class_, day=cw.today, note="全勤")
        again = services.close_day(membership=cw.m(cw.officer), village=cw.class_, day=cw.today)
    assert closed.closed and closed.closed_by == cw.monitor and closed.note == "全勤"
    assert again.pk == closed.pk and again.closed_by == cw.monitor  # closing twice changes nothing
    assert DailyRecord.objects.filter(village=cw.class_).count() == 1
    with township_scope(cw.township), pytest.raises(DomainError, match="closed"):
        services.name_duty_monitor(
            membership=cw.m(cw.monitor), village=cw.class_, day=cw.today, duty_monitor=cw.students[2]
        )
    assert DailyRecord.objects.get(pk=closed.pk).duty_monitor == cw.students[1]


def test_a_day_is_closed_only_with_its_duty_monitor_named(cw):
    with township_scope(cw.township), pytest.raises(DomainError, match="duty monitor"):
        services.close_day(membership=cw.m(cw.monitor), village=cw.class_, day=cw.today)
    assert not DailyRecord.objects.filter(closed_at__isnull=False).exists()


@pytest.mark.parametrize("shift, words", [(1, "future"), (-101, "outside the term")])
def test_a_day_in_the_future_or_outside_the_term_is_refused(cw, shift, words):
    day = cw.today + datetime.timedelta(days=shift)
    with township_scope(cw.township), pytest.raises(DomainError, match=words):
        services.close_day(
            membership=cw.m(cw.monitor), village=cw.class_, day=day, duty_monitor=cw.students[0]
        )
    assert not DailyRecord.objects.exists()


def test_the_duty_monitor_of_another_class_and_a_parent_are_refused(cw):
    with township_scope(cw.township):
        for user in (cw.other_monitor, cw.parent):
            with pytest.raises(PermissionDenied):
                services.close_day(
                    membership=cw.m(user), village=cw.class_, day=cw.today, duty_monitor=cw.students[0]
                )
        with pytest.raises(DomainError, match="S99"):  # a student of another class is no duty monitor here
            services.name_duty_monitor(
                membership=cw.m(cw.monitor), village=cw.class_, day=cw.today, duty_monitor=cw.stranger
            )
    assert not DailyRecord.objects.exists()


def test_the_week_sums_each_students_deductions_and_additions_per_day(cw):
    monday = _closed_week(cw)
    with township_scope(cw.township):
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.monitor), village=cw.class_, week_start=monday + datetime.timedelta(days=4)
        )
    assert summary.week_start == monday and summary.state == SummaryState.PREPARED
    assert summary.week == f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
    rows = {row["number"]: row for row in summary.rows}
    assert [row["number"] for row in summary.rows] == ["S01", "S02", "S03", "S04"]
    # S01: −1 Monday, −1 Tuesday; S04 the officer: −2 × 2 on Wednesday; S02: +1 on Thursday.
    assert rows["S01"]["days"][:3] == [["-1", "0"], ["-1", "0"], ["0", "0"]]
    assert (rows["S01"]["minus"], rows["S01"]["plus"], rows["S01"]["net"]) == ("-2", "0", "-2")
    assert rows["S04"]["days"][2] == ["-4", "0"] and rows["S04"]["officer"] is True
    assert (rows["S02"]["plus"], rows["S02"]["days"][3]) == ("1", ["0", "1"])
    assert (
        rows["S03"]["net"] == "0" and rows["S03"]["name"] == "赵小刚" and rows["S03"]["group"] == "第二小组"
    )
    # Friday was not closed (the weekend had no entries).
    assert summary.open_days == [(monday + datetime.timedelta(days=4)).isoformat()]


def test_preparing_again_refreshes_until_the_hand_over(cw):
    monday = _closed_week(cw)
    with township_scope(cw.township):
        first = services.prepare_weekly_summary(
            membership=cw.m(cw.monitor), village=cw.class_, week_start=monday
        )
        _record(cw, cw.students[2], cw.reading, monday + datetime.timedelta(days=4))
        again = services.prepare_weekly_summary(
            membership=cw.m(cw.officer), village=cw.class_, week_start=monday
        )
        assert again.pk == first.pk and again.prepared_by == cw.officer
        assert {r["number"]: r["minus"] for r in again.rows}["S03"] == "-1"
        services.hand_over_summary(membership=cw.m(cw.monitor), summary=again, vice_monitor=cw.students[3])
        with pytest.raises(DomainError, match="no longer changes"):
            services.prepare_weekly_summary(membership=cw.m(cw.monitor), village=cw.class_, week_start=monday)
    assert WeeklySummary.objects.count() == 1


def test_the_hand_over_goes_in_order_and_records_who_and_when(cw):
    monday = _closed_week(cw)
    with township_scope(cw.township):
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.monitor), village=cw.class_, week_start=monday
        )
        with pytest.raises(DomainError, match="not yet handed"):
            services.file_summary(membership=cw.m(cw.teacher), summary=summary)
        assert WeeklySummary.objects.get(pk=summary.pk).state == SummaryState.PREPARED
        with pytest.raises(DomainError, match="not a class officer"):
            services.hand_over_summary(
                membership=cw.m(cw.monitor), summary=summary, vice_monitor=cw.students[1]
            )
        with pytest.raises(DomainError, match="S99"):
            services.hand_over_summary(membership=cw.m(cw.monitor), summary=summary, vice_monitor=cw.stranger)
        handed = services.hand_over_summary(
            membership=cw.m(cw.monitor), summary=summary, vice_monitor=cw.students[3]
        )
        twice = services.hand_over_summary(
            membership=cw.m(cw.monitor), summary=summary, vice_monitor=cw.students[3]
        )
        assert twice.handed_at == handed.handed_at  # the same hand-over again changes nothing
        with pytest.raises(PermissionDenied):  # the duty monitor does not file: the head teacher does
            services.file_summary(membership=cw.m(cw.monitor), summary=summary)
        filed = services.file_summary(membership=cw.m(cw.teacher), summary=summary)
        again = services.file_summary(membership=cw.m(cw.teacher), summary=summary)
    assert (handed.state, handed.vice_monitor, handed.handed_by) == (
        SummaryState.HANDED_OVER,
        cw.students[3],
        cw.monitor,
    )
    assert (filed.state, filed.filed_by) == (SummaryState.FILED, cw.teacher) and filed.filed_at is not None
    assert again.filed_at == filed.filed_at


def test_wrong_roles_are_refused_each_step_and_nothing_changes(cw):
    monday = _closed_week(cw)
    with township_scope(cw.township):
        for user in (cw.parent, cw.other_monitor):
            with pytest.raises(PermissionDenied):
                services.prepare_weekly_summary(membership=cw.m(user), village=cw.class_, week_start=monday)
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.monitor), village=cw.class_, week_start=monday
        )
        with pytest.raises(PermissionDenied):
            services.hand_over_summary(
                membership=cw.m(cw.parent), summary=summary, vice_monitor=cw.students[3]
            )
        with pytest.raises(PermissionDenied):
            services.post_weekly_notice(
                membership=cw.m(cw.monitor), summary=summary
            )  # posting is the officers'
        services.hand_over_summary(membership=cw.m(cw.monitor), summary=summary, vice_monitor=cw.students[3])
        with pytest.raises(PermissionDenied):
            services.file_summary(membership=cw.m(cw.officer), summary=summary)
    summary.refresh_from_db()
    assert summary.state == SummaryState.HANDED_OVER and summary.notice_round is None
    assert not ReviewRound.objects.exists()


def test_a_week_not_begun_or_outside_the_term_is_refused(cw):
    next_monday = cw.today + datetime.timedelta(days=7 - cw.today.weekday())
    with township_scope(cw.township):
        with pytest.raises(DomainError, match="not begun"):
            services.prepare_weekly_summary(
                membership=cw.m(cw.monitor), village=cw.class_, week_start=next_monday
            )
        with pytest.raises(DomainError, match="outside the term"):
            services.prepare_weekly_summary(
                membership=cw.m(cw.monitor),
                village=cw.class_,
                week_start=cw.term_start - datetime.timedelta(days=8),
            )
    assert not WeeklySummary.objects.exists()


def test_the_weeks_notice_posts_only_that_weeks_entries_and_they_count_after_the_teacher_approves(cw):
    monday = _closed_week(cw)
    with township_scope(cw.township):
        earlier = _record(cw, cw.students[2], cw.late, monday - datetime.timedelta(days=3))  # the week before
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.monitor), village=cw.class_, week_start=monday
        )
        round_ = services.post_weekly_notice(membership=cw.m(cw.officer), summary=summary)
        again = services.post_weekly_notice(membership=cw.m(cw.officer), summary=summary)
        assert again.pk == round_.pk  # posting twice returns the notice posted
        assert (round_.kind, round_.state) == (RoundKind.BATCH, RoundState.ON_NOTICE)
        posted = set(Entry.objects.filter(round_link__round=round_).values_list("pk", flat=True))
        week = set(
            Entry.objects.filter(
                occurred_on__range=(monday, monday + datetime.timedelta(days=6))
            ).values_list("pk", flat=True)
        )
        assert posted == week and earlier.pk not in posted and len(posted) == 4
        # No point counts unseen: the head teacher cannot approve while the notice runs.
        with pytest.raises(DomainError):
            services.move_round(membership=cw.m(cw.teacher), round=round_, move="submit")
        assert not Entry.objects.filter(pk__in=posted, state=EntryState.APPROVED).exists()
        run_out(round_)
        services.move_round(membership=cw.m(cw.officer), round=round_, move="submit")
        with pytest.raises(PermissionDenied):
            services.move_round(membership=cw.m(cw.officer), round=round_, move="approve")
        services.move_round(membership=cw.m(cw.teacher), round=round_, move="approve")
    assert Entry.objects.filter(pk__in=posted, state=EntryState.APPROVED).count() == 4
    assert Entry.objects.get(pk=earlier.pk).state == EntryState.PROPOSED
    approved = Entry.objects.filter(pk__in=posted)
    assert sum((e.points for e in approved), Decimal("0")) == Decimal("-5")  # −1 −1 −4 +1


def test_a_week_without_entries_waiting_posts_nothing(cw):
    monday = cw.last_monday
    with township_scope(cw.township):
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.officer), village=cw.class_, week_start=monday
        )
        with pytest.raises(DomainError, match="no entries waiting"):
            services.post_weekly_notice(membership=cw.m(cw.officer), summary=summary)
    assert not ReviewRound.objects.exists()
