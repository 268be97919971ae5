"""Onboarding in a real browser (Debian's Chromium through Playwright), on a phone (390×844) and a desktop
(1366×768): the operator creates a township on the platform page; the township office merges two areas and
retires a village; the setup checklist shows on its home page. No page is wider than the screen."""

import openpyxl
import pytest

from households.models import Area, Household, Membership, Role, Township, Village
from tests.factories import PASSWORD, AreaFactory, HouseholdFactory, UserFactory, VillageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(390, 844), (1366, 768)]


def _fits(page, width) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["phone", "desktop"])
def test_the_operator_creates_a_township_on_the_platform_page(
    live_server, page, world, artifacts, tmp_path, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    operator = UserFactory(username="operator")
    operator.is_superuser = operator.is_staff = True
    operator.save()
    places = tmp_path / "places.xlsx"
    workbook = openpyxl.Workbook()
    for row in (
        ["村", "片区", "村编码"],
        ["青山村", "一组", "001"],
        ["青山村", "二组", "001"],
        ["白水村", "一组", ""],
    ):
        workbook.active.append(row)
    workbook.save(places)

    _login(page, live_server, "operator")
    page.goto(f"{live_server.url}/platform/townships/")
    assert "A镇" in page.inner_text("main") and _fits(page, width)
    page.fill("input[name=q]", "town-b")
    page.click("main form[role=search] button")
    page.wait_for_load_state()
    assert "B镇" in page.inner_text("main") and "A镇" not in page.inner_text("main")

    page.click("#new-township")
    page.wait_for_url("**/platform/townships/new/")
    assert _fits(page, width)
    page.fill("input[name=name]", "青山镇")
    page.fill("input[name=slug]", "qingshan")
    page.fill("input[name=admin_username]", "qs-admin")
    page.fill("input[name=admin_name]", "王主任")
    page.set_input_files("input[name=places]", str(places))
    page.click("#create-township")
    page.wait_for_selector("#first-password")
    password = page.inner_text("#first-password").strip()
    assert _fits(page, width)
    page.screenshot(path=str(artifacts / f"platform-created-{width}.png"), full_page=True)

    township = Township.objects.get(slug="qingshan")
    admin = Membership.objects.get(township=township, role=Role.TOWNSHIP_ADMIN).user
    assert admin.username == "qs-admin" and admin.check_password(password)
    assert sorted(Village.objects.filter(township=township).values_list("name", flat=True)) == [
        "白水村",
        "青山村",
    ]
    assert Area.objects.filter(township=township).count() == 3


@pytest.mark.parametrize(("width", "height"), SIZES, ids=["phone", "desktop"])
def test_the_office_merges_two_areas_and_retires_a_village(
    live_server, page, world, artifacts, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    a = world.a
    east = a.villages[0]
    second = AreaFactory(village=east, township=a.township, name="二组")
    moved = HouseholdFactory(area=second, number="A-201")
    empty = VillageFactory(township=a.township, name="空村")

    _login(page, live_server, a.admin.username)
    home = f"{live_server.url}/t/town-a/"
    page.goto(home)
    assert page.is_visible("#setup-checklist") and _fits(page, width)
    assert "每个村都有文书" in page.inner_text("#setup-checklist")
    page.screenshot(path=str(artifacts / f"setup-checklist-{width}.png"), full_page=True)

    page.goto(f"{home}villages/{east.pk}/")
    page.click(f"a.area-merge[href$='/areas/{second.pk}/merge/']")
    page.wait_for_url(f"**/areas/{second.pk}/merge/")
    assert _fits(page, width)
    page.select_option("select[name=target]", label="一组")
    page.fill("input[name=reason]", "两组合并")
    page.click("#merge")
    page.wait_for_url(f"**/villages/{east.pk}/")
    assert "已撤销" in page.inner_text("main") and _fits(page, width)

    page.goto(f"{home}villages/{empty.pk}/")
    page.click("#retire-village")
    page.wait_for_url(f"**/villages/{empty.pk}/retire/")
    page.fill("input[name=reason]", "撤村")
    page.click("#retire")
    page.wait_for_url(f"**/villages/{empty.pk}/")
    assert "已撤销" in page.inner_text("main") and _fits(page, width)
    page.screenshot(path=str(artifacts / f"village-retired-{width}.png"), full_page=True)

    assert Household.objects.get(pk=moved.pk).area_id == a.areas[0].pk
    assert Area.objects.get(pk=second.pk).retired_at is not None
    assert Village.objects.get(pk=empty.pk).retired_at is not None
