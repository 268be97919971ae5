"""The township office closes a year on a phone (390×844) and on a desktop (1366×768), Debian's Chromium through
Playwright: from the scheme's page to the year-end page, the dry run, the confirmation and the result; every page
fits the screen and the close is in the database."""

import pytest

from scoring.models import SchemeState, YearClose
from tests.factories import PASSWORD
from tests.rewards.conftest import closable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("width", "height", "label"), [(390, 844, "phone"), (1366, 768, "desktop")])
def test_the_office_closes_the_year_and_every_page_fits(
    live_server, page, world, artifacts, width, height, label
):
    stars = closable(world)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", stars.admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/")

    page.goto(f"{live_server.url}/t/town-a/scoring/schemes/{stars.scheme.pk}/")
    page.click("#year-end-link")
    page.wait_for_url(f"{live_server.url}/t/town-a/rewards/year-end/scheme/{stars.scheme.pk}/")
    main = page.inner_text("main")
    assert "东村" in main and "report-2026.pdf" in main and _fits(page, width)
    page.screenshot(path=str(artifacts / f"year-end-dry-run-{label}.png"), full_page=True)
    assert not YearClose.objects.exists()  # the dry run wrote nothing

    page.check("#run-close input[name=confirm]")
    page.click("#run-close button[type=submit]")
    page.wait_for_selector("#close-result")
    assert _fits(page, width)
    page.screenshot(path=str(artifacts / f"year-end-closed-{label}.png"), full_page=True)
    close = YearClose.objects.get()
    assert (close.year, close.closed_by_id, close.next_scheme.year) == (2026, stars.admin.pk, 2027)
    stars.scheme.refresh_from_db()
    assert stars.scheme.state == SchemeState.CLOSED
