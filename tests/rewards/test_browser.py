"""The counter in a real browser (Debian's Chromium, phone-sized): the clerk scans the QR code on a household's
card (a scanner types its text into the search box), picks goods, checks the totals, confirms, and gets the
receipt with what is left to spend. Screenshots go to test-artifacts/."""

from decimal import Decimal

import pytest
import time_machine

from households.models import Membership
from rewards import services
from rewards.models import Redemption
from rewards.selectors import card_code, spendable_balance
from tests.contract import member
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_clerk_redeems_goods_for_a_household_found_by_its_qr_code(
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

    with time_machine.travel("2026-06-20 09:30 +08:00", tick=True):
        context = browser.new_context(**browser_context_args)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", world.a.clerk.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/t/**")

        page.goto(f"{live_server.url}/t/{stars.township.slug}/rewards/shops/{shop.pk}/")
        page.click("main a:has-text('打开兑换台')")
        page.fill("input[name=q]", card_code(household))  # what the scanner types
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/counter/{household.pk}/")
        assert "王秀英" in page.inner_text("main") and "60" in page.inner_text("#available")
        page.get_by_label("洗衣皂的数量").fill("2")
        page.get_by_label("菜籽油的数量").fill("1")
        page.screenshot(path=artifacts / "rewards-counter-pick.png", full_page=True)
        page.click("main button:has-text('下一步')")
        assert page.inner_text("#total") == "45"
        assert "兑换后剩余可用积分: 15" in page.inner_text("main").replace("：", ": ")
        page.click("main button:has-text('确认')")
        page.wait_for_url("**/redemptions/*/")
        receipt = page.inner_text("main")
        page.screenshot(path=artifacts / "rewards-counter-receipt.png", full_page=True)
        context.close()

    assert "兑换成功" in receipt and "洗衣皂" in receipt and "菜籽油" in receipt and "剩余可用积分" in receipt
    redemption = Redemption.objects.get()
    assert (redemption.household_id, redemption.points) == (household.pk, Decimal("45"))
    assert spendable_balance(household, year=2026).available == Decimal("15")
    soap.refresh_from_db()
    oil.refresh_from_db()
    assert (soap.stock, oil.stock) == (6, 2)
