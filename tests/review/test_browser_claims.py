"""A grid worker's everyday journey on a phone (390 px): from their home (我的工作) record one claim for a household
with a photo, on someone else's behalf — within a click budget — and see it waiting for the village's notice."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.permissions import Role
from scoring import services
from scoring.models import ClaimDetail
from tests.contract import member
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.scoring.test_browser import PNG

CLICK_BUDGET = 2  # from the home: open the form, send it (typing and picking are not clicks)


@pytest.fixture
def scheme(world):
    office = member(world.a.admin)
    scheme = services.create_scheme(
        membership=office, township=world.a.township, name="社会治理", year=timezone.localdate().year
    )
    category = services.add_category(
        membership=office, scheme=scheme, name="平安稳定", base_score=Decimal("0"), cadence="annual"
    )
    services.add_item(
        membership=office, category=category, name="矛盾纠纷调解", kind="bonus", points=Decimal("3")
    )
    services.activate_scheme(membership=office, scheme=scheme)
    return scheme


@pytest.mark.browser
def test_grid_worker_records_a_claim_from_home_within_the_click_budget(
    transactional_db, live_server, page, world, scheme, artifacts
):
    user = UserFactory(username="a-grid")
    MembershipFactory(
        user=user, township=world.a.township, role=Role.GRID_WORKER, villages=[world.a.villages[0]]
    )
    assert page.viewport_size["width"] <= 420
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "a-grid")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/t/{world.a.township.slug}/review/work/")  # the grid worker's home

    clicks = 0
    page.get_by_role("link", name="记录积分申报").click()
    clicks += 1
    expect(page.get_by_role("heading", name="新的积分申报")).to_be_visible()
    page.fill("#id_household", "A-001")
    page.select_option("#id_item", index=1)
    page.fill("#id_occurred_on", timezone.localdate().isoformat())
    page.fill("#id_place", "村东头")
    page.fill("#id_cause", "调解邻里宅基地纠纷")
    page.select_option("#id_channel", "wechat")
    page.fill("#id_declarer_name", "王五")
    page.fill("#id_declarer_relation", "邻居")
    page.set_input_files("#id_photos", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    page.get_by_role("button", name="记录申报").click()
    clicks += 1
    expect(page.get_by_role("heading", name="待办")).to_be_visible()
    expect(page.locator("main")).to_contain_text("A-001 · 矛盾纠纷调解")
    assert clicks <= CLICK_BUDGET

    claim = ClaimDetail.objects.select_related("entry").get()
    assert (claim.channel, claim.declarer_name, claim.checked_by) == ("wechat", "王五", user)
    assert claim.entry.evidence.count() == 1 and claim.entry.recorded_by == user
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.screenshot(path=str(artifacts / "review-claim-phone.png"), full_page=True)


@pytest.mark.browser
def test_grid_worker_takes_a_villagers_self_declaration_on_a_phone(
    transactional_db, live_server, page, world, scheme, artifacts
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from scoring.models import SelfDeclaration, SelfDeclarationState

    user = UserFactory(username="a-grid")
    MembershipFactory(
        user=user, township=world.a.township, role=Role.GRID_WORKER, villages=[world.a.villages[0]]
    )
    code = services.issue_code(membership=member(world.a.admin), household=world.a.households[0])[0]
    services.submit_self_declaration(
        code=code,
        what_happened="调解邻里纠纷",
        occurred_on=timezone.localdate(),
        photo=SimpleUploadedFile("现场.png", PNG),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "a-grid")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/t/{world.a.township.slug}/review/work/")
    expect(page.locator("main")).to_contain_text("待核实的自主申报")
    page.get_by_role("link", name="A-001 · 调解邻里纠纷").click()
    expect(page.locator("img.declaration-photo")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "review-self-declaration-phone.png"), full_page=True)
    page.select_option("#id_take-item", index=1)
    page.get_by_role("button", name="已核实：受理为积分申报").click()
    expect(page.get_by_role("heading", name="积分申报 · A-001")).to_be_visible()
    declaration = SelfDeclaration.objects.select_related("entry__claim").get()
    assert (
        declaration.state == SelfDeclarationState.TAKEN and declaration.entry.claim.channel == "self_service"
    )
    assert declaration.entry.evidence.count() == 1
