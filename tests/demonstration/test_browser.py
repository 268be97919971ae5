"""On a phone, in Chinese, under the Content-Security-Policy: the township office applies for a village with its
form, and the county officer pre-selects it on the call's page. Screenshots are saved as artifacts."""

import pytest
import time_machine
from playwright.sync_api import expect

from demonstration import services
from demonstration.models import Application, ApplicationState
from tests.demonstration.conftest import (
    AFTER_APPLICATIONS,
    APPLICATION_NOTICE_OVER,
    APPLY_DAY,
    PDF,
    region_member,
)
from tests.factories import PASSWORD
from tests.security.test_csp_browser import Watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, browser_context_args, live_server, username) -> Watched:
    watched = Watched(browser.new_context(**browser_context_args))
    watched.visit(f"{live_server.url}/accounts/login/")
    watched.page.fill("input[name=username]", username)
    watched.page.fill("input[name=password]", PASSWORD)
    watched.page.click("main button[type=submit]")
    watched.page.wait_for_load_state("load")
    watched.assert_clean("after login")
    return watched


def test_a_village_applies_and_the_county_preselects_it_on_a_phone(
    live_server, browser, browser_context_args, programme, world, artifacts, tmp_path
):
    p = programme
    call = p.call()
    form = tmp_path / "申报表.pdf"
    form.write_bytes(PDF)
    town = f"{live_server.url}/t/{world.a.township.slug}/demonstration"

    with time_machine.travel(APPLY_DAY, tick=True):
        office = log_in(browser, browser_context_args, live_server, world.a.admin.username)
        office.visit(f"{town}/")
        office.page.get_by_role("button", name="申报", exact=True).click()
        expect(office.page.locator("#figures")).to_contain_text("35.50%")
        office.page.select_option("select[name=village]", label="a东村")
        office.page.fill("textarea[name=statement]", "积分超市运行两年，兑换人数逐年增加。")
        office.page.set_input_files("input[name=form]", str(form))
        office.page.get_by_role("button", name="提交申报").click()
        expect(office.page.locator("h1")).to_have_text("a东村")
        office.assert_clean("application page")
        office.page.screenshot(path=str(artifacts / "demonstration-application.png"), full_page=True)
        office.page.get_by_role("button", name="在乡镇公示").click()
        expect(office.page.locator("hgroup")).to_contain_text("乡镇公示中")
        application_url = office.page.url

    # The township forwards it once its notice has run (经所在乡镇公示审核): a new day, a new login.
    with time_machine.travel(APPLICATION_NOTICE_OVER, tick=True):
        office = log_in(browser, browser_context_args, live_server, world.a.admin.username)
        office.visit(application_url)
        office.page.get_by_role("button", name="审核通过并报送县").click()
        expect(office.page.locator("hgroup")).to_contain_text("乡镇已审核报县")

    application = Application.objects.get()
    with time_machine.travel(AFTER_APPLICATIONS, tick=True):
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")
        county = log_in(browser, browser_context_args, live_server, p.east_officer.username)
        county.visit(f"{live_server.url}/r/{p.east.slug}/demonstration/calls/{call.pk}/")
        expect(county.page.locator("#applications")).to_contain_text("a东村")
        county.page.screenshot(path=str(artifacts / "demonstration-call-county.png"), full_page=True)
        county.page.locator("#applications form.move").filter(has_text="推荐（初审通过）").get_by_role(
            "button"
        ).click()
        expect(county.page.locator(".messages")).to_contain_text("县级初审通过")
        expect(county.page.locator(".county-counts")).to_contain_text("东县：已推荐 1 个，最多 3 个")
        county.assert_clean("call page after pre-selection")
    assert Application.objects.get(pk=application.pk).state == ApplicationState.PRESELECTED
