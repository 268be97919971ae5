"""The class's rhythm on its pages: the duty monitor's daily record, the weekly summary's steps and its PDF, the
week's notice posted from the summary, and the notice's printed sheet and public page in a school's words."""

import datetime
import subprocess

import pytest
from django.urls import reverse

from core.tenancy import township_scope
from publicity.documents import notice_sheet_pdf
from review import services
from review.models import DailyRecord, ReviewRound, RoundState, SummaryState, WeeklySummary
from scoring import services as scoring
from scoring.models import Entry, EntryState
from tests.notices import run_out
from tests.review.rhythm_world import RhythmWorld

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def cw(db):
    return RhythmWorld()


def day_url(cw, name="class-day", village=None):
    village = village or cw.class_
    return reverse(f"review:{name}", kwargs={"township_slug": cw.township.slug, "village_pk": village.pk})


def summary_url(cw, summary, name="weekly-summary"):
    return reverse(f"review:{name}", kwargs={"township_slug": cw.township.slug, "pk": summary.pk})


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_the_daily_page_lists_the_class_with_the_duty_monitors_items_first(client, cw):
    client.force_login(cw.monitor)
    page = client.get(day_url(cw), ZH).content.decode()
    assert "初一(3)班" in page and "S01" in page and "王小明" in page and "第二小组" in page
    assert "S99" not in page  # another class's student
    assert page.index(">上课或年级规定时间点迟到") < page.index(">早读不合格") < page.index(">旷操")
    assert "农户" not in page and "户号" not in page
    searched = client.get(day_url(cw), {"q": "小红"}, **ZH).content.decode()
    assert f'id="student-{cw.students[1].pk}"' in searched
    assert f'id="student-{cw.students[0].pk}"' not in searched


def test_the_duty_monitor_records_an_entry_and_sees_who_recorded_it(client, cw):
    client.force_login(cw.monitor)
    data = {"date": cw.today.isoformat(), "student": cw.students[1].pk, "item": cw.late.pk, "token": "t1"}
    response = client.post(day_url(cw, "class-day-record"), data, **ZH)
    client.post(day_url(cw, "class-day-record"), data, **ZH)  # a double tap: the same submission
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.household, entry.item, entry.occurred_on, entry.recorded_by, entry.state) == (
        cw.students[1],
        cw.late,
        cw.today,
        cw.monitor,
        EntryState.PROPOSED,
    )
    page = client.get(day_url(cw), ZH).content.decode()
    assert "monitor" in page and "李小红" in page and "撤回" in page
    client.post(day_url(cw, "class-day-withdraw"), {"date": cw.today.isoformat(), "entry": entry.pk}, **ZH)
    assert Entry.objects.get(pk=entry.pk).state == EntryState.WITHDRAWN


def test_another_person_s_entry_is_not_withdrawn_from_the_daily_page(client, cw):
    with township_scope(cw.township):
        entry = scoring.record_entry(
            membership=cw.m(cw.officer), household=cw.students[0], item=cw.late, occurred_on=cw.today
        )
    client.force_login(cw.monitor)
    client.post(day_url(cw, "class-day-withdraw"), {"date": cw.today.isoformat(), "entry": entry.pk}, **ZH)
    assert Entry.objects.get(pk=entry.pk).state == EntryState.PROPOSED


def test_recording_for_another_class_is_not_found_and_writes_nothing(client, cw):
    client.force_login(cw.monitor)
    other = {"date": cw.today.isoformat(), "student": cw.stranger.pk, "item": cw.late.pk}
    assert client.post(day_url(cw, "class-day-record"), other).status_code == 404
    assert client.get(day_url(cw, village=cw.other_class)).status_code == 404
    mine = {**other, "student": cw.students[0].pk}
    assert client.post(day_url(cw, "class-day-record", village=cw.other_class), mine).status_code == 404
    client.force_login(cw.parent)  # a parent reads, never records
    assert client.get(day_url(cw)).status_code == 403
    assert client.post(day_url(cw, "class-day-record"), mine).status_code == 403
    assert not Entry.objects.exists()


