"""A household's life in a real browser (issue 16), at phone width (390×844) and on a desktop (1366×768): a member
dies, the head changes, the household splits, another household merges into it, and one moves out of the township
with its points transferred and its closing slip shown. Every page fits the screen; each step is checked in the DB."""

from decimal import Decimal

import pytest
from django.utils import timezone

from core.tenancy import no_township_scope, township_scope
from households.models import Household, HouseholdStatus, Resident, ResidentEndReason
from scoring.models import Entry, EntryState, Scheme, SplitPoints, Transfer
from tests.factories import PASSWORD, ResidentFactory
from tests.notices import approve_through_notice
from tests.scoring.contract_cases import Catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate().isoformat()


def _fits(page, width) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def _submit(page):
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 768)])
def test_a_households_life_on_phone_and_desktop(live_server, page, world, artifacts, width, height):
    page.set_viewport_size({"width": width, "height": height})
    with no_township_scope(), township_scope(world.a.township):
        catalogue = Catalogue(world)
        Scheme.objects.filter(pk=catalogue.scheme.pk).update(split_points=SplitPoints.BY_MEMBERS)
        h1 = world.a.households[0]
        for name in ("王芳", "张二", "张三"):
            ResidentFactory(household=h1, name=name)
        approve_through_notice([catalogue.record(h1) for _ in range(4)])  # 8 points
        ids = {r.name: r.pk for r in Resident.objects.filter(household=h1)}
    base = f"{live_server.url}/t/town-a"
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", world.a.admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")

    # 1. A member dies (去世), with the date
    page.goto(f"{base}/residents/{ids['王芳']}/remove/")
    assert _fits(page, width)
    page.select_option("select[name=reason]", value="died")
    page.fill("input[name=ended_on]", TODAY)
    _submit(page)
    assert "former-members" in page.content() and _fits(page, width)
    page.screenshot(path=str(artifacts / f"life-household-{width}.png"), full_page=True)
    assert Resident.objects.get(pk=ids["王芳"]).end_reason == ResidentEndReason.DIED

    # 2. Change of head
    page.goto(f"{base}/households/{h1.pk}/head/")
    assert _fits(page, width)
    page.select_option("select[name=new_head]", value=str(ids["张二"]))
    page.fill("input[name=reason]", "年迈")
    _submit(page)
    assert Resident.objects.get(pk=ids["张二"]).is_head and not Resident.objects.get(pk=ids["张三明"]).is_head

    # 3. Split: 张三 leaves to form A-101 (1 of 3 members: 8 / 3 = 2.66 points, cut to the cent)
    page.goto(f"{base}/scoring/households/{h1.pk}/split/")
    assert "split-rule" in page.content() and _fits(page, width)
    page.check(f"input[name=leaving][value='{ids['张三']}']")
    page.select_option("select[name=head]", value=str(ids["张三"]))
    page.fill("input[name=number]", "A-101")
    page.select_option("select[name=area]", index=1)
    page.fill("input[name=reason]", "子女成家分户")
    page.check("input[name=confirm]")
    _submit(page)
    assert "A-101" in page.inner_text("main") and _fits(page, width)
    with no_township_scope(), township_scope(world.a.township):
        new = Household.objects.get(number="A-101")
        assert new.members.current().get().name == "张三"
        assert Transfer.objects.get(credit__household=new).credit.points == Decimal("2.66")

    # 4. Merge A-002 (the other village) into A-001
    page.goto(f"{base}/scoring/households/{h1.pk}/merge/")
    assert _fits(page, width)
    page.fill("input[name=absorbed]", "A-002")
    page.fill("input[name=reason]", "合户")
    page.check("input[name=confirm]")
    _submit(page)
    assert _fits(page, width)
    with no_township_scope(), township_scope(world.a.township):
        assert Household.objects.get(number="A-002").status == HouseholdStatus.MERGED

    # the village's notice batch makes the moved points count (no point counts unseen)
    with no_township_scope(), township_scope(world.a.township):
        approve_through_notice(Entry.objects.filter(state=EntryState.PROPOSED))

    # 5. A-101 moves out of the township; its points go to A-001 first; the closing slip shows
    page.goto(f"{base}/scoring/households/{new.pk}/move-out/")
    assert "closing-balance" in page.content() and _fits(page, width)
    page.fill("input[name=transfer_to]", "A-001")
    page.fill("input[name=reason]", "迁往外省")
    page.check("input[name=confirm]")
    _submit(page)
    assert "slip-entries" in page.content() and _fits(page, width)
    page.screenshot(path=str(artifacts / f"life-closing-slip-{width}.png"), full_page=True)
    with no_township_scope(), township_scope(world.a.township):
        new.refresh_from_db()
        assert new.status == HouseholdStatus.CLOSED and not new.takes_part
        assert Transfer.objects.get(debit__household=new).credit.household.number == "A-001"
