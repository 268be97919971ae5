"""The demonstration pages at both levels: the journey's pages render, refusals are shown, 403 for readers,
404 across townships and regions (nothing changes on a denial)."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from demonstration import services
from demonstration.models import Application, ApplicationState, Call
from tests.demonstration.conftest import (
    AFTER_APPLICATIONS,
    APPLY_DAY,
    PDF,
    ShopParticipation,
    form_file,
    region_member,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def t_page(township, rest=""):
    return f"/t/{township.slug}/demonstration/{rest}"


def r_page(region, rest=""):
    return f"/r/{region.slug}/demonstration/{rest}"


def test_the_township_office_applies_from_the_page_and_sees_the_figures_kept(programme, login, world):
    p = programme
    call = p.call()
    client = login(world.a.admin)
    home = client.get(t_page(world.a.township))
    assert home.status_code == 200 and call.title in home.content.decode()
    with time_machine.travel(APPLY_DAY, tick=False):
        page = client.get(t_page(world.a.township, f"calls/{call.pk}/apply/"))
        assert page.status_code == 200
        assert "35.50 % of residents" in page.content.decode()
        response = client.post(
            t_page(world.a.township, f"calls/{call.pk}/apply/"),
            {"village": p.villages["a西村"].pk, "statement": "积分超市", "form": form_file()},
        )
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == t_page(
        world.a.township, f"applications/{application.pk}/"
    )
    detail = client.get(response["Location"]).content.decode()
    assert "a西村" in detail and "35.50 % of residents" in detail and "Publish in the township" in detail
    download = client.get(t_page(world.a.township, f"applications/{application.pk}/form/"))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"


def test_an_application_under_the_threshold_is_refused_on_the_page(programme, login, world):
    p = programme
    call = p.call()
    p.shares[p.villages["a东村"].pk] = ShopParticipation(D("30"), D("18"))
    with time_machine.travel(APPLY_DAY, tick=False):
        response = login(world.a.admin).post(
            t_page(world.a.township, f"calls/{call.pk}/apply/"),
            {"village": p.villages["a东村"].pk, "form": form_file()},
        )
    assert response.status_code == 200
    assert (
        "Supermarket participation of a东村 is 18 % of its residents; the call requires at least 30 %."
        in (response.content.decode())
    )
    assert not Application.objects.exists()


def test_another_township_gets_404_on_every_application_page(programme, login, world):
    p = programme
    call = p.call()
    application = p.apply(call, "a东村")
    client = login(world.b.admin)
    for rest in (f"applications/{application.pk}/", f"applications/{application.pk}/form/"):
        assert client.get(t_page(world.b.township, rest)).status_code == 404
        assert client.get(t_page(world.a.township, rest)).status_code == 404
    with time_machine.travel(APPLY_DAY, tick=False):
        moved = client.post(
            t_page(world.b.township, f"applications/{application.pk}/move/"), {"move": "publish"}
        )
    assert moved.status_code == 404
    assert call.title in client.get(t_page(world.b.township)).content.decode()  # same city: B sees the call
    assert "a东村" not in client.get(t_page(world.b.township)).content.decode()
    assert Application.objects.get().state == ApplicationState.SUBMITTED


def test_a_clerk_sees_only_their_villages_and_a_supervisor_cannot_move(programme, login, world):
    p = programme
    call = p.call()
    other_village = p.apply(call, "a西村")
    clerk = login(world.a.clerk)
    assert clerk.get(t_page(world.a.township, f"applications/{other_village.pk}/")).status_code == 404
    supervisor = login(world.a.supervisor)
    page = supervisor.get(t_page(world.a.township, f"applications/{other_village.pk}/"))
    assert page.status_code == 200 and "Publish in the township" not in page.content.decode()
    with time_machine.travel(APPLY_DAY, tick=False):
        moved = supervisor.post(
            t_page(world.a.township, f"applications/{other_village.pk}/move/"), {"move": "publish"}
        )
    assert moved.status_code == 403
    assert supervisor.get(t_page(world.a.township, f"calls/{call.pk}/apply/")).status_code == 403
    assert Application.objects.get().state == ApplicationState.SUBMITTED


def test_the_county_preselects_on_the_call_page_and_is_told_the_limit(programme, login, world):
    p = programme
    call = p.call(preselect_limit=1)
    first, second = (p.forward(p.apply(call, name)) for name in ["a东村", "c北村"])
    west = p.forward(p.apply(call, "b东村"))
    client = login(p.east_officer)
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")
        page = client.get(r_page(p.east, f"calls/{call.pk}/")).content.decode()
        assert "a东村" in page and "c北村" in page and "b东村" not in page
        assert "Pre-select" in page
        client.post(r_page(p.east, f"applications/{first.pk}/move/"), {"move": "preselect"})
        response = client.post(
            r_page(p.east, f"applications/{second.pk}/move/"), {"move": "preselect"}, follow=True
        )
    assert "东县 has already pre-selected 1 villages for this call; the limit is 1 per county." in (
        response.content.decode()
    )
    assert Application.objects.get(pk=first.pk).state == ApplicationState.PRESELECTED
    assert Application.objects.get(pk=second.pk).state == ApplicationState.FORWARDED
    city_page = login(p.city_officer).get(r_page(p.city, f"calls/{call.pk}/")).content.decode()
    assert "a东村" in city_page and "b东村" in city_page
    assert "东县: 1 of at most 1 pre-selected" in city_page
    # Another county's officer and a township user are outsiders here.
    assert login(p.west_officer).get(r_page(p.west, f"applications/{first.pk}/")).status_code == 404
    assert login(p.west_officer).get(r_page(p.east, f"calls/{call.pk}/")).status_code == 404
    assert login(world.a.admin).get(r_page(p.east)).status_code == 404
    assert login(p.east_officer).get(r_page(p.east, f"applications/{west.pk}/form/")).status_code == 404


def test_a_county_viewer_reads_but_cannot_act(programme, login):
    p = programme
    call = p.call()
    application = p.forward(p.apply(call, "a东村"))
    client = login(p.east_viewer)
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")
        page = client.get(r_page(p.east, f"applications/{application.pk}/"))
        moved = client.post(r_page(p.east, f"applications/{application.pk}/move/"), {"move": "preselect"})
    assert page.status_code == 200 and "Pre-select" not in page.content.decode()
    assert moved.status_code == 403
    assert client.get(r_page(p.east, "calls/new/")).status_code == 403
    assert Application.objects.get().state == ApplicationState.FORWARDED


def test_the_city_opens_a_call_from_the_page(programme, login):
    p = programme
    client = login(p.city_officer)
    assert client.get(r_page(p.city, "calls/new/")).status_code == 200
    response = client.post(
        r_page(p.city, "calls/new/"),
        {
            "title": "示范村评选",
            "year": 2026,
            "budget": "500000",
            "villages_wanted": 10,
            "preselect_limit": 3,
            "min_shop_share": "30",
            "round_grace_days": 15,
            "notice_days": 5,
            "applications_open_on": "2026-07-22",
            "applications_close_on": "2026-08-05",
            "preselection_ends_on": "2026-08-12",
            "selection_ends_on": "2026-08-31",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "示范村评选" in page and "Open for applications" in page
    assert Call.objects.get(title="示范村评选").notice_days == 5
    opened = client.post(response["Location"] + "move/", {"move": "open"}, follow=True).content.decode()
    assert "The call is now Taking applications" in opened


def test_the_pages_and_refusals_are_in_chinese(programme, login, world, settings):
    p = programme
    call = p.call()
    p.shares[p.villages["a东村"].pk] = ShopParticipation(D("30"), D("18"))
    client = login(world.a.admin)
    with translation.override("zh-hans"), time_machine.travel(APPLY_DAY, tick=False):
        home = client.get(t_page(world.a.township), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        refused = client.post(
            t_page(world.a.township, f"calls/{call.pk}/apply/"),
            {"village": p.villages["a东村"].pk, "form": form_file()},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        ).content.decode()
    assert "示范村" in home and "申报中" in home and "积分兑换人数比例至少" in home
    assert "a东村 的积分兑换人数占本村总人数的 18%，本通知要求至少 30%。" in refused


def test_a_county_officer_finds_the_region_from_the_home_page(programme, login):
    p = programme
    page = login(p.east_officer).get("/").content.decode()
    assert f'href="/r/{p.east.slug}/demonstration/"' in page and "东县" in page


def test_the_site_staff_set_up_regions_in_the_admin_and_see_the_trail(programme, client):
    p = programme
    application = p.apply(p.call(), "a东村")
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(staff)
    for url in (
        "/admin/demonstration/region/",
        f"/admin/demonstration/region/{p.east.pk}/change/",
        "/admin/demonstration/regionmembership/",
        "/admin/demonstration/call/",
        f"/admin/demonstration/application/{application.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url


def test_a_county_officer_who_is_also_a_village_clerk_works_at_both_levels(programme, login, world):
    """Region pages run outside any township scope: the clerk's villages are still read where they belong."""
    from households.models import Role
    from tests.factories import MembershipFactory

    p = programme
    MembershipFactory(
        user=p.east_officer,
        township=world.a.township,
        role=Role.VILLAGE_CLERK,
        villages=[p.villages["a东村"]],
    )
    call = p.call()
    application = p.forward(p.apply(call, "a东村", user=p.east_officer))
    client = login(p.east_officer)
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")
        assert "Pre-select" in client.get(r_page(p.east, f"calls/{call.pk}/")).content.decode()
        assert client.get(r_page(p.east, f"applications/{application.pk}/")).status_code == 200
        client.post(r_page(p.east, f"applications/{application.pk}/move/"), {"move": "preselect"})
        assert client.get(t_page(world.a.township, f"applications/{application.pk}/")).status_code == 200
    assert Application.objects.get().state == ApplicationState.PRESELECTED


def test_the_call_page_costs_the_same_queries_for_one_or_five_applications(programme, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    p = programme
    small, big = p.call(title="一个村"), p.call(title="五个村")
    p.forward(p.apply(small, "a东村"))
    for name in ["a东村", "a西村", "c北村", "c南村", "b东村"]:
        p.forward(p.apply(big, name))
    client = login(p.city_officer)

    def count(call):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(r_page(p.city, f"calls/{call.pk}/")).status_code == 200
        return len(queries)

    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        assert count(small) == count(big)