@pytest.mark.parametrize("shift, words", [(1, "日期不能晚于今天"), (-101, "学期")])
def test_a_future_date_or_one_outside_the_term_is_refused_with_a_message(client, cw, shift, words):
    client.force_login(cw.monitor)
    day = cw.today + datetime.timedelta(days=shift)
    data = {"date": day.isoformat(), "student": cw.students[0].pk, "item": cw.late.pk}
    page = client.post(day_url(cw, "class-day-record"), data, follow=True, **ZH).content.decode()
    assert words in page and "未记录" in page
    assert words in client.get(day_url(cw), {"date": day.isoformat()}, **ZH).content.decode()
    assert not Entry.objects.exists()


def test_a_school_member_finds_the_daily_record_on_the_worklist(client, cw):
    client.force_login(cw.monitor)
    page = client.get(reverse("review:worklist", kwargs={"township_slug": cw.township.slug}), **ZH)
    html = page.content.decode()
    assert day_url(cw) in html and day_url(cw, village=cw.other_class) not in html


def test_a_closed_day_takes_no_more_entries(client, cw):
    client.force_login(cw.monitor)
    close = {"date": cw.today.isoformat(), "duty_monitor": cw.students[2].pk, "note": "", "close": "1"}
    client.post(day_url(cw, "class-day-close"), close, **ZH)
    record = DailyRecord.objects.get()
    assert record.closed and record.duty_monitor == cw.students[2] and record.closed_by == cw.monitor
    data = {"date": cw.today.isoformat(), "student": cw.students[0].pk, "item": cw.late.pk}
    page = client.post(day_url(cw, "class-day-record"), data, follow=True, **ZH).content.decode()
    assert "已关闭" in page or "closed" in page
    assert not Entry.objects.exists()


def _summary_of_last_week(cw):
    monday = cw.last_monday
    with township_scope(cw.township):
        for n, student in enumerate(cw.students[:3]):
            scoring.record_entry(
                membership=cw.m(cw.monitor),
                household=student,
                item=cw.late,
                occurred_on=monday + datetime.timedelta(days=n),
            )
    return monday


def test_the_weekly_summary_goes_through_its_three_pages(client, cw):
    monday = _summary_of_last_week(cw)
    client.force_login(cw.monitor)
    response = client.post(
        reverse("review:class-weeks", kwargs={"township_slug": cw.township.slug, "village_pk": cw.class_.pk}),
        {"week_start": monday.isoformat()},
    )
    summary = WeeklySummary.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(summary_url(cw, summary))
    page = client.get(summary_url(cw, summary), ZH).content.decode()
    assert (
        "学号" in page
        and "王小明" in page
        and "陈小华" in page
        and "未关闭" in page
        or "Days not closed" in page
    )
    client.post(summary_url(cw, summary, "weekly-summary-file"))  # not handed over yet: refused
    assert WeeklySummary.objects.get().state == SummaryState.PREPARED
    client.post(summary_url(cw, summary, "weekly-summary-hand-over"), {"vice_monitor": cw.students[3].pk})
    assert WeeklySummary.objects.get().state == SummaryState.HANDED_OVER
    assert client.post(summary_url(cw, summary, "weekly-summary-file")).status_code == 403
    assert WeeklySummary.objects.get().state == SummaryState.HANDED_OVER  # the duty monitor does not file
    client.force_login(cw.teacher)
    client.post(summary_url(cw, summary, "weekly-summary-file"))
    summary.refresh_from_db()
    assert summary.state == SummaryState.FILED and summary.filed_by == cw.teacher


def test_the_printed_summary_is_a_chinese_pdf_with_the_students(client, cw, artifacts):
    monday = _summary_of_last_week(cw)
    with township_scope(cw.township):
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.monitor), village=cw.class_, week_start=monday
        )
    client.force_login(cw.teacher)
    response = client.get(summary_url(cw, summary, "weekly-summary-pdf"), ZH)
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "初一(3)班" in text and "学号" in text and "王小明" in text and summary.week in text
    assert "农户" not in text and "户号" not in text
    path = artifacts / "rhythm-weekly-summary.pdf"
    path.write_bytes(response.content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "NotoSansCJK" in line.replace("-", "")]
    assert cjk and all(" yes " in line for line in cjk)  # the Chinese font is embedded: no empty boxes


