"""The township office's people and panels in a real browser (Debian's Chromium through Playwright), on a phone
(390×844) and a desktop (1366×768): the office creates a clerk, the clerk signs in with the one-time password and
must choose their own; the office replaces a review panel member mid-year. No page is wider than the screen."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from households.models import LoginAccount, Role
from review.models import PanelMember
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.review.conftest import ReviewWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = [pytest.param(390, 844, id="phone"), pytest.param(1366, 768, id="desktop")]


def _fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


@pytest.mark.parametrize("width, height", SCREENS)
def test_the_office_creates_a_clerk_who_must_choose_a_password_at_first_sign_in(
    live_server, page, world, artifacts, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    _sign_in(page, base, world.a.admin.username, PASSWORD)
    page.wait_for_url(f"{base}/t/town-a/")

    page.goto(f"{base}/t/town-a/people/")
    assert _fits(page, width)
    page.click("main a[href$='/people/new/']")
    page.wait_for_url(f"{base}/t/town-a/people/new/")
    assert _fits(page, width)
    page.fill("input[name=name]", "孙小梅")
    page.fill("input[name=username]", f"sun-xiaomei-{width}")
    page.select_option("select[name=role]", value=Role.VILLAGE_CLERK)
    page.check(f"input[name=villages][value='{world.a.villages[0].pk}']")
    page.click("main form button[type=submit]")
    password = page.inner_text("[data-testid=one-time-password]").strip()
    assert password and _fits(page, width)
    page.screenshot(path=str(artifacts / f"person-one-time-password-{width}.png"), full_page=True)

    page.context.clear_cookies()  # the office hands over the password; the clerk signs in on their own phone
    _sign_in(page, base, f"sun-xiaomei-{width}", password)
    page.wait_for_url(f"{base}/accounts/password/")
    assert _fits(page, width)
    page.goto(f"{base}/t/town-a/")  # every page leads to the password change first
    page.wait_for_url(f"{base}/accounts/password/")
    own = "Qiuyu-river-2026"
    page.fill("input[name=old_password]", password)
    page.fill("input[name=new_password1]", own)
    page.fill("input[name=new_password2]", own)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/password/done/")
    page.goto(f"{base}/t/town-a/")
    page.wait_for_url(f"{base}/t/town-a/")
    assert _fits(page, width)

    user = get_user_model().objects.get(username=f"sun-xiaomei-{width}")
    assert user.first_name == "孙小梅" and user.check_password(own)
    assert not LoginAccount.objects.get(user=user).must_change_password


@pytest.mark.parametrize("width, height", SCREENS)
def test_the_office_replaces_a_panel_member_mid_year(live_server, page, world, artifacts, width, height):
    rw = ReviewWorld(world)
    newcomer = UserFactory(username="p-newcomer", first_name="吴新")
    MembershipFactory(user=newcomer, township=rw.township, role=Role.PANEL_MEMBER, villages=[rw.village])
    leaving = rw.members1[0].user
    page.set_viewport_size({"width": width, "height": height})
    base = live_server.url
    _sign_in(page, base, world.a.admin.username, PASSWORD)
    page.wait_for_url(f"{base}/t/town-a/")

    page.goto(f"{base}/t/town-a/review/panels/")
    assert _fits(page, width)
    page.click("main a:text('第一评议小组')")
    page.wait_for_url(f"{base}/t/town-a/review/panels/{rw.panel1.pk}/")
    assert _fits(page, width)
    seat = PanelMember.objects.get(panel=rw.panel1, user=leaving)
    page.click(f"main a[href$='/panel-members/{seat.pk}/replace/']")
    page.wait_for_url(f"{base}/t/town-a/review/panel-members/{seat.pk}/replace/")
    assert _fits(page, width)
    page.select_option("select[name=user]", value=str(newcomer.pk))
    page.fill("input[name=reason]", "外出务工")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/t/town-a/review/panels/{rw.panel1.pk}/")
    main = page.inner_text("main")
    assert "吴新" in main and "外出务工" in main and _fits(page, width)
    page.screenshot(path=str(artifacts / f"panel-replaced-{width}.png"), full_page=True)

    seat.refresh_from_db()
    assert (seat.until, seat.end_reason, seat.ended_by) == (timezone.localdate(), "外出务工", world.a.admin)
    assert PanelMember.objects.current().get(panel=rw.panel1, user=newcomer).since == timezone.localdate()
