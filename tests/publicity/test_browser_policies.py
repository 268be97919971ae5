"""The township office keeps an incentive policy on a phone (390 px): the list, the form, who qualifies."""

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_office_adds_a_policy_on_a_phone(live_server, page, world, artifacts):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.a.admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/")
    page.goto(f"{live_server.url}/t/town-a/publicity/policies/")
    assert "推荐党组织" in page.content() and _fits(page)
    page.click("text=新增政策")
    page.fill("input[name=name]", "就医绿色通道")
    page.fill("input[name=partner]", "镇卫生院")
    page.select_option("select[name=min_stars]", "4")
    assert _fits(page)
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=政策“就医绿色通道”已保存")
    assert _fits(page)
    page.screenshot(path=str(artifacts / "incentive-policy-phone.png"), full_page=True)