def test_the_weeks_notice_is_posted_from_the_summary_and_reads_as_a_school_s(client, cw):
    monday = _summary_of_last_week(cw)
    with township_scope(cw.township):
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.officer), village=cw.class_, week_start=monday
        )
    client.force_login(cw.monitor)  # a duty monitor does not post (RUN_ROUND is the officers')
    page = client.get(summary_url(cw, summary), ZH).content.decode()
    assert 'id="post-notice"' not in page
    client.post(summary_url(cw, summary, "weekly-summary-notice"))
    assert not ReviewRound.objects.exists()
    client.force_login(cw.officer)
    assert 'id="post-notice"' in client.get(summary_url(cw, summary), ZH).content.decode()
    client.post(summary_url(cw, summary, "weekly-summary-notice"), **ZH)
    round_ = ReviewRound.objects.get()
    assert WeeklySummary.objects.get().notice_round == round_ and round_.round_entries.count() == 3
    with township_scope(cw.township):
        text = pdf_text(notice_sheet_pdf(round_)[0])
    assert "学号" in text and "学生" in text and "小组" in text and "班委会" in text
    assert "农户" not in text and "户号" not in text and "户主" not in text and "村" not in text
    public = client.get(reverse("publicity:public-notice", kwargs={"token": round_.notice_token}), ZH)
    html = public.content.decode()
    assert public.status_code == 200 and "S01" in html
    assert "农户" not in html and "户号" not in html


def test_the_weeks_notice_counts_only_after_it_ends_and_the_head_teacher_approves_it(client, cw):
    monday = _summary_of_last_week(cw)
    with township_scope(cw.township):
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.officer), village=cw.class_, week_start=monday
        )
    client.force_login(cw.officer)
    client.post(summary_url(cw, summary, "weekly-summary-notice"))
    round_ = ReviewRound.objects.get()
    move = reverse("review:round-move", kwargs={"township_slug": cw.township.slug, "pk": round_.pk})
    posted = Entry.objects.filter(round_link__round=round_)
    client.post(move, {"move": "submit"})  # the notice still runs: refused
    client.force_login(cw.teacher)
    client.post(move, {"move": "approve"})
    assert ReviewRound.objects.get().state == RoundState.ON_NOTICE
    assert not posted.filter(state=EntryState.APPROVED).exists()

    run_out(round_)
    client.force_login(cw.officer)
    client.post(move, {"move": "submit"})
    assert ReviewRound.objects.get().state == RoundState.SUBMITTED
    client.post(move, {"move": "approve"})  # a class officer does not approve
    assert ReviewRound.objects.get().state == RoundState.SUBMITTED
    client.force_login(cw.teacher)
    approvals = client.get(reverse("review:approvals", kwargs={"township_slug": cw.township.slug}), **ZH)
    assert "初一(3)班" in approvals.content.decode()
    client.post(move, {"move": "approve"})
    assert ReviewRound.objects.get().state == RoundState.APPROVED
    assert posted.filter(state=EntryState.APPROVED).count() == 3


def test_malformed_dates_and_ids_are_told_or_not_found_never_an_error(client, cw):
    client.force_login(cw.monitor)
    page = client.get(day_url(cw), {"date": "2025-13-45", "q": "王\x00"}, **ZH)
    assert page.status_code == 200 and "不是日期" in page.content.decode()
    huge = {"date": cw.today.isoformat(), "student": "9" * 30, "item": cw.late.pk}
    assert client.post(day_url(cw, "class-day-record"), huge).status_code == 404
    no_date = {"student": cw.students[0].pk, "item": cw.late.pk}
    assert client.post(day_url(cw, "class-day-record"), no_date, follow=True).status_code == 200
    weeks = reverse(
        "review:class-weeks", kwargs={"township_slug": cw.township.slug, "village_pk": cw.class_.pk}
    )
    assert client.post(weeks, {"week_start": "next week"}, follow=True).status_code == 200
    assert not Entry.objects.exists() and not WeeklySummary.objects.exists()
