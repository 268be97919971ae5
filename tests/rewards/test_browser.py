"""The clerk's and the township office's daily tasks in a real browser (Debian's Chromium), each from the role's
home page after login, counting every click against the budget of issue 17 (typing and choosing from a list count
nothing; a click that submits a form counts, and so does accepting a confirmation):

- record points for one household ≤ 4, record for an area ≤ 5, redeem at the counter ≤ 5 (the clerk scans the QR
  code on the household's card: a scanner types its text into the search box);
- publish a star rating ≤ 3, with a confirmation (the office).

At the desk (1366 px): the counter and the office work at a computer. Each task is checked in the database.
Screenshots go to test-artifacts/."""

import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from playwright.sync_api import expect

from households.models import Membership
from rewards import services
from rewards.models import Redemption, StarRun, StarRunState
from rewards.selectors import card_code, spendable_balance
from scoring.models import Entry, EntryState
from tests.contract import member
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DESK = {"width": 1366, "height": 768}


class Clicks:
    """Every click of a task, and the confirmations accepted."""

    def __init__(self, page):
        self.page, self.count, self.asked = page, 0, []
        page.on("dialog", self._accept)

    def _accept(self, dialog):
        self.count += 1
        self.asked.append(dialog.message)
        dialog.accept()

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.locator(selector).first.click()


def _login(browser, browser_context_args, live_server, user):
    context = browser.new_context(**{**browser_context_args, "viewport": DESK})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/**")
    return context, page


def test_the_clerk_and_the_office_do_their_daily_tasks_within_their_click_budgets(
    live_server, browser, browser_context_args, stars, world, artifacts
):
    household, other = stars.village([160, 140])  # net +60 and +40 points to spend
    household.members.create(township=stars.township, name="王秀英", is_head=True)
    other.members.create(township=stars.township, name="赵大山", is_head=True)
    Membership.objects.get(user=world.a.clerk).villages.add(household.village)
    services.open_budget(membership=member(stars.admin), village=household.village, year=2026)
    shop = services.open_shop(
        membership=member(stars.admin), village=household.village, opening_hours="周六 9:00–11:30"
    )
    soap = services.add_product(
        membership=member(stars.admin), shop=shop, name="洗衣皂", points=Decimal("10"), stock=8
    )
    oil = services.add_product(
        membership=member(stars.admin), shop=shop, name="菜籽油", points=Decimal("25"), stock=3
    )
    cleanup, help_out = stars.item(Decimal("2")), stars.item(Decimal("3"))
    run, _, _ = services.rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    slug = stars.township.slug

    def link(name, **kwargs):
        return reverse(name, kwargs={"township_slug": slug, **kwargs})

    with time_machine.travel("2026-06-20 09:30 +08:00", tick=True):
        context, page = _login(browser, browser_context_args, live_server, world.a.clerk)
        home = page.url

        # Record points for one household: ≤ 4.
        clicks = Clicks(page)
        clicks.click(f"nav a[href='{link('households:household-list')}']")
        page.fill("input[name=q]", "王秀英")  # the live search
        detail = link("households:household-detail", pk=household.pk)
        page.wait_for_selector(f"#household-results a[href='{detail}']")
        clicks.click(f"#household-results a[href='{detail}']")
        expect(page).to_have_title(
            re.compile("王秀英")
        )  # waits for the household's page, not the click alone
        clicks.click("#record-points")
        page.select_option("select[name=item]", str(help_out.pk))
        page.fill("textarea[name=reason]", "帮邻居收麦")
        clicks.click("main button[name=record]")
        page.wait_for_url("**recorded=*")
        assert clicks.count <= 4, clicks.count
        assert (
            Entry.objects.filter(household=household, item=help_out, state=EntryState.PROPOSED).count() == 1
        )

        # Record for an area: ≤ 5.
        page.goto(home)
        clicks = Clicks(page)
        clicks.click(f"nav a[href='{link('scoring:entry-list')}']")
        clicks.click(f"main a[href='{link('scoring:entry-bulk')}']")
        page.select_option("select[name=area]", str(household.area_id))
        clicks.click("main form[method=get] button[type=submit]")
        clicks.click("main button[name=select_all]")
        page.select_option("select[name=item]", str(cleanup.pk))
        page.fill("textarea[name=reason]", "村道大扫除")
        clicks.click("main button[name=record]")
        page.wait_for_url("**batch=*")
        assert clicks.count <= 5, clicks.count
        area_entries = Entry.objects.filter(item=cleanup, state=EntryState.PROPOSED)
        assert sorted(area_entries.values_list("household_id", flat=True)) == sorted([household.pk, other.pk])

        # Redeem at the counter: ≤ 5.
        page.goto(home)
        clicks = Clicks(page)
        clicks.click(f"nav a[href='{link('rewards:shop-list')}']")
        clicks.click(f"main a[href='{link('rewards:counter', pk=shop.pk)}']")
        page.fill("input[name=q]", card_code(household))  # what the scanner types
        clicks.click("main form[role=search] button[type=submit]")
        page.wait_for_url(f"**/counter/{household.pk}/")
        assert "王秀英" in page.inner_text("main") and "60" in page.inner_text("#available")
        page.get_by_label("洗衣皂的数量").fill("2")
        page.get_by_label("菜籽油的数量").fill("1")
        page.screenshot(path=artifacts / "rewards-counter-pick.png", full_page=True)
        clicks.click("main button:has-text('下一步')")
        assert page.inner_text("#total") == "45"
        assert "兑换后剩余可用积分: 15" in page.inner_text("main").replace("：", ": ")
        clicks.click("main button[name=confirm]")
        page.wait_for_url("**/redemptions/*/")
        receipt = page.inner_text("main")
        page.screenshot(path=artifacts / "rewards-counter-receipt.png", full_page=True)
        assert clicks.count <= 5, clicks.count
        context.close()

        # Publish a star rating, with a confirmation: ≤ 3.
        context, page = _login(browser, browser_context_args, live_server, stars.admin)
        clicks = Clicks(page)
        clicks.click(f"nav a[href='{link('rewards:shop-list')}']")
        clicks.click(f"#to-publish form[action='{link('rewards:run-publish', pk=run.pk)}'] button")
        page.wait_for_url(f"**{link('rewards:run-detail', pk=run.pk)}")
        assert clicks.count <= 3, (clicks.count, clicks.asked)
        assert clicks.asked == [
            "确定发布“2026 星级评定”第 1 版星级评定吗？发布后星级即为正式结果。"
        ]  # and accepted
        context.close()

    assert "兑换成功" in receipt and "洗衣皂" in receipt and "菜籽油" in receipt and "剩余可用积分" in receipt
    redemption = Redemption.objects.get()
    assert (redemption.household_id, redemption.points) == (household.pk, Decimal("45"))
    assert spendable_balance(household, year=2026).available == Decimal("15")
    soap.refresh_from_db()
    oil.refresh_from_db()
    assert (soap.stock, oil.stock) == (6, 2)
    assert StarRun.objects.get(pk=run.pk).state == StarRunState.PUBLISHED
