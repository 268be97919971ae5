"""The units API under /api/v1/t/<township>/units/: reads, writes through the services, archive and restore, the
permission matrix (a member who may, members who may only read, an outsider), ids in bodies, and cheap lists."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from core.tenancy import dangerously_all_townships
from households.models import Unit, UnitKind
from tests.api_errors import refusal
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999  # beyond PostgreSQL's bigint


def url(name, township, *args, **query):
    slug = township if isinstance(township, str) else township.slug
    path = reverse(f"api:{name}", kwargs={"township_slug": slug, **({"pk": args[0]} if args else {})})
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


@pytest.fixture
def api():
    def _api(user, language="zh-hans"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(user)
        return client

    return _api


@pytest.fixture
def units(world):
    east = UnitFactory(
        village=world.a.villages[0], name="兴农合作社", contact_name="王建国", contact_mobile="13900000001"
    )
    west = UnitFactory(
        village=world.a.villages[1],
        name="西村小卖部",
        kind=UnitKind.INDIVIDUAL_BUSINESS,
        contact_name="李秀英",
        contact_mobile="13900000002",
    )
    UnitFactory(village=world.b.villages[0], name="b镇合作社")
    return east, west


def snapshot():
    with dangerously_all_townships():
        return sorted(
            Unit.objects.values_list(
                "pk",
                "township_id",
                "village_id",
                "name",
                "kind",
                "contact_name",
                "contact_mobile",
                "archived_at",
            )
        )


NEW = {
    "name": "东村超市",
    "kind": "individual_business",
    "contact_name": "孙丽",
    "contact_mobile": "13900000006",
}


# Reads ---------------------------------------------------------------------------------------------------------


def test_the_list_is_paginated_searchable_and_filtered(world, api, units):
    client = api(world.a.admin)

    everything = client.get(url("unit-list", world.a.township)).json()
    assert (everything["count"], everything["next"], everything["previous"]) == (2, None, None)
    assert [u["name"] for u in everything["results"]] == ["兴农合作社", "西村小卖部"]
    found = client.get(url("unit-list", world.a.township, search="李秀")).json()
    assert [u["name"] for u in found["results"]] == ["西村小卖部"]
    in_village = client.get(url("unit-list", world.a.township, village=world.a.villages[0].pk)).json()
    assert [u["name"] for u in in_village["results"]] == ["兴农合作社"]
    shops = client.get(url("unit-list", world.a.township, kind="individual_business")).json()
    assert [u["name"] for u in shops["results"]] == ["西村小卖部"]


def test_a_unit_reads_with_its_fields(world, api, units):
    body = api(world.a.admin).get(url("unit-detail", world.a.township, units[0].pk)).json()

    assert body == {
        "id": units[0].pk,
        "village": world.a.villages[0].pk,
        "name": "兴农合作社",
        "kind": "cooperative",
        "contact_name": "王建国",
        "contact_mobile": "13900000001",
        "address": "",
        "note": "",
        "is_archived": False,
        "archived_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_a_clerk_lists_only_the_units_of_their_villages_and_gets_404_for_the_others(world, api, units):
    client = api(world.a.clerk)

    assert [u["name"] for u in client.get(url("unit-list", world.a.township)).json()["results"]] == [
        "兴农合作社"
    ]
    assert client.get(url("unit-detail", world.a.township, units[1].pk)).status_code == 404
    assert client.get(url("unit-list", world.a.township, village=world.a.villages[1].pk)).status_code == 400


@pytest.mark.parametrize("role", ["supervisor", "county", "panel"])
def test_read_only_roles_read_masked_mobile_numbers(world, api, units, role):
    body = api(getattr(world.a, role)).get(url("unit-detail", world.a.township, units[0].pk)).json()

    assert body["contact_mobile"] == "139****0001"


def test_archived_units_are_listed_and_can_be_left_out(world, api, units):
    client = api(world.a.admin)
    client.post(url("unit-archive", world.a.township, units[0].pk), {"reason": "停业"}, format="json")

    every = [u["name"] for u in client.get(url("unit-list", world.a.township)).json()["results"]]
    active = [
        u["name"] for u in client.get(url("unit-list", world.a.township, archived="false")).json()["results"]
    ]
    archived = [
        u["name"] for u in client.get(url("unit-list", world.a.township, archived="true")).json()["results"]
    ]

    assert (every, active, archived) == (["兴农合作社", "西村小卖部"], ["西村小卖部"], ["兴农合作社"])


def test_the_list_makes_the_same_number_of_queries_for_3_or_40_units(
    world, api, units, django_assert_num_queries
):
    client = api(world.a.admin)
    client.get(url("unit-list", world.a.township))
    with CaptureQueriesContext(connection) as few:
        client.get(url("unit-list", world.a.township))
    for n in range(38):
        UnitFactory(village=world.a.villages[n % 2], name=f"商户{n:02d}")

    with django_assert_num_queries(len(few)):
        response = client.get(url("unit-list", world.a.township))

    assert response.json()["count"] == 40 and len(response.json()["results"]) == 40


# Writes --------------------------------------------------------------------------------------------------------


def test_a_clerk_creates_a_unit_in_their_village(world, api):
    response = api(world.a.clerk).post(
        url("unit-list", world.a.township), {**NEW, "village": world.a.villages[0].pk}, format="json"
    )

    assert response.status_code == 201
    unit = Unit.objects.get(pk=response.json()["id"])
    assert (unit.township, unit.village, unit.name, unit.contact_mobile) == (
        world.a.township, world.a.villages[0], "东村超市", "13900000006",
    )  # fmt: skip
    assert unit.history.get().history_user == world.a.clerk


def test_a_village_the_clerk_does_not_keep_or_of_another_township_does_not_exist_for_them(world, api):
    client = api(world.a.clerk)
    before = snapshot()

    for village in (world.a.villages[1], world.b.villages[0], HUGE):
        pk = village if village == HUGE else village.pk
        response = client.post(url("unit-list", world.a.township), {**NEW, "village": pk}, format="json")
        assert response.status_code == 400 and response.json()["field"] == "village"

    assert snapshot() == before


def test_a_duplicate_name_is_a_400_that_says_what_to_do(world, api, units):
    before = snapshot()

    response = api(world.a.admin).post(
        url("unit-list", world.a.township),
        {**NEW, "name": "兴农合作社", "village": world.a.villages[0].pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == refusal("duplicate", "本村已有名为“兴农合作社”的单位。", "name")
    assert snapshot() == before


def test_missing_fields_are_named_all_at_once(world, api):
    response = api(world.a.admin).post(url("unit-list", world.a.township), {"name": "无名"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"village", "kind", "contact_name", "contact_mobile"}


def test_a_partial_update_goes_through_the_service(world, api, units):
    east = units[0]
    response = api(world.a.clerk).patch(
        url("unit-detail", world.a.township, east.pk), {"contact_name": "王小明"}, format="json"
    )

    assert response.status_code == 200 and response.json()["contact_name"] == "王小明"
    east.refresh_from_db()
    assert east.contact_name == "王小明" and east.history.first().history_user == world.a.clerk


def test_a_clerk_cannot_move_a_unit_to_a_village_they_do_not_keep(world, api, units):
    before = snapshot()

    response = api(world.a.clerk).patch(
        url("unit-detail", world.a.township, units[0].pk), {"village": world.a.villages[1].pk}, format="json"
    )

    assert response.status_code == 400 and response.json()["field"] == "village"
    assert snapshot() == before


def test_archive_and_restore_actions(world, api, units):
    client = api(world.a.clerk)
    east = units[0]

    no_reason = client.post(url("unit-archive", world.a.township, east.pk), {}, format="json")
    archived = client.post(url("unit-archive", world.a.township, east.pk), {"reason": "停业"}, format="json")
    again = client.post(url("unit-archive", world.a.township, east.pk), {"reason": "再次"}, format="json")
    changed = client.patch(url("unit-detail", world.a.township, east.pk), {"note": "x"}, format="json")

    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    assert archived.status_code == 200 and archived.json()["is_archived"] is True
    assert (again.status_code, again.json()["code"]) == (400, "illegal_state")
    assert (changed.status_code, changed.json()["code"]) == (400, "archived")
    east.refresh_from_db()
    assert east.is_archived and east.note == ""

    restored = client.post(url("unit-restore", world.a.township, east.pk), format="json")
    assert restored.status_code == 200 and restored.json()["is_archived"] is False
    assert client.post(url("unit-restore", world.a.township, east.pk)).json()["code"] == "illegal_state"


def test_units_are_never_deleted_nor_replaced_whole(world, api, units):
    client = api(world.a.admin)
    before = snapshot()

    assert client.delete(url("unit-detail", world.a.township, units[0].pk)).status_code == 405
    assert (
        client.put(url("unit-detail", world.a.township, units[0].pk), NEW, format="json").status_code == 405
    )
    assert snapshot() == before


@pytest.mark.parametrize("role", ["supervisor", "county", "panel"])
def test_read_only_roles_get_403_on_every_write_and_nothing_changes(world, api, units, role):
    client = api(getattr(world.a, role))
    east = units[0]
    before = snapshot()

    answers = [
        client.post(
            url("unit-list", world.a.township), {**NEW, "village": world.a.villages[0].pk}, format="json"
        ),
        client.patch(url("unit-detail", world.a.township, east.pk), {"note": "x"}, format="json"),
        client.post(url("unit-archive", world.a.township, east.pk), {"reason": "停业"}, format="json"),
        client.post(url("unit-restore", world.a.township, east.pk), format="json"),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    assert snapshot() == before


def test_a_member_of_another_township_gets_404_for_every_unit_route(world, api, units):
    client = api(world.b.admin)
    east = units[0]
    before = snapshot()

    answers = [
        client.get(url("unit-list", world.a.township)),
        client.get(url("unit-detail", world.a.township, east.pk)),
        client.get(url("unit-detail", world.b.township, east.pk)),
        client.patch(url("unit-detail", world.b.township, east.pk), {"note": "x"}, format="json"),
        client.post(url("unit-archive", world.b.township, east.pk), {"reason": "x"}, format="json"),
        client.post(url("unit-archive", world.a.township, east.pk), {"reason": "x"}, format="json"),
    ]

    assert [answer.status_code for answer in answers] == [404] * 6
    assert snapshot() == before


# The OpenAPI schema ----------------------------------------------------------------------------------------------


def test_the_schema_documents_the_unit_routes_filters_and_actions(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    prefix = "/api/v1/t/{township_slug}/"
    routes = {
        (path.removeprefix(prefix), method)
        for path, item in schema["paths"].items()
        for method in item
        if path.startswith(prefix + "units/")
    }

    assert routes == {
        ("units/", "get"),
        ("units/", "post"),
        ("units/{id}/", "get"),
        ("units/{id}/", "patch"),
        ("units/{id}/archive/", "post"),
        ("units/{id}/restore/", "post"),
    }
    listing = schema["paths"][prefix + "units/"]["get"]
    assert {"village", "kind", "archived", "search", "ordering", "page", "page_size"} <= {
        parameter["name"] for parameter in listing["parameters"]
    }
    archive = schema["paths"][prefix + "units/{id}/archive/"]["post"]
    assert archive["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UnitArchive"
    }
    assert archive["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Unit"
    }
    assert {"400", "403", "404"} <= set(archive["responses"])
