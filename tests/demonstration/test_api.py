"""The demonstration API at both levels: wiring, refusals as 400 with the reason, 403 for readers, 404 across
townships and regions (nothing changes on a denial)."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from demonstration import services
from demonstration.models import Application, ApplicationState, Call, CallState
from tests.api_errors import fields, invalid, refusal
from tests.demonstration.conftest import (
    AFTER_APPLICATIONS,
    APPLICATION_NOTICE_OVER,
    APPLY_DAY,
    ShopParticipation,
    form_file,
    region_member,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def t_url(township, rest=""):
    return f"/api/v1/t/{township.slug}/demonstration/{rest}"


def r_url(region, rest=""):
    return f"/api/v1/r/{region.slug}/demonstration/{rest}"


def post_apply(client, township, call, village, **extra):
    with time_machine.travel(APPLY_DAY, tick=False):
        return client.post(
            t_url(township, "applications/"),
            {"call": call.pk, "village": village.pk, "statement": "积分超市", "form": form_file(), **extra},
            HTTP_ACCEPT_LANGUAGE="en",
        )


def test_a_village_applies_with_its_form_and_figures_through_the_api(programme, login, world):
    p = programme
    call = p.call()
    response = post_apply(login(world.a.admin), world.a.township, call, p.villages["a东村"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "submitted"
    assert body["village_name"] == "a东村"
    assert body["shop_resident_share"] == "35.50"
    assert body["households_eligible"] == 1 and body["participation_share"] == "100.0"
    assert [m["move"] for m in body["trail"]] == ["apply"]
    calls = login(world.a.admin).get(t_url(world.a.township, "calls/")).json()
    assert [c["title"] for c in calls["results"]] == [call.title]


def test_an_application_under_the_threshold_is_a_400_that_says_the_figure(programme, login, world):
    p = programme
    call = p.call()
    p.shares[p.villages["a东村"].pk] = ShopParticipation(D("20"), D("12.5"))
    response = post_apply(login(world.a.admin), world.a.township, call, p.villages["a东村"])
    assert response.status_code == 400
    assert response.json() == invalid(
        {
            "village": [
                "Supermarket participation of a东村 is 12.50 % of its residents; the call requires at least 30 %."
            ]
        },
        code="below_threshold",
    )
    assert not Application.objects.exists()


def test_a_file_that_is_not_a_form_is_refused(programme, login, world):
    p = programme
    call = p.call()
    with time_machine.travel(APPLY_DAY, tick=False):
        response = login(world.a.admin).post(
            t_url(world.a.township, "applications/"),
            {
                "call": call.pk,
                "village": p.villages["a东村"].pk,
                "form": form_file("form.pdf", b"<html>hi</html>"),
            },
        )
    assert response.status_code == 400
    assert "is not a PDF, a Word document" in response.json()["errors"]["form"][0]


def test_a_clerk_applies_only_for_their_village_and_cannot_publish(programme, login, world):
    p = programme
    call = p.call()
    client = login(world.a.clerk)
    refused = post_apply(client, world.a.township, call, p.villages["a西村"])
    assert refused.status_code == 400 and "village" in fields(refused)
    made = post_apply(client, world.a.township, call, p.villages["a东村"])
    assert made.status_code == 201
    with time_machine.travel(APPLY_DAY, tick=False):
        response = client.post(
            t_url(world.a.township, f"applications/{made.json()['id']}/move/"), {"move": "publish"}
        )
    assert response.status_code == 403
    assert Application.objects.get().state == ApplicationState.SUBMITTED


def test_another_township_cannot_read_or_review_an_application(programme, login, world):
    p = programme
    call = p.call()
    application = p.apply(call, "a东村")
    client = login(world.b.admin)
    assert client.get(t_url(world.b.township, f"applications/{application.pk}/")).status_code == 404
    assert client.get(t_url(world.a.township, f"applications/{application.pk}/")).status_code == 404
    with time_machine.travel(APPLY_DAY, tick=False):
        moved = client.post(
            t_url(world.b.township, f"applications/{application.pk}/move/"), {"move": "publish"}
        )
    assert moved.status_code == 404
    assert client.get(t_url(world.b.township, "applications/")).json()["results"] == []
    assert Application.objects.get().state == ApplicationState.SUBMITTED


def test_a_supervisor_reads_the_applications_but_cannot_move_them(programme, login, world):
    p = programme
    call = p.call()
    application = p.apply(call, "a东村")
    client = login(world.a.supervisor)
    assert [a["id"] for a in client.get(t_url(world.a.township, "applications/")).json()["results"]] == [
        application.pk
    ]
    with time_machine.travel(APPLY_DAY, tick=False):
        moved = client.post(
            t_url(world.a.township, f"applications/{application.pk}/move/"), {"move": "publish"}
        )
    assert moved.status_code == 403
    assert Application.objects.get().state == ApplicationState.SUBMITTED


def test_the_township_publishes_and_forwards_through_the_api(programme, login, world):
    p = programme
    call = p.call()
    application = p.apply(call, "a东村")
    client = login(world.a.admin)
    url = t_url(world.a.township, f"applications/{application.pk}/move/")
    with time_machine.travel(APPLY_DAY, tick=False):
        assert client.post(url, {"move": "publish"}).status_code == 200
    with time_machine.travel(APPLICATION_NOTICE_OVER, tick=False):
        body = client.post(url, {"move": "forward"}).json()
        again = client.post(url, {"move": "forward"})
    assert body["state"] == "forwarded"
    assert again.status_code == 400 and "is not possible now" in again.json()["errors"]["non_field_errors"][0]


def test_counties_see_their_own_townships_and_the_city_sees_all(programme, login, world):
    p = programme
    call = p.call()
    east = [p.forward(p.apply(call, name)) for name in ["a东村", "c北村"]]
    west = p.forward(p.apply(call, "b东村"))
    names = lambda user, region: sorted(  # noqa: E731
        a["village_name"] for a in login(user).get(r_url(region, "applications/")).json()["results"]
    )
    assert names(p.east_officer, p.east) == ["a东村", "c北村"]
    assert names(p.west_officer, p.west) == ["b东村"]
    assert names(p.city_officer, p.city) == ["a东村", "b东村", "c北村"]
    client = login(p.west_officer)
    assert client.get(r_url(p.west, f"applications/{east[0].pk}/")).status_code == 404
    assert client.get(r_url(p.east, f"applications/{east[0].pk}/")).status_code == 404  # not their region
    assert login(p.east_officer).get(r_url(p.east, f"applications/{west.pk}/")).status_code == 404
    # A township user is an outsider at the county.
    assert login(world.a.admin).get(r_url(p.east, "applications/")).status_code == 404


def test_county_preselection_over_the_api_with_the_limit_and_readers(programme, login, world):
    p = programme
    call = p.call(preselect_limit=1)
    first, second = (p.forward(p.apply(call, name)) for name in ["a东村", "c北村"])
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")
        viewer = login(p.east_viewer).post(
            r_url(p.east, f"applications/{first.pk}/move/"), {"move": "preselect"}
        )
        assert viewer.status_code == 403
        west = login(p.west_officer).post(
            r_url(p.west, f"applications/{first.pk}/move/"), {"move": "preselect"}
        )
        assert west.status_code == 404
        client = login(p.east_officer)
        ok = client.post(r_url(p.east, f"applications/{first.pk}/move/"), {"move": "preselect"})
        over = client.post(r_url(p.east, f"applications/{second.pk}/move/"), {"move": "preselect"})
        city = login(p.city_officer).post(
            r_url(p.city, f"applications/{second.pk}/move/"), {"move": "preselect"}
        )
    assert ok.status_code == 200 and ok.json()["state"] == "preselected"
    assert over.status_code == 400
    assert over.json() == refusal(
        over.json()["code"],
        "东县 has already pre-selected 1 villages for this call; the limit is 1 per county.",
    )
    assert city.status_code == 403  # the city sees it, but pre-selection is the county's
    assert Application.objects.get(pk=second.pk).state == ApplicationState.FORWARDED


def test_officers_open_and_move_their_own_calls_only(programme, login, world):
    p = programme
    body = {
        "title": "示范村评选",
        "year": 2026,
        "budget": "500000",
        "villages_wanted": 10,
        "applications_open_on": "2026-07-22",
        "applications_close_on": "2026-08-05",
        "preselection_ends_on": "2026-08-12",
        "selection_ends_on": "2026-08-31",
    }
    created = login(p.city_officer).post(r_url(p.city, "calls/"), body, content_type="application/json")
    assert created.status_code == 201, created.content
    call_id = created.json()["id"]
    assert created.json()["state"] == "draft" and created.json()["preselect_limit"] == 3
    bad = login(p.city_officer).post(
        r_url(p.city, "calls/"),
        {**body, "preselection_ends_on": "2026-08-01"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert (
        login(p.east_viewer).post(r_url(p.east, "calls/"), body, content_type="application/json").status_code
        == 403
    )
    # The county sees its city's call but does not move it; another county's member … sees it too (same city).
    county = login(p.east_officer).post(r_url(p.east, f"calls/{call_id}/move/"), {"move": "open"})
    assert county.status_code == 403
    assert (
        login(world.a.admin).post(r_url(p.city, f"calls/{call_id}/move/"), {"move": "open"}).status_code
        == 404
    )
    opened = login(p.city_officer).post(r_url(p.city, f"calls/{call_id}/move/"), {"move": "open"})
    assert opened.status_code == 200 and opened.json()["state"] == "open"
    assert [m["move"] for m in opened.json()["trail"]] == ["open"]
    assert Call.objects.get(pk=call_id).state == CallState.OPEN


def test_a_county_call_is_not_seen_by_another_county(programme, login):
    p = programme
    call = p.call(region=p.west)
    assert login(p.east_officer).get(r_url(p.east, f"calls/{call.pk}/")).status_code == 404
    assert login(p.west_officer).get(r_url(p.west, f"calls/{call.pk}/")).status_code == 200
    assert login(p.city_officer).get(r_url(p.city, f"calls/{call.pk}/")).status_code == 200
