"""The township office opens its dashboard and a village page on a phone: the charts show with Chinese labels."""

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_township_office_opens_the_dashboard_and_a_village_page(live_server, page, dash, artifacts):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", dash.admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/")

    page.click("text=数据看板")
    page.wait_for_selector("svg.chart")
    assert page.locator("svg.chart").count() == 4
    for label in ("年度总分分布", "各类别平均分", "季度趋势", "各村平均总分排名", "环境整治", "a东村"):
        assert page.locator(f"svg.chart >> text={label}").count() >= 1, label
    assert page.locator("svg.chart").first.bounding_box()["width"] <= 390
    page.screenshot(path=str(artifacts / "oversight-township-dashboard-phone.png"), full_page=True)

    page.click("#table-overview >> text=a东村")
    page.wait_for_selector("text=预警")
    assert page.locator("svg.chart >> text=各片区平均总分排名").count() >= 1
    assert page.locator("text=约谈户主").count() == 1
    page.screenshot(path=str(artifacts / "oversight-village-page-phone.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    page.screenshot(path=str(artifacts / "oversight-village-page-desktop.png"), full_page=True)
