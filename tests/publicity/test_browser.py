"""A villager objects on the public notice page from a phone; the clerk sees the objection in the round."""

import pytest

from review.models import Objection
from tests.factories import PASSWORD
from tests.publicity.conftest import on_notice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_villager_objects_on_a_phone_and_the_clerk_sees_it(live_server, page, rw, world, artifacts):
    round_ = on_notice(rw)
    page.goto(f"{live_server.url}/notice/{round_.notice_token}/")
    assert "张*明" in page.content()
    page.fill("input[name=objector_name]", "周二")
    page.fill("input[name=objector_phone]", "13900139000")
    page.select_option("select[name=household]", str(rw.h2.pk))
    page.fill("textarea[name=reason]", "我家庭院一直很整洁，请复核。")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=异议已收到")
    page.screenshot(path=str(artifacts / "public-notice-objection-phone.png"), full_page=True)
    assert Objection.objects.filter(round=round_, household=rw.h2, objector_name="周二").count() == 1

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.a.clerk.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/")
    page.goto(f"{live_server.url}/t/town-a/review/rounds/{round_.pk}/")
    body = page.content()
    assert "周二" in body and "我家庭院一直很整洁" in body
    page.screenshot(path=str(artifacts / "clerk-sees-objection.png"), full_page=True)
