"""A villager scans the QR on the passbook with a phone (390 px), enters the 4 digits and sees the household's
points; nothing runs wider than the screen."""

import pytest

from core.tenancy import township_scope
from scoring import services
from tests.contract import member
from tests.scoring.contract_cases import Catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_villager_opens_the_passbook_page_on_a_phone(live_server, page, world, artifacts):
    catalogue = Catalogue(world)
    with township_scope(world.a.township):
        catalogue.record(world.a.households[0])
        _row, code = services.issue_code(membership=member(world.a.clerk), household=world.a.households[0])
    page.goto(f"{live_server.url}/v/{code}/")
    page.screenshot(path=str(artifacts / "villager-check-phone.png"), full_page=True)
    page.fill("input[name=digits]", "1111")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=号码不符")
    page.fill("input[name=digits]", "8000")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#villager-total")
    body = page.content()
    assert "张三明" in body and "庭院整洁" in body and "尚未计入" in body
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "villager-page-phone.png"), full_page=True)
    page.reload()
    assert page.locator("#villager-total").count() == 1  # still open within the 30 minutes


def test_villager_appeals_against_an_entry_on_a_phone(live_server, page, world, artifacts):
    from scoring.models import Appeal, AppealState
    from tests.notices import approve_through_notice

    catalogue = Catalogue(world)
    with township_scope(world.a.township):
        entry = catalogue.record(world.a.households[0])
        approve_through_notice([entry])
        _row, code = services.issue_code(membership=member(world.a.clerk), household=world.a.households[0])
    page.goto(f"{live_server.url}/v/{code}/")
    page.fill("input[name=digits]", "8000")
    page.click("main form button[type=submit]")
    page.wait_for_selector("#villager-total")
    page.click("#appeal button[type=submit]")  # nothing chosen: the browser asks first, nothing is sent
    assert Appeal.objects.count() == 0
    page.select_option("select[name=appeal-entry]", str(entry.pk))
    page.fill("textarea[name=appeal-reason]", "那天我家没人在家，院子不是我们打扫的")
    page.click("#appeal button[type=submit]")
    page.wait_for_selector("text=已收到您的申诉")
    assert page.locator(f"#appeal-{Appeal.objects.get().pk}").inner_text().count("等待处理") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "villager-appeal-phone.png"), full_page=True)
    appeal = Appeal.objects.get()
    assert (appeal.entry_id, appeal.state) == (entry.pk, AppealState.PENDING)
