"""The duty monitor's daily record in a real browser (Debian's Chromium) on a phone (390×844): the duty monitor
finds a student and records a common item in two taps from the daily page (budget: four), sees it listed with
their name, and closes the day with its duty monitor named. Screenshots go to test-artifacts/."""

import pytest

from review.models import DailyRecord
from scoring.models import Entry, EntryState
from tests.factories import PASSWORD
from tests.review.rhythm_world import RhythmWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CLICK_BUDGET = 4


def test_the_duty_monitor_records_a_late_student_within_the_click_budget(
    live_server, browser, browser_context_args, artifacts
):
    assert browser_context_args["viewport"] == {"width": 390, "height": 844}
    cw = RhythmWorld()
    page = browser.new_context(**browser_context_args).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cw.monitor.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/**")
    page.goto(f"{live_server.url}/t/{cw.township.slug}/review/classes/{cw.class_.pk}/day/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.screenshot(path=str(artifacts / "rhythm-daily-record-phone.png"), full_page=True)

    clicks = 0
    student = cw.students[1]
    page.click(f"#student-{student.pk} summary")  # 1: open 李小红's row
    clicks += 1
    with page.expect_navigation():
        page.locator(f"#student-{student.pk} button", has_text="上课或年级规定时间点迟到").click()  # 2: late
    clicks += 1
    assert clicks <= CLICK_BUDGET
    assert "已记录 S02 李小红：上课或年级规定时间点迟到(以铃声结束为准) -1。" in page.inner_text("main")
    listed = page.inner_text("main #day-entries")
    assert "S02 李小红" in listed and cw.monitor.username in listed
    entry = Entry.objects.get()
    assert (entry.household, entry.item, entry.recorded_by, entry.state) == (
        student,
        cw.late,
        cw.monitor,
        EntryState.PROPOSED,
    )

    # The day closes with its duty monitor named (the summary the next morning).
    page.select_option("#duty-monitor select[name=duty_monitor]", str(cw.students[2].pk))
    with page.expect_navigation():
        page.click("#close-day")
    assert "已关闭并交接" in page.inner_text("main")
    page.screenshot(path=str(artifacts / "rhythm-day-closed-phone.png"), full_page=True)
    record = DailyRecord.objects.get()
    assert record.closed and record.duty_monitor == cw.students[2]
    assert page.locator(f"#student-{student.pk} button").count() == 0  # a closed day takes no more taps

    # The week's summary on the same phone: the wide table scrolls inside its box, not the page.
    page.click("a:has-text('每周汇总')")
    with page.expect_navigation():
        page.locator("#weeks button").first.click()
    assert "周汇总" in page.inner_text("main h1") and "S02" in page.inner_text("main #week-rows")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "rhythm-weekly-summary-phone.png"), full_page=True)
