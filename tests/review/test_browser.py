"""A quarterly round in a real browser (Debian's Chromium through Playwright) on a phone-sized screen (390×844):
a panel member records an inspection with a photo taken on the phone, the clerk moves the round and opens the
notice, the clock moves past the notice's end, the clerk submits, the township approves, and the household's
passbook shows the approved entry. Screenshots go to test-artifacts/.

time-machine patches the clock of the whole process, so the live server (a thread of this process) sees it too.
"""

import datetime

import pytest
import time_machine

from review import services
from review.models import ReviewRound, RoundState
from scoring.models import Entry, EntryState
from tests.factories import PASSWORD
from tests.review.test_pages import make_round, meet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A valid 1×1 PNG, as a phone camera would upload a (much larger) photo.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _phone(browser, browser_context_args, live_server, username):
    """A fresh phone (browser context) logged in as `username`."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/**")
    return page


def test_a_quarterly_round_from_the_phone_inspection_to_the_passbook(
    live_server, browser, browser_context_args, rw, artifacts, tmp_path
):
    assert browser_context_args["viewport"] == {"width": 390, "height": 844}
    round_ = make_round(rw, RoundState.COLLECTING, period="2026-Q1")
    services.record_inspection(
        membership=rw.members1[0], round=round_, household=rw.h2, inspected_on=datetime.date(2026, 3, 12)
    )
    base = f"{live_server.url}/t/{rw.township.slug}/review"
    photo = tmp_path / "院子.png"
    photo.write_bytes(PNG)

    # The panel member, outdoors: worklist → the area's households → A-001 → findings, photo, date → saved.
    panel = _phone(browser, browser_context_args, live_server, rw.members2[0].user.username)
    panel.goto(f"{base}/work/")
    assert "已查看 0 / 1 户" in panel.inner_text("main")
    panel.click("main a[href$='/inspect/']")
    panel.click("main a:has-text('A-001')")
    panel.get_by_label("庭院整洁").check()
    panel.fill("main textarea[name=comment]", "院子干净整洁")
    panel.set_input_files("main input[name=photos]", str(photo))
    panel.fill("main input[name=inspected_on]", "2026-03-10")
    panel.screenshot(path=str(artifacts / "review-inspection-form-phone.png"), full_page=True)
    panel.get_by_role("button", name="保存查看结果").click()
    panel.wait_for_url(f"{base}/rounds/{round_.pk}/inspect/**")
    listing = panel.inner_text("main")
    assert "A-001 户已查看：拟定 1 项积分。" in listing and "✓" in listing and "已查看 1 / 1 户" in listing
    panel.screenshot(path=str(artifacts / "review-inspected-phone.png"), full_page=True)
    entry = Entry.objects.get(household=rw.h1)
    assert (entry.item_name, entry.points, entry.occurred_on) == ("庭院整洁", 2, datetime.date(2026, 3, 10))
    assert list(entry.evidence.values_list("content_type", "original_name")) == [("image/png", "院子.png")]

    # The clerk starts the panel review; the panels meet; the clerk opens the notice.
    clerk = _phone(browser, browser_context_args, live_server, rw.clerk.username)
    clerk.goto(f"{base}/rounds/{round_.pk}/")
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="开始小组评议").click()
    assert "本轮评议现为“小组评议”" in clerk.inner_text("main")
    round_.refresh_from_db()
    meet(rw, round_, rw.panel1, rw.members1)
    meet(rw, round_, rw.panel2, rw.members2)
    clerk.reload()
    clerk.fill("form:has(input[value=open_notice]) textarea[name=comment]", "张贴于村务公开栏")
    with clerk.expect_navigation():
        clerk.get_by_role("button", name="开始公示").click()
    round_.refresh_from_db()
    assert round_.state == RoundState.ON_NOTICE
    # Posted today: today and the three whole days after it are left (it ends when the fourth day begins).
    assert "还剩 4 天" in clerk.inner_text("main")
    clerk.screenshot(path=str(artifacts / "review-round-on-notice-phone.png"), full_page=True)

    # A minute after the notice's last day ends (sessions last 8 hours: everyone logs in again).
    with time_machine.travel(round_.notice_ends_at + datetime.timedelta(minutes=1), tick=True):
        clerk = _phone(browser, browser_context_args, live_server, rw.clerk.username)
        clerk.goto(f"{base}/work/")
        assert "公示已结束，请报送镇审核。" in clerk.inner_text("main")
        clerk.goto(f"{base}/rounds/{round_.pk}/")
        with clerk.expect_navigation():
            clerk.get_by_role("button", name="报送镇审核").click()
        assert ReviewRound.objects.get(pk=round_.pk).state == RoundState.SUBMITTED

        admin = _phone(browser, browser_context_args, live_server, rw.admin.username)
        admin.goto(f"{base}/approvals/")
        assert "1 条待批准（合计 +2 分）" in admin.inner_text("main")
        admin.screenshot(path=str(artifacts / "review-approvals-phone.png"), full_page=True)
        with admin.expect_navigation():
            admin.get_by_role("button", name="批准", exact=True).click()
        assert "没有等待审批的评议" in admin.inner_text("main")

        admin.goto(f"{live_server.url}/t/{rw.township.slug}/scoring/households/{rw.h1.pk}/passbook/")
        row = admin.locator(f"main tr#entry-{entry.pk}")
        assert "庭院整洁" in row.inner_text() and "+2" in row.inner_text() and "院子.png" in row.inner_text()
        assert row.locator(".state-approved").count() == 1
        assert admin.inner_text("main #passbook-total") == "62"  # 环境整治 40 + 2, 党的建设 20
        admin.screenshot(path=str(artifacts / "review-passbook-after-approval-phone.png"), full_page=True)

    round_.refresh_from_db()
    entry.refresh_from_db()
    assert round_.state == RoundState.APPROVED and entry.state == EntryState.APPROVED
    assert (artifacts / "review-passbook-after-approval-phone.png").stat().st_size > 10_000
