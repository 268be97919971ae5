"""A villager objects on the public notice page from a phone (issue 17, budget "file an objection on a phone ≤ 4
clicks, with errors visible where the eye is"); nothing overflows at 390 px or at 1366 px."""

import pytest
from django.core.cache import cache

from review.models import Objection
from tests.publicity.conftest import add_categories, on_notice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "我家庭院一直很整洁，请复核。"


def test_a_villager_objects_on_a_phone_in_four_clicks_with_the_errors_where_the_eye_is(
    live_server, page, rw, artifacts
):
    cache.clear()  # the objections-per-hour count of this address
    add_categories(rw)  # six categories
    round_ = on_notice(rw, extra_households=120)  # 122 households, as the village that found the problem
    clicks = 0

    def click(selector: str) -> None:
        nonlocal clicks
        clicks += 1
        page.click(selector)

    page.goto(f"{live_server.url}/notice/{round_.notice_token}/")  # the address the printed QR opens
    assert page.viewport_size == {"width": 390, "height": 844}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # 文明新风 and 合计 are not cut off
    page.screenshot(path=str(artifacts / "public-notice-phone.png"))

    page.fill("#notice-q", "A-201")  # the list filters as one types: no click
    assert page.locator("table.notice-rows tr[data-search]:visible").count() == 1
    click(f"table.notice-rows a[href='?household={rw.h2.pk}#objection']")
    page.wait_for_selector("#objection form")
    page.fill("input[name=objector_name]", "周二")
    page.fill("textarea[name=reason]", REASON)
    click("#objection button[type=submit]")  # the phone number is missing

    summary = page.locator("#error-summary")
    # The answer page's script moves the focus to the summary (times out if it does not).
    page.locator("#error-summary:focus").wait_for()
    box, bar = summary.bounding_box(), page.locator("#notice-bar").bounding_box()
    assert box and bar
    assert (
        bar["y"] + bar["height"] <= box["y"] + 1 and box["y"] + box["height"] <= 844
    )  # seen, not under the bar
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.input_value("textarea[name=reason]") == REASON  # nothing typed is lost
    page.screenshot(path=str(artifacts / "public-notice-objection-error-phone.png"))

    page.fill("input[name=objector_phone]", "13900139000")
    click("#objection button[type=submit]")
    page.wait_for_selector("text=异议已收到")
    assert clicks <= 4
    objection = Objection.objects.get(round=round_)
    assert (objection.household, objection.objector_name, objection.objector_phone, objection.reason) == (
        rw.h2,
        "周二",
        "13900139000",
        REASON,
    )

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/notice/{round_.notice_token}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.screenshot(path=str(artifacts / "public-notice-desktop.png"))
