"""A grid worker on a phone (390 px) records a claim for a villager (not a household) from their home: find the
account by name, record, within a click budget; the account's passbook and the rankings fit the phone."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring.models import ClaimDetail
from tests.factories import PASSWORD
from tests.scoring.test_accounts import Governance

CLICK_BUDGET = 4  # from the home: find the account, search, open the claim form, send it


@pytest.mark.browser
def test_grid_worker_claims_for_a_villager_on_a_phone(transactional_db, live_server, page, world, artifacts):
    g = Governance(world, year=timezone.localdate().year)
    assert page.viewport_size["width"] <= 420
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "a-grid")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/t/{world.a.township.slug}/review/work/")

    clicks = 0
    page.get_by_role("link", name="为村民或单位申报：查找账户").click()
    clicks += 1
    page.fill("input[name=q]", "王小红")
    page.get_by_role("button", name="搜索").click()
    clicks += 1
    page.locator("#account-%d" % g.accounts["villager"].pk).get_by_role("link", name="记录积分申报").click()
    clicks += 1
    expect(page.locator("#claim-holder")).to_contain_text("王小红")
    page.select_option("#id_item", value=str(g.item.pk))
    page.fill("#id_occurred_on", timezone.localdate().isoformat())
    page.fill("#id_cause", "参加夜间治安巡逻")
    page.select_option("#id_channel", "phone")
    page.get_by_role("button", name="记录申报").click()
    clicks += 1
    expect(page.get_by_role("heading", name="待办")).to_be_visible()
    expect(page.locator("main")).to_contain_text("王小红 · 参加治安巡逻")
    assert clicks <= CLICK_BUDGET
    claim = ClaimDetail.objects.select_related("entry").get()
    assert claim.entry.account_id == g.accounts["villager"].pk and claim.entry.household_id is None
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    for path in (
        f"accounts/{g.accounts['villager'].pk}/",
        f"rankings/?scheme={g.scheme.pk}&list=party_member",
    ):
        page.goto(f"{live_server.url}/t/{world.a.township.slug}/scoring/{path}")
        expect(page.locator("main")).to_contain_text("王小红")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.screenshot(path=str(artifacts / "scoring-account-phone.png"), full_page=True)
