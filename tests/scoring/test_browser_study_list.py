"""The class officer's Saturday in a real browser, on a phone (390 px): the week's list of Sunday study, filed."""

import datetime

import pytest

from core.tenancy import township_scope
from tests.factories import PASSWORD
from tests.scoring.class_school import make_school, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_class_officer_reads_and_files_the_weeks_sunday_study_list_on_a_phone(
    live_server, page, artifacts
):
    w = make_school()
    with township_scope(w.township):
        record(w, w.s01, "迟交、不交作业或交了没写", datetime.date(2026, 10, 6))
        record(w, w.s01, "迟交、不交作业或交了没写", datetime.date(2026, 10, 13))
        record(w, w.s02, "宿舍就寝不合格(相关责任人)", datetime.date(2026, 10, 14))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", w.officer.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")

    page.goto(f"{live_server.url}/t/{w.township.slug}/villages/{w.class_3.pk}/")
    page.get_by_role("button", name="上自习名单").click()
    page.goto(page.url + "?week=2026-W42")
    table = page.locator("#study-list")
    assert "王小明" in table.inner_text() and "李小红" in table.inner_text()
    assert "1 次为前几周累积顺延" in table.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.get_by_role("button", name="存档本周名单").click()
    page.wait_for_selector("#filed")
    page.screenshot(path=str(artifacts / "class-officer-study-list.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
