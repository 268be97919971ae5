"""A clerk imports the village's own sheet (one row per household, a header Jifen does not know) in a real browser
(Debian's Chromium through Playwright), on a phone (390×844) and on a desktop (1366×768): maps the column on the
page, sees every row error at once, fixes the file and imports it; the next upload needs no mapping."""

import pytest

from households.models import Household, ImportMapping, Resident
from tests.factories import PASSWORD
from tests.households.test_importing import ID_LI, ID_SUN, ID_WANG

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = "户号,村,生产队,户主姓名,性别,联系电话,身份证号"
BAD = [
    f"A-201,a东村,一组,王大明,男,1390000,{ID_WANG}",  # a mobile number too short
    "A-202,a东村,二组,李秀英,女,13900000002,371425197207200221",  # a wrong check character
    f"A-203,a东村,二组,,女,,{ID_SUN}",  # no name
]
GOOD = [
    f"A-201,a东村,一组,王大明,男,13900000001,{ID_WANG}",
    f"A-202,a东村,二组,李秀英,女,13900000002,{ID_LI}",
    f"A-203,a东村,二组,孙大娘,女,,{ID_SUN}",
]


def sheet(path, rows):
    path.write_bytes("\r\n".join([HEADERS, *rows]).encode("gb18030"))  # as Excel saves a CSV on a Chinese PC
    return str(path)


def fits(page, width) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1366, 768)])
def test_a_clerk_maps_an_unknown_column_sees_every_error_fixes_the_file_and_imports(
    live_server, page, world, artifacts, tmp_path, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.a.clerk.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/")

    page.goto(f"{live_server.url}/t/town-a/import/")
    assert fits(page, width)
    page.set_input_files("input[name=file]", sheet(tmp_path / "户主名册.csv", BAD))
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/import/*/")
    main = page.inner_text("main")
    assert "请选择这些字段所在的列：片区。" in main
    assert "发现 3 个问题" in main  # every row's mistake is listed together with the missing column
    rows = page.locator("table tr.bad")
    assert rows.count() == 3
    assert fits(page, width)
    page.screenshot(path=str(artifacts / f"import-mapping-{width}.png"), full_page=True)

    page.select_option("select[name=area]", label="生产队")
    page.get_by_role("button", name="按这些列重新检查").click()
    page.wait_for_url(f"{live_server.url}/t/town-a/import/*/")
    assert "请选择这些字段所在的列" not in page.inner_text("main")
    assert page.locator("table tr.bad").count() == 3 and fits(page, width)
    assert ImportMapping.objects.filter(village=world.a.villages[0]).count() == 1
    assert not Household.objects.filter(number__startswith="A-20").exists()

    page.goto(f"{live_server.url}/t/town-a/import/")
    page.set_input_files("input[name=file]", sheet(tmp_path / "户主名册-改.csv", GOOD))
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/t/town-a/import/*/")
    main = page.inner_text("main")
    assert "已自动套用" in main and "请选择这些字段所在的列" not in main
    assert fits(page, width)
    page.screenshot(path=str(artifacts / f"import-remembered-{width}.png"), full_page=True)
    page.get_by_role("button", name="导入 3 户").click()
    page.wait_for_url(f"{live_server.url}/t/town-a/households/**")
    assert fits(page, width)

    households = Household.objects.filter(number__in=["A-201", "A-202", "A-203"], village=world.a.villages[0])
    assert households.count() == 3
    heads = Resident.objects.filter(household__in=households)
    assert sorted(heads.values_list("name", "is_head")) == [
        ("孙大娘", True),
        ("李秀英", True),
        ("王大明", True),
    ]
    assert Household.objects.get(number="A-202").area.name == "二组"
