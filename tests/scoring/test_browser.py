"""A clerk's everyday journey in a real browser on a phone-sized screen: log in, record an entry for a household
(found by its number, with a photo), and see it on the household's passbook."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scoring import services
from tests.contract import member
from tests.factories import PASSWORD

PNG = bytes.fromhex(  # a valid 1×1 PNG: evidence photos must open as images
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8"
    "cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


@pytest.fixture
def scheme(world):
    township, admin = world.a.township, world.a.admin
    scheme = services.create_scheme(
        membership=member(admin), township=township, name="村规民约", year=timezone.localdate().year
    )
    env = services.add_category(
        membership=member(admin),
        scheme=scheme,
        name="环境整治",
        base_score=Decimal("40"),
        cadence="quarterly",
    )
    services.add_item(
        membership=member(admin), category=env, name="参加义务劳动", kind="bonus", points=Decimal("1.5")
    )
    services.activate_scheme(membership=member(admin), scheme=scheme)
    return scheme


@pytest.mark.browser
def test_clerk_records_an_entry_on_a_phone_and_sees_it_on_the_passbook(
    transactional_db, live_server, page, world, scheme, artifacts
):
    household = world.a.households[0]
    assert page.viewport_size["width"] <= 420  # a phone

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.a.clerk.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/t/{world.a.township.slug}/scoring/entries/new/")
    expect(page.get_by_role("heading", name="记录积分")).to_be_visible()
    page.fill("#household-q", "A-001")  # the live search lists the household as you type
    choice = page.locator("button[name=choose]", has_text="A-001")
    expect(choice).to_be_visible()
    choice.click()
    expect(page.locator("#household-picker")).to_contain_text("A-001")

    page.select_option("#id_item", label="参加义务劳动 +1.5")
    page.fill("#id_reason", "参加村口大扫除")
    page.set_input_files("#id_evidence", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("button[name=record]")
    expect(page.locator("article.recorded")).to_contain_text("已记录，待审核")
    expect(page.locator("article.recorded")).to_contain_text("+1.5")

    page.get_by_role("link", name="查看存折").first.click()
    expect(page.get_by_role("heading", name="行为银行存折")).to_be_visible()
    row = page.locator("tr", has_text="参加义务劳动")
    expect(row).to_contain_text("+1.5")
    expect(row).to_contain_text("待审核")
    expect(row).to_contain_text("参加村口大扫除")
    expect(page.locator("#passbook-total")).to_have_text("40")  # proposed: counts once approved

    entry = household.entries.get()
    assert (entry.points, entry.state, entry.recorded_by) == (Decimal("1.50"), "proposed", world.a.clerk)
    assert entry.evidence.get().content_type == "image/png"

    screenshot = artifacts / "scoring-passbook-phone.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
