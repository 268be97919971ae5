"""A parent's monthly journey on a phone (issue 15, item 4): log in, open their child's report from the home page,
write the month's comment — three clicks from home — and see it saved; the page fits 390 px."""

import pytest
from playwright.sync_api import expect

from core.tenancy import township_scope
from publicity.models import ParentComment
from tests.factories import PASSWORD
from tests.school_term import School


@pytest.mark.browser
def test_a_parent_reads_the_report_and_comments_within_three_clicks(
    transactional_db, live_server, page, artifacts
):
    school = School()
    school.term_entries()
    assert page.viewport_size["width"] <= 420  # a phone

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", school.parent_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()  # the parent's home: their school's page

    clicks = 0
    page.click("#my-report")
    clicks += 1
    expect(page.get_by_role("heading", name="积分月报 · 2026-01")).to_be_visible()  # the term's last month
    expect(page.locator("#balance")).to_have_text("82")  # 80 + 2 − 1 + 1 by the end of the term
    expect(page.locator("#band")).to_have_text("前 1/3")
    assert "李小红" not in page.content()

    page.click("#comment")
    clicks += 1
    page.fill("#comment", "寒假会督促孩子按时作息。")
    page.get_by_role("button", name="保存评语").click()
    clicks += 1
    expect(page.locator("#comment-text")).to_have_text("寒假会督促孩子按时作息。")
    assert clicks <= 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    with township_scope(school.township):
        comment = ParentComment.objects.get()
        assert (comment.household, comment.month, comment.written_by) == (
            school.students[0],
            "2026-01",
            school.parent_user,
        )
    page.screenshot(path=str(artifacts / "parent-report-phone.png"), full_page=True)
