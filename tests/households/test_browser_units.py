"""A clerk adds a unit on a phone-sized screen (390×844, Debian's Chromium through Playwright): no page of the
unit's journey is wider than the screen."""

import pytest

from households.models import Unit
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_clerk_adds_a_unit_on_a_phone_and_every_page_fits_the_screen(live_server, page, world, artifacts):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.a.clerk.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/")

    page.goto(f"{live_server.url}/t/town-a/units/new/")
    assert _fits(page)
    page.select_option("select[name=village]", label="a东村")
    page.fill("input[name=name]", "东村超市")
    page.select_option("select[name=kind]", value="individual_business")
    page.fill("input[name=contact_name]", "孙丽")
    page.fill("input[name=contact_mobile]", "139 0000 0006")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/units/*/")
    assert "东村超市" in page.inner_text("main") and _fits(page)
    page.screenshot(path=str(artifacts / "unit-detail-phone.png"), full_page=True)

    page.goto(f"{live_server.url}/t/town-a/units/")
    assert "东村超市" in page.inner_text("main") and _fits(page)
    page.screenshot(path=str(artifacts / "unit-list-phone.png"), full_page=True)
    assert Unit.objects.get(name="东村超市").contact_mobile == "13900000006"
