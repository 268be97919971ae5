"""A clerk's everyday journey in a real browser (Debian's Chromium through Playwright), on a phone-sized screen."""

import openpyxl
import pytest

from households.importing.layout import COLUMNS
from households.models import Household
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _roster_file(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([column.header for column in COLUMNS])
    rows = [
        (
            "a东村",
            "三组",
            "A-101",
            "幸福路101号",
            "参与",
            "",
            "王建国",
            "是",
            "男",
            1968,
            "",
            "13800138001",
            "是",
        ),
        ("a东村", "三组", "A-101", "", "", "", "李秀英", "否", "女", 1970, "", "", "否"),
        (
            "a东村",
            "三组",
            "A-102",
            "幸福路102号",
            "参与",
            "",
            "赵卫东",
            "是",
            "男",
            1975,
            "",
            "13900139002",
            "否",
        ),
    ]
    for row in rows:
        sheet.append(list(row) + [""] * (len(COLUMNS) - len(row)))
    workbook.save(path)
    return path


def test_clerk_imports_a_roster_and_sees_the_households(live_server, page, world, artifacts, tmp_path):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.a.clerk.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/")

    page.goto(f"{live_server.url}/t/town-a/import/")
    page.set_input_files("input[name=file]", str(_roster_file(tmp_path / "花名册.xlsx")))
    page.click("main form[enctype] button[type=submit]")
    page.get_by_role("button", name="导入 2 户").click()

    page.wait_for_url(f"{live_server.url}/t/town-a/households/**")
    body = page.content()
    assert "A-101" in body and "王建国" in body and "A-102" in body
    screenshot = artifacts / "clerk-imported-roster.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert Household.objects.filter(number__in=["A-101", "A-102"], village=world.a.villages[0]).count() == 2
