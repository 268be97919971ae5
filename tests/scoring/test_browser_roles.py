"""A head teacher on a phone makes a student the class monitor from the student's page (issue 15, item 1)."""

import pytest
from playwright.sync_api import expect

from scoring.models import RoleAssignment, RoleChange
from tests.factories import PASSWORD

from .school import School


@pytest.mark.browser
def test_head_teacher_sets_a_post_on_a_phone(transactional_db, live_server, page, artifacts):
    school = School()
    assert page.viewport_size["width"] <= 420  # a phone

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", school.teacher.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/t/shiyan/households/{school.s1.pk}/")
    block = page.locator("section#student-role")
    expect(block).to_contain_text("无职务")  # the block loaded into the student's page (htmx)
    block.locator("summary", has_text="设定职务").click()
    block.locator("#id_role").select_option(label="班级量化 · 班干部")
    block.locator("#id_title").fill("班长")
    block.locator("#id_reason").fill("班委选举")
    block.locator("button[type=submit]").click()

    expect(page.locator("section#student-role table").first).to_contain_text("班长")
    expect(page.locator("section#student-role")).to_contain_text("班委选举")  # the history line
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing overflows
    assignment = RoleAssignment.objects.get()
    assert (assignment.household, assignment.title) == (school.s1, "班长")
    assert RoleChange.objects.get().changed_by == school.teacher

    screenshot = artifacts / "scoring-student-role-phone.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.exists() and screenshot.stat().st_size > 10_000
