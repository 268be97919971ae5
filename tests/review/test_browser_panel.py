"""The panel member's phone flow in a real browser (Debian's Chromium, 390×844; issue 17, problem 6 and item 7):
one inspection recorded and on to the next household within the click budget, and a 4000×3000 photo arriving at
the server shrunk to at most 1600 px (static/js/panel.js)."""

import io

import pytest
from PIL import Image

from review.models import Inspection, RoundState
from scoring.models import Entry
from tests.factories import PASSWORD, HouseholdFactory, ResidentFactory
from tests.review.test_pages import make_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUDGET = 4  # issue 17, "record one inspection on a phone and go to the next household"


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")  # the login: not counted
    page.wait_for_url(f"{live_server.url}/t/**")


def test_a_panel_member_records_an_inspection_with_a_big_photo_and_goes_to_the_next_household(
    live_server, page, browser_context_args, rw, artifacts, tmp_path
):
    assert browser_context_args["viewport"] == {"width": 390, "height": 844}
    next_one = HouseholdFactory(area=rw.area1, number="A-011")
    ResidentFactory(household=next_one, name="赵一", is_head=True)
    round_ = make_round(rw, RoundState.COLLECTING, period="2026-Q1")
    photo = tmp_path / "院子.jpg"
    Image.new("RGB", (4000, 3000), (90, 140, 60)).save(photo, "JPEG", quality=90)

    _log_in(page, live_server, rw.members2[0].user.username)
    clicks = 0

    def click(locator):
        nonlocal clicks
        clicks += 1
        locator.click()

    # The home shows the area still to inspect; its list; the first household; one finding; a photo; save → next.
    click(page.locator("#work-inspections a[href$='/inspect/']").first)
    click(page.locator("main a", has_text="A-001"))
    click(page.get_by_label("庭院整洁"))
    page.set_input_files("main input[name=photos]", str(photo))  # choosing a photo: no click counted
    page.wait_for_selector("main input[name=photos][data-downscale-done='1']", state="attached")
    page.fill("main input[name=inspected_on]", "2026-03-10")
    with page.expect_navigation():
        click(page.get_by_role("button", name="保存并查看下一户"))

    assert clicks <= BUDGET, f"{clicks} clicks for one inspection and the next household (budget {BUDGET})"
    assert page.url.endswith(f"/rounds/{round_.pk}/inspect/{next_one.pk}/")
    assert page.locator("main h1").inner_text().startswith("A-011")
    message = page.locator(".messages .message").first
    assert message.inner_text() == "A-001 户已查看：拟定 1 项积分。"
    box = message.bounding_box()
    assert page.evaluate("window.scrollY") == 0 and box is not None and box["y"] + box["height"] <= 844
    page.screenshot(path=str(artifacts / "panel-next-household-phone.png"), full_page=False)

    inspection = Inspection.objects.get(round=round_, household=rw.h1)
    assert inspection.inspected_on.isoformat() == "2026-03-10"
    entry = Entry.objects.get(household=rw.h1)
    evidence = entry.evidence.get()
    with evidence.file.open("rb") as handle, Image.open(io.BytesIO(handle.read())) as stored:
        assert max(stored.size) <= 1600 and stored.size == (1600, 1200)
        assert stored.format == "JPEG"
