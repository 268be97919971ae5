"""Every page of every role's navigation, on a phone (390×844) and a desktop (1366×768), in a real browser
(issue 17, item 4): each answers 200, nothing overflows sideways, the phone's header is a thin line, and a
screenshot of each is kept under test-artifacts/screens/ for a person to look at.
"""

import pytest
from django.conf import settings
from django.test import Client

from households.models import Role
from tests.role_ground import Ground

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}
ROLES = [
    Role.TOWNSHIP_ADMIN,
    Role.VILLAGE_CLERK,
    Role.PANEL_MEMBER,
    Role.SUPERVISOR,
    Role.COUNTY_VIEWER,
    Role.HEAD_TEACHER,
]
MEASURE = """() => ({
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  header: document.querySelector("header.topbar").getBoundingClientRect().height,
  navSpread: ((tops) => Math.max(...tops) - Math.min(...tops))(
    [...document.querySelectorAll(".topbar .brand, .topbar a[data-nav]")].map((a) => a.getBoundingClientRect().top)),
  unlabelled: document.querySelectorAll("table.responsive tbody td:not([data-label])").length,
})"""


def _session_cookie(user, url: str) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


def test_every_page_of_every_role_fits_a_phone_and_a_desktop(live_server, browser, artifacts):
    ground = Ground()
    screens = artifacts / "screens"
    screens.mkdir(exist_ok=True)
    problems, seen = [], 0
    for role in ROLES:
        cookie = _session_cookie(ground.users[role], live_server.url)
        for size, viewport in SIZES.items():
            context = browser.new_context(locale="zh-CN", viewport=viewport)
            context.add_cookies([cookie])
            page = context.new_page()
            home = page.goto(f"{live_server.url}/")
            pages = [("home", page.url)] + [
                (link.get_attribute("data-nav"), link.get_attribute("href"))
                for link in page.locator("a[data-nav]").all()
            ]
            assert home.status == 200 and len(pages) > 3, (role, size)
            for key, url in pages:
                response = page.goto(url if url.startswith("http") else f"{live_server.url}{url}")
                seen += 1
                measured = page.evaluate(MEASURE)
                if response.status != 200:
                    problems.append(f"{role} {size} {key}: status {response.status}")
                if measured["overflow"] > 1:
                    problems.append(f"{role} {size} {key}: {measured['overflow']} px wider than the screen")
                if size == "phone" and measured["header"] > 0.15 * viewport["height"]:
                    problems.append(f"{role} {size} {key}: header {measured['header']} px high")
                if size == "desktop" and measured["navSpread"] > 16:  # one row: the links' tops within a line
                    problems.append(f"{role} {size} {key}: the navigation takes more than one row")
                if measured["unlabelled"]:
                    problems.append(
                        f"{role} {size} {key}: {measured['unlabelled']} table cells without a label"
                    )
                page.screenshot(path=screens / f"{role}-{size}-{key}.png", full_page=True)
            if size == "phone":  # the menu, opened
                page.goto(f"{live_server.url}/")
                page.click("details.topbar-menu > summary")
                page.screenshot(path=screens / f"{role}-{size}-menu.png")
            context.close()
    assert not problems, "\n".join(problems)
    assert seen > 50
