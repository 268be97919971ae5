"""The main pages in a real browser (Debian's Chromium) under the Content-Security-Policy: nothing is blocked.

Chromium reports every blocked inline script, style or handler both on the console and as a
`securitypolicyviolation` event; the test collects both while a clerk, a panel member and a villager go through
the pages people use every day, including an htmx live search (htmx must not inject inline styles).
"""

import pytest
from playwright.sync_api import expect

from review.models import RoundState
from tests.factories import PASSWORD
from tests.review.conftest import ReviewWorld
from tests.review.test_pages import make_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A browser page that remembers every CSP violation and console error it saw."""

    def __init__(self, context):
        context.add_init_script(COLLECT_VIOLATIONS)
        self.page = context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"], url
        self.page.wait_for_load_state("load")
        self.assert_clean(url)

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations")

    def assert_clean(self, where: str) -> None:
        assert not self.violations() and not self.console, (where, self.violations(), self.console)
        assert not self.errors, (where, self.errors)


def log_in(browser, browser_context_args, live_server, username) -> Watched:
    watched = Watched(browser.new_context(**browser_context_args))
    watched.visit(f"{live_server.url}/accounts/login/")
    watched.page.fill("input[name=username]", username)
    watched.page.fill("input[name=password]", PASSWORD)
    watched.page.click("main button[type=submit]")
    watched.page.wait_for_url(f"{live_server.url}/t/**")
    watched.assert_clean("after login")
    return watched


@pytest.fixture
def rw(world):
    return ReviewWorld(world)


def test_main_pages_run_under_the_policy_without_a_single_violation(
    live_server, browser, browser_context_args, rw
):
    on_notice = make_round(rw, RoundState.ON_NOTICE, period="2026-Q1")
    collecting = make_round(rw, RoundState.COLLECTING, period="2026-Q2")
    town = f"{live_server.url}/t/{rw.township.slug}"

    clerk = log_in(browser, browser_context_args, live_server, rw.clerk.username)
    for path in [
        "/",
        "/households/",
        f"/households/{rw.h1.pk}/",
        "/scoring/entries/",
        "/scoring/",
        f"/scoring/schemes/{rw.scheme.pk}/",
        f"/scoring/households/{rw.h1.pk}/passbook/",
        "/review/",
        "/review/work/",
        f"/review/rounds/{on_notice.pk}/",
        f"/review/rounds/{collecting.pk}/",
        "/import/",
    ]:
        clerk.visit(town + path)
    clerk.visit(f"{live_server.url}/")

    # The htmx live search swaps in a fragment: still no inline code, and no injected indicator style.
    clerk.visit(f"{town}/scoring/entries/new/")
    clerk.page.fill("#household-q", "A-001")
    expect(clerk.page.locator("button[name=choose]", has_text="A-001")).to_be_visible()
    assert clerk.page.locator("style").count() == 0
    clerk.assert_clean("htmx household search")

    panel = log_in(browser, browser_context_args, live_server, rw.members2[0].user.username)
    panel.visit(f"{town}/review/work/")
    panel.visit(f"{town}/review/rounds/{collecting.pk}/inspect/")
    panel.visit(f"{town}/review/rounds/{collecting.pk}/inspect/{rw.h1.pk}/")

    villager = Watched(browser.new_context(**browser_context_args))
    villager.visit(f"{live_server.url}/notice/{on_notice.notice_token}/")


def test_the_watcher_does_report_an_inline_style_and_script(
    live_server, browser, browser_context_args, world
):
    """The check above would be worthless if a violation went unnoticed: inject both kinds and see them."""
    watched = Watched(browser.new_context(**browser_context_args))
    watched.visit(f"{live_server.url}/accounts/login/")
    watched.page.evaluate(
        """document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
        const s = document.createElement("script"); s.textContent = "window.__ran = 1"; document.body.append(s);"""
    )
    watched.page.wait_for_timeout(200)
    assert watched.page.evaluate("window.__ran") is None
    directives = " ".join(watched.violations())
    assert "style-src" in directives and "script-src" in directives


def test_the_admin_and_the_api_pages_run_under_the_policy(live_server, browser, browser_context_args, world):
    from tests.factories import UserFactory

    UserFactory(username="root", is_staff=True, is_superuser=True)
    watched = Watched(browser.new_context(**browser_context_args))
    watched.visit(f"{live_server.url}/admin/login/")
    watched.page.fill("input[name=username]", "root")
    watched.page.fill("input[name=password]", PASSWORD)
    watched.page.click("input[type=submit]")
    watched.page.wait_for_url(f"{live_server.url}/admin/")
    watched.assert_clean("admin login")
    watched.visit(f"{live_server.url}/admin/households/household/")
    watched.visit(f"{live_server.url}/admin/auth/user/")

    clerk = log_in(browser, browser_context_args, live_server, world.a.clerk.username)
    clerk.visit(f"{live_server.url}/api/v1/t/{world.a.township.slug}/households/")  # DRF's browsable API
