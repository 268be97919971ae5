"""The roster API under /api/v1/t/<township>/: CRUD, the permission matrix, tenancy, ids in bodies, auth, queries."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.test import APIClient

from core.api import Pagination, exception_handler
from core.errors import DomainError
from core.tenancy import dangerously_all_townships
from households.models import Area, Household, HouseholdMove, Resident, Village
from tests.api_errors import error, fields, invalid, refusal
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999  # beyond PostgreSQL's bigint


def url(name, township, *args, **query):
    slug = township if isinstance(township, str) else township.slug
    path = reverse(f"api:{name}", kwargs={"township_slug": slug, **({"pk": args[0]} if args else {})})
    if query:
        path += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return path


def roster_snapshot():
    """Everything a write could change, in every township."""
    with dangerously_all_townships():
        return (
            list(Village.objects.order_by("pk").values_list("pk", "township_id", "name", "code")),
            list(Area.objects.order_by("pk").values_list("pk", "village_id", "name")),
            list(
                Household.objects.order_by("pk").values_list(
                    "pk",
                    "village_id",
                    "area_id",
                    "number",
                    "address",
                    "participation",
                    "participation_reason",
                )
            ),
            list(
                Resident.objects.order_by("pk").values_list(
                    "pk", "household_id", "name", "is_head", "gender", "birth_year", "id_number", "mobile"
                )
            ),
            HouseholdMove.objects.count(),
        )


@pytest.fixture
def api():
    """An API client logged in (session) as the given user; CSRF is not enforced here (see the CSRF test)."""

    def _api(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return _api


def other_resident(world):
    """The head of household A-002 (village 1 of township A)."""
    return Resident.objects.get(household=world.a.households[1])


# Reads ---------------------------------------------------------------------------------------------------------


def test_admin_lists_the_villages_of_their_township_only(world, api):
    response = api(world.a.admin).get(url("village-list", world.a.township))

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert [(v["name"], v["code"]) for v in response.json()["results"]] == [("a东村", ""), ("a西村", "")]


def test_household_list_shows_village_area_head_members_and_participation(world, api):
    response = api(world.a.admin).get(url("household-list", world.a.township))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    v0, a0, h0, r0 = world.a.villages[0], world.a.areas[0], world.a.households[0], world.a.resident
    assert first["number"] == "A-001"
    assert first["village"] == v0.pk
    assert first["area"] == a0.pk
    assert first["head_name"] == "张三明"
    assert first["participation"] == "taking_part"
    assert first["takes_part"] is True
    assert first["members"] == [
        {
            "id": r0.pk,
            "household": h0.pk,
            "name": "张三明",
            "is_head": True,
            "gender": "",
            "birth_year": None,
            "id_number": "11010519491231002X",
            "mobile": "13800138000",
            "is_party_member": False,
        }
    ]
    assert "head" not in first  # write-only


def test_clerk_sees_only_the_households_of_their_village(world, api):
    response = api(world.a.clerk).get(url("household-list", world.a.township))

    assert [h["number"] for h in response.json()["results"]] == ["A-001"]


def test_clerk_gets_404_for_objects_of_another_village_of_their_own_township(world, api):
    client = api(world.a.clerk)
    v1, a1, h1, r1 = world.a.villages[1], world.a.areas[1], world.a.households[1], other_resident(world)
    before = roster_snapshot()

    assert client.get(url("village-detail", world.a.township, v1.pk)).status_code == 404
    assert client.get(url("area-detail", world.a.township, a1.pk)).status_code == 404
    assert client.get(url("household-detail", world.a.township, h1.pk)).status_code == 404
    assert client.get(url("resident-detail", world.a.township, r1.pk)).status_code == 404
    assert client.patch(url("area-detail", world.a.township, a1.pk), {"name": "x"}).status_code == 404
    assert client.patch(url("household-detail", world.a.township, h1.pk), {"address": "x"}).status_code == 404
    assert client.patch(url("resident-detail", world.a.township, r1.pk), {"name": "x"}).status_code == 404
    assert client.delete(url("resident-detail", world.a.township, r1.pk, reason="x")).status_code == 404
    move = {"to_area": world.a.areas[0].pk, "reason": "x"}
    assert client.post(url("household-move", world.a.township, h1.pk), move).status_code == 404
    assert roster_snapshot() == before


def test_panel_member_gets_404_not_403_when_writing_to_a_village_they_cannot_see(world, api):
    client = api(world.a.panel)
    before = roster_snapshot()

    seen = client.patch(url("household-detail", world.a.township, world.a.households[0].pk), {"address": "x"})
    unseen = client.patch(
        url("household-detail", world.a.township, world.a.households[1].pk), {"address": "x"}
    )

    assert (seen.status_code, unseen.status_code) == (403, 404)
    assert roster_snapshot() == before


def test_list_filters_by_village_area_participation_and_search(world, api):
    client = api(world.a.admin)
    v0, v1 = world.a.villages
    a0, a1 = world.a.areas
    h1 = world.a.households[1]
    h1.participation, h1.participation_reason = "opted_out", "外出务工"
    h1.save()

    def numbers(**query):
        response = client.get(url("household-list", world.a.township, **query))
        assert response.status_code == 200, response.content
        return [h["number"] for h in response.json()["results"]]

    assert numbers(village=v1.pk) == ["A-002"]
    assert numbers(area=a0.pk) == ["A-001"]
    assert numbers(participation="opted_out") == ["A-002"]
    assert numbers(search="李四") == ["A-002"]  # a member's name
    assert numbers(search="A-001") == ["A-001"]  # the number
    assert numbers(ordering="-number") == ["A-002", "A-001"]
    areas = client.get(url("area-list", world.a.township, village=v1.pk)).json()["results"]
    assert [(a["id"], a["village"]) for a in areas] == [(a1.pk, v1.pk)]
    residents = client.get(url("resident-list", world.a.township, household=h1.pk)).json()["results"]
    assert [r["name"] for r in residents] == ["李四"]


# Writes: happy paths -------------------------------------------------------------------------------------------


def test_admin_creates_and_renames_a_village(world, api):
    client = api(world.a.admin)

    created = client.post(
        url("village-list", world.a.township), {"name": "a南村", "code": "003"}, format="json"
    )
    assert created.status_code == 201, created.content
    village = Village.objects.get(pk=created.json()["id"])
    assert created.json() == {"id": village.pk, "name": "a南村", "code": "003"}
    assert village.township == world.a.township

    renamed = client.patch(
        url("village-detail", world.a.township, village.pk), {"name": "a北村"}, format="json"
    )
    assert renamed.json() == {"id": village.pk, "name": "a北村", "code": "003"}
    village.refresh_from_db()
    assert (village.name, village.code) == ("a北村", "003")
    assert village.history.first().history_user == world.a.admin


def test_duplicate_village_name_is_a_400_on_the_field_and_nothing_is_written(world, api):
    before = roster_snapshot()

    response = api(world.a.admin).post(
        url("village-list", world.a.township), {"name": "a东村"}, format="json"
    )

    assert response.status_code == 400
    assert roster_snapshot() == before


def test_clerk_creates_an_area_in_their_village_and_renames_it(world, api):
    client = api(world.a.clerk)
    v0 = world.a.villages[0]

    created = client.post(
        url("area-list", world.a.township), {"village": v0.pk, "name": "二组"}, format="json"
    )
    assert created.status_code == 201, created.content
    area = Area.objects.get(pk=created.json()["id"])
    assert (area.village, area.name, area.township) == (v0, "二组", world.a.township)

    renamed = client.patch(url("area-detail", world.a.township, area.pk), {"name": "三组"}, format="json")
    assert renamed.json() == {"id": area.pk, "village": v0.pk, "name": "三组"}


def test_an_area_cannot_change_village(world, api):
    area = world.a.areas[0]
    before = roster_snapshot()

    response = api(world.a.admin).patch(
        url("area-detail", world.a.township, area.pk), {"village": world.a.villages[1].pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == invalid({"village": ["An area cannot change village; create a new area."]})
    assert roster_snapshot() == before


def test_clerk_creates_a_household_with_its_head(world, api):
    client = api(world.a.clerk)
    v0, a0 = world.a.villages[0], world.a.areas[0]
    body = {
        "area": a0.pk,
        "number": " A-003 ",
        "address": "幸福路3号",
        "participation": "opted_out",
        "participation_reason": "外出务工",
        "head": {"name": "王五", "gender": "male", "birth_year": 1970, "mobile": "13912345678"},
    }

    response = client.post(url("household-list", world.a.township), body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["number"], data["village"], data["area"], data["head_name"]) == (
        "A-003",
        v0.pk,
        a0.pk,
        "王五",
    )
    assert (data["participation"], data["takes_part"]) == ("opted_out", False)
    household = Household.objects.get(pk=data["id"])
    assert (household.township, household.village, household.area) == (world.a.township, v0, a0)
    head = household.members.get()
    assert (head.name, head.is_head, head.gender, head.birth_year, head.mobile) == (
        "王五",
        True,
        "male",
        1970,
        "13912345678",
    )
    assert household.history.first().history_user == world.a.clerk


def test_household_not_taking_part_needs_a_reason(world, api):
    before = roster_snapshot()
    body = {"area": world.a.areas[0].pk, "number": "A-003", "participation": "opted_out"}

    response = api(world.a.admin).post(url("household-list", world.a.township), body, format="json")

    assert response.status_code == 400
    assert fields(response) == {"participation_reason"}
    assert roster_snapshot() == before


def test_household_with_a_bad_head_id_number_writes_nothing(world, api):
    before = roster_snapshot()
    body = {
        "area": world.a.areas[0].pk,
        "number": "A-003",
        "head": {"name": "王五", "id_number": "110105194912310021"},
    }

    response = api(world.a.admin).post(url("household-list", world.a.township), body, format="json")

    assert response.status_code == 400
    assert fields(response) == {"head.id_number"}
    assert response.json()["field"] == "head.id_number"
    assert roster_snapshot() == before


def test_clerk_edits_a_household(world, api):
    household = world.a.households[0]

    response = api(world.a.clerk).patch(
        url("household-detail", world.a.township, household.pk),
        {"address": "幸福路10号", "participation": "elderly_opted_in"},
        format="json",
    )

    assert response.status_code == 200, response.content
    household.refresh_from_db()
    assert (household.address, household.participation) == ("幸福路10号", "elderly_opted_in")
    assert response.json()["head_name"] == "张三明"
    assert household.history.first().history_user == world.a.clerk


def test_household_area_changes_only_through_the_move_action(world, api):
    household = world.a.households[0]
    before = roster_snapshot()

    response = api(world.a.admin).patch(
        url("household-detail", world.a.township, household.pk), {"area": world.a.areas[1].pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == invalid({"area": ["To change a household's area, use its move action."]})
    assert roster_snapshot() == before


def test_move_records_a_household_move_and_changes_village(world, api):
    household = world.a.households[0]
    v0, v1 = world.a.villages
    a0, a1 = world.a.areas

    response = api(world.a.admin).post(
        url("household-move", world.a.township, household.pk),
        {"to_area": a1.pk, "reason": "搬到西村"},
        format="json",
    )

    assert response.status_code == 201, response.content
    move = HouseholdMove.objects.get(household=household)
    assert (move.from_village, move.from_area, move.to_village, move.to_area) == (v0, a0, v1, a1)
    assert (move.reason, move.moved_by) == ("搬到西村", world.a.admin)
    assert response.json()["id"] == move.pk
    assert (response.json()["from_area"], response.json()["to_area"]) == (a0.pk, a1.pk)
    household.refresh_from_db()
    assert (household.village, household.area) == (v1, a1)


def test_move_to_the_same_area_or_without_reason_is_refused(world, api):
    client = api(world.a.admin)
    household = world.a.households[0]
    before = roster_snapshot()
    move_url = url("household-move", world.a.township, household.pk)

    same = client.post(move_url, {"to_area": world.a.areas[0].pk, "reason": "x"}, format="json")
    no_reason = client.post(move_url, {"to_area": world.a.areas[1].pk, "reason": ""}, format="json")

    assert (same.status_code, fields(same)) == (400, {"to_area"})
    assert (no_reason.status_code, fields(no_reason)) == (400, {"reason"})
    assert roster_snapshot() == before


def test_clerk_cannot_move_a_household_into_a_village_that_is_not_theirs(world, api):
    household = world.a.households[0]
    before = roster_snapshot()

    response = api(world.a.clerk).post(
        url("household-move", world.a.township, household.pk),
        {"to_area": world.a.areas[1].pk, "reason": "搬迁"},
        format="json",
    )

    assert response.status_code == 400
    assert fields(response) == {"to_area"}
    assert (response.json()["code"], response.json()["field"]) == ("does_not_exist", "to_area")
    assert "does not exist" in response.json()["detail"]
    assert roster_snapshot() == before


def test_clerk_adds_edits_and_removes_a_resident(world, api):
    client = api(world.a.clerk)
    household = world.a.households[0]

    added = client.post(
        url("resident-list", world.a.township),
        {"household": household.pk, "name": "张小明", "gender": "male", "birth_year": 2010},
        format="json",
    )
    assert added.status_code == 201, added.content
    resident = Resident.objects.get(pk=added.json()["id"])
    assert (resident.household, resident.name, resident.is_head, resident.birth_year) == (
        household,
        "张小明",
        False,
        2010,
    )

    edited = client.patch(
        url("resident-detail", world.a.township, resident.pk), {"is_party_member": True}, format="json"
    )
    assert edited.status_code == 200
    resident.refresh_from_db()
    assert resident.is_party_member is True

    removed = client.delete(url("resident-detail", world.a.township, resident.pk, reason="迁出"))
    assert removed.status_code == 204
    resident.refresh_from_db()  # ended, not deleted (issue 16)
    assert (resident.ended_on, resident.end_reason, resident.end_note) == (
        timezone.localdate(),
        "other",
        "迁出",
    )
    assert resident.history.first().history_change_reason == "迁出"
    assert client.get(url("resident-detail", world.a.township, resident.pk)).status_code == 404


def test_making_a_resident_head_demotes_the_previous_head(world, api):
    household = world.a.households[0]
    added = api(world.a.admin).post(
        url("resident-list", world.a.township),
        {"household": household.pk, "name": "张二", "is_head": True},
        format="json",
    )

    assert added.status_code == 201, added.content
    assert list(household.members.filter(is_head=True).values_list("name", flat=True)) == ["张二"]


def test_removing_a_resident_needs_a_reason_in_the_query_or_the_body(world, api):
    client = api(world.a.admin)
    resident = world.a.resident
    before = roster_snapshot()

    without = client.delete(url("resident-detail", world.a.township, resident.pk))
    blank = client.delete(url("resident-detail", world.a.township, resident.pk, reason=""))

    assert (without.status_code, fields(without)) == (400, {"reason"})
    assert blank.status_code == 400
    assert roster_snapshot() == before
    in_body = client.delete(
        url("resident-detail", world.a.township, resident.pk), {"reason": "去世"}, format="json"
    )
    assert in_body.status_code == 204
    assert Resident.objects.filter(pk=resident.pk).former().exists()  # ended, not deleted


def test_a_resident_cannot_change_household(world, api):
    other = HouseholdFactory(area=world.a.areas[0], number="A-009")
    before = roster_snapshot()

    response = api(world.a.admin).patch(
        url("resident-detail", world.a.township, world.a.resident.pk), {"household": other.pk}, format="json"
    )

    assert (response.status_code, fields(response)) == (400, {"household"})
    assert roster_snapshot() == before


def test_invalid_id_number_is_a_400_on_the_field(world, api):
    before = roster_snapshot()

    response = api(world.a.admin).patch(
        url("resident-detail", world.a.township, world.a.resident.pk),
        {"id_number": "11010519491231002"},
        format="json",
    )

    assert (response.status_code, fields(response)) == (400, {"id_number"})
    assert roster_snapshot() == before


@pytest.mark.parametrize(
    "name, index",
    [("village-detail", "villages"), ("area-detail", "areas"), ("household-detail", "households")],
)
def test_villages_areas_and_households_cannot_be_deleted(world, api, name, index):
    before = roster_snapshot()

    response = api(world.a.admin).delete(url(name, world.a.township, getattr(world.a, index)[0].pk))

    assert response.status_code == 405
    assert roster_snapshot() == before


# The permission matrix -----------------------------------------------------------------------------------------


def write_requests(a):
    """One write of each kind, all aimed at objects of village 0 (which the clerk and the panel member see)."""
    v0, a0, a1, h0, r0 = a.villages[0], a.areas[0], a.areas[1], a.households[0], a.resident
    slug = a.township.slug
    return {
        "create village": ("post", url("village-list", slug), {"name": "新村"}),
        "rename village": ("patch", url("village-detail", slug, v0.pk), {"name": "改名村"}),
        "replace village": ("put", url("village-detail", slug, v0.pk), {"name": "改名村", "code": "9"}),
        "create area": ("post", url("area-list", slug), {"village": v0.pk, "name": "三组"}),
        "rename area": ("patch", url("area-detail", slug, a0.pk), {"name": "三组"}),
        "create household": ("post", url("household-list", slug), {"area": a0.pk, "number": "A-009"}),
        "edit household": ("patch", url("household-detail", slug, h0.pk), {"address": "新地址"}),
        "move household": ("post", url("household-move", slug, h0.pk), {"to_area": a1.pk, "reason": "搬迁"}),
        "add resident": ("post", url("resident-list", slug), {"household": h0.pk, "name": "赵六"}),
        "edit resident": ("patch", url("resident-detail", slug, r0.pk), {"name": "张三"}),
        "remove resident": ("delete", url("resident-detail", slug, r0.pk, reason="迁出"), None),
    }


WRITE_NAMES = [
    "create village",
    "rename village",
    "replace village",
    "create area",
    "rename area",
    "create household",
    "edit household",
    "move household",
    "add resident",
    "edit resident",
    "remove resident",
]
VILLAGE_WRITES = {"create village", "rename village", "replace village"}


def send(client, method, path, body):
    return (
        getattr(client, method)(path, body, format="json")
        if body is not None
        else getattr(client, method)(path)
    )


@pytest.mark.parametrize("write", WRITE_NAMES)
def test_township_admin_may_make_every_write(world, api, write):
    method, path, body = write_requests(world.a)[write]
    before = roster_snapshot()

    response = send(api(world.a.admin), method, path, body)

    assert response.status_code in (200, 201, 204), response.content
    assert roster_snapshot() != before


@pytest.mark.parametrize("write", sorted(set(WRITE_NAMES) - VILLAGE_WRITES - {"move household"}))
def test_village_clerk_may_edit_the_roster_of_their_village(world, api, write):
    method, path, body = write_requests(world.a)[write]
    before = roster_snapshot()

    response = send(api(world.a.clerk), method, path, body)

    assert response.status_code in (200, 201, 204), response.content
    assert roster_snapshot() != before


@pytest.mark.parametrize("write", sorted(VILLAGE_WRITES))
def test_village_clerk_may_not_write_villages(world, api, write):
    method, path, body = write_requests(world.a)[write]
    before = roster_snapshot()

    response = send(api(world.a.clerk), method, path, body)

    assert response.status_code == 403
    assert roster_snapshot() == before


@pytest.mark.parametrize("role", ["supervisor", "county", "panel"])
@pytest.mark.parametrize("write", WRITE_NAMES)
def test_read_only_members_get_403_on_every_write_and_nothing_changes(world, api, role, write):
    method, path, body = write_requests(world.a)[write]
    before = roster_snapshot()

    response = send(api(getattr(world.a, role)), method, path, body)

    # County viewers do not see households or residents at all (issue 7): "not found" rather than "denied".
    assert response.status_code in ((403, 404) if role == "county" else (403,))
    assert roster_snapshot() == before


@pytest.mark.parametrize("write", WRITE_NAMES)
def test_outsider_gets_404_on_every_write_through_the_other_townships_slug(world, api, write):
    method, path, body = write_requests(world.a)[write]
    before = roster_snapshot()

    response = send(api(world.b.admin), method, path, body)

    assert response.status_code == 404
    assert roster_snapshot() == before


@pytest.mark.parametrize("write", [name for name in WRITE_NAMES if not name.startswith(("create", "add"))])
def test_outsider_gets_404_for_the_other_townships_ids_through_their_own_slug(world, api, write):
    method, path, body = write_requests(world.a)[write]
    path = path.replace(f"/t/{world.a.township.slug}/", f"/t/{world.b.township.slug}/")
    before = roster_snapshot()

    response = send(api(world.b.admin), method, path, body)

    assert response.status_code == 404
    assert roster_snapshot() == before


@pytest.mark.parametrize(
    "name, index",
    [("village-detail", "villages"), ("area-detail", "areas"), ("household-detail", "households")],
)
def test_deleting_the_other_townships_objects_reveals_nothing(world, api, name, index):
    client = api(world.b.admin)
    pk = getattr(world.a, index)[0].pk
    before = roster_snapshot()

    assert client.delete(url(name, world.a.township, pk)).status_code == 404
    # through their own slug the route has no DELETE at all: the same 405 for A's id as for an id that never existed
    assert client.delete(url(name, world.b.township, pk)).status_code == 405
    assert client.delete(url(name, world.b.township, 987654321)).status_code == 405
    assert roster_snapshot() == before


def read_paths(a):
    slug = a.township.slug
    return [
        url("village-list", slug),
        url("village-detail", slug, a.villages[0].pk),
        url("area-list", slug),
        url("area-detail", slug, a.areas[0].pk),
        url("household-list", slug),
        url("household-detail", slug, a.households[0].pk),
        url("resident-list", slug),
        url("resident-detail", slug, a.resident.pk),
    ]


# County viewers read villages and areas only: tests/oversight/test_county_privacy.py.
@pytest.mark.parametrize("role", ["admin", "clerk", "panel", "supervisor"])
def test_every_member_reads_what_they_may_see(world, api, role):
    client = api(getattr(world.a, role))

    assert [client.get(path).status_code for path in read_paths(world.a)] == [200] * 8


def test_outsider_gets_404_for_every_read_by_slug_and_by_id(world, api):
    client = api(world.b.admin)
    by_slug = read_paths(world.a)
    by_id = [
        path.replace("/t/town-a/", "/t/town-b/")
        for path in by_slug
        if path.rstrip("/").split("/")[-1].isdigit()
    ]

    assert [client.get(path).status_code for path in by_slug] == [404] * 8
    assert [client.get(path).status_code for path in by_id] == [404] * 4


def test_unknown_township_slug_is_404(world, api):
    assert api(world.a.admin).get(url("household-list", "no-such-town")).status_code == 404


def test_unauthenticated_requests_get_no_data_and_write_nothing(world):
    client = APIClient()
    before = roster_snapshot()

    read = client.get(url("household-list", world.a.township))
    write = client.post(url("household-list", world.a.township), {"area": world.a.areas[0].pk, "number": "X"})

    assert (read.status_code, write.status_code) == (401, 401)
    assert read["WWW-Authenticate"] == write["WWW-Authenticate"] == "Token"
    assert read.json() == write.json() == error("not_authenticated", "身份认证信息未提供。")
    assert roster_snapshot() == before


def test_a_user_whose_membership_is_revoked_is_refused_on_the_next_request(world, api):
    client = api(world.a.clerk)
    assert client.get(url("household-list", world.a.township)).status_code == 200

    world.a.clerk.memberships.all().delete()

    assert client.get(url("household-list", world.a.township)).status_code == 404


# Ids arriving in bodies and query parameters -------------------------------------------------------------------


def test_ids_of_another_township_in_a_body_are_400_does_not_exist_and_nothing_is_written(world, api):
    client = api(world.a.admin)
    b = world.b
    before = roster_snapshot()

    area = client.post(
        url("area-list", world.a.township), {"village": b.villages[0].pk, "name": "x"}, format="json"
    )
    household = client.post(
        url("household-list", world.a.township), {"area": b.areas[0].pk, "number": "X"}, format="json"
    )
    resident = client.post(
        url("resident-list", world.a.township), {"household": b.households[0].pk, "name": "x"}, format="json"
    )
    move = client.post(
        url("household-move", world.a.township, world.a.households[0].pk),
        {"to_area": b.areas[0].pk, "reason": "x"},
        format="json",
    )

    missing = "does_not_exist"
    assert area.json() == invalid(
        {"village": [f'Invalid pk "{b.villages[0].pk}" - object does not exist.']}, code=missing
    )
    assert household.json() == invalid(
        {"area": [f'Invalid pk "{b.areas[0].pk}" - object does not exist.']}, code=missing
    )
    assert resident.json() == invalid(
        {"household": [f'Invalid pk "{b.households[0].pk}" - object does not exist.']}, code=missing
    )
    assert move.json() == invalid(
        {"to_area": [f'Invalid pk "{b.areas[0].pk}" - object does not exist.']}, code=missing
    )
    assert {area.status_code, household.status_code, resident.status_code, move.status_code} == {400}
    assert roster_snapshot() == before


def test_clerk_cannot_create_in_a_village_of_their_township_that_is_not_theirs(world, api):
    client = api(world.a.clerk)
    v1, a1, h1 = world.a.villages[1], world.a.areas[1], world.a.households[1]
    before = roster_snapshot()

    area = client.post(url("area-list", world.a.township), {"village": v1.pk, "name": "x"}, format="json")
    household = client.post(
        url("household-list", world.a.township), {"area": a1.pk, "number": "X"}, format="json"
    )
    resident = client.post(
        url("resident-list", world.a.township), {"household": h1.pk, "name": "x"}, format="json"
    )

    assert (area.status_code, fields(area)) == (400, {"village"})
    assert (household.status_code, fields(household)) == (400, {"area"})
    assert (resident.status_code, fields(resident)) == (400, {"household"})
    assert roster_snapshot() == before


def test_filters_refuse_ids_the_member_cannot_see(world, api):
    admin, clerk = api(world.a.admin), api(world.a.clerk)
    path = url("household-list", world.a.township)

    assert admin.get(path, {"village": world.b.villages[0].pk}).status_code == 400
    assert admin.get(path, {"area": world.b.areas[0].pk}).status_code == 400
    assert clerk.get(path, {"village": world.a.villages[1].pk}).status_code == 400
    assert (
        clerk.get(url("resident-list", world.a.township), {"household": world.a.households[1].pk}).status_code
        == 400
    )
    assert (
        admin.get(url("area-list", world.a.township), {"village": world.b.villages[0].pk}).status_code == 400
    )


def test_huge_integers_and_nul_characters_are_400_or_404_never_500(world, api):
    client = api(world.a.admin)
    slug = world.a.township.slug
    before = roster_snapshot()

    assert client.get(url("household-list", slug), {"village": HUGE}).status_code == 400
    assert client.get(url("resident-list", slug), {"household": HUGE}).status_code == 400
    assert client.get(url("household-list", slug), {"search": "A\x00"}).status_code == 400
    assert client.get(url("household-list", slug), {"participation": "taking_part\x00"}).status_code == 400
    assert client.get(url("household-detail", slug, HUGE)).status_code == 404
    assert client.get(f"/api/v1/t/{slug}/households/%00/").status_code == 404
    assert (
        client.patch(url("household-detail", slug, HUGE), {"address": "x"}, format="json").status_code == 404
    )
    assert (
        client.post(url("household-list", slug), {"area": HUGE, "number": "X"}, format="json").status_code
        == 400
    )
    assert (
        client.post(
            url("household-list", slug), {"area": world.a.areas[0].pk, "number": "X\x00"}, format="json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            url("resident-list", slug),
            {"household": world.a.households[0].pk, "name": "x", "birth_year": HUGE},
            format="json",
        ).status_code
        == 400
    )
    assert (
        client.delete(
            url("resident-detail", slug, world.a.resident.pk), {"reason": "x\x00"}, format="json"
        ).status_code
        == 400
    )
    assert (
        client.post(
            url("household-move", slug, world.a.households[0].pk),
            {"to_area": HUGE, "reason": "x"},
            format="json",
        ).status_code
        == 400
    )
    assert roster_snapshot() == before


def test_an_over_long_change_reason_is_a_400(world, api):
    before = roster_snapshot()

    response = api(world.a.admin).post(
        url("household-move", world.a.township, world.a.households[0].pk),
        {"to_area": world.a.areas[1].pk, "reason": "很" * 101},
        format="json",
    )

    assert (response.status_code, fields(response)) == (400, {"reason"})
    assert roster_snapshot() == before


# Masking -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, id_number, mobile",
    [
        ("admin", "11010519491231002X", "13800138000"),
        ("clerk", "11010519491231002X", "13800138000"),
        ("supervisor", "110105********002X", "138****8000"),
        ("panel", "110105********002X", "138****8000"),
    ],
)
def test_id_and_mobile_numbers_are_masked_for_read_only_roles(world, api, role, id_number, mobile):
    client = api(getattr(world.a, role))

    nested = client.get(url("household-detail", world.a.township, world.a.households[0].pk)).json()[
        "members"
    ][0]
    direct = client.get(url("resident-detail", world.a.township, world.a.resident.pk)).json()

    assert (nested["id_number"], nested["mobile"]) == (id_number, mobile)
    assert (direct["id_number"], direct["mobile"]) == (id_number, mobile)


# Authentication ------------------------------------------------------------------------------------------------


def test_token_authentication_reads_and_writes_without_csrf(world):
    token = Token.objects.create(user=world.a.clerk)
    client = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")

    listed = client.get(url("household-list", world.a.township))
    created = client.post(
        url("area-list", world.a.township), {"village": world.a.villages[0].pk, "name": "二组"}, format="json"
    )

    assert [h["number"] for h in listed.json()["results"]] == ["A-001"]
    assert created.status_code == 201
    assert Area.objects.filter(village=world.a.villages[0], name="二组").exists()


def test_a_wrong_token_is_refused(world):
    client = APIClient(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get(url("household-list", world.a.township))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == error("authentication_failed", "认证令牌无效。")


def test_a_token_of_another_township_gets_404(world):
    token = Token.objects.create(user=world.b.admin)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.get(url("household-list", world.a.township)).status_code == 404


def test_session_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.a.admin)
    csrf = "abcdefghijklmnopqrstuvwxyzABCDEF"  # a valid 32-character secret
    before = roster_snapshot()

    refused = client.post(url("village-list", world.a.township), {"name": "a南村"}, format="json")
    assert refused.status_code == 403
    assert roster_snapshot() == before

    client.cookies["csrftoken"] = csrf
    accepted = client.post(
        url("village-list", world.a.township), {"name": "a南村"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 201
    assert Village.objects.filter(township=world.a.township, name="a南村").exists()


# Constant queries ----------------------------------------------------------------------------------------------


def grow(world, extra):
    """`extra` more households in township A, each with a head and one other member."""
    for n in range(extra):
        household = HouseholdFactory(area=world.a.areas[n % 2], number=f"A-{100 + n}")
        ResidentFactory(household=household, is_head=True)
        ResidentFactory(household=household)


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), response.json()["count"]


@pytest.mark.parametrize("name", ["village-list", "area-list", "household-list", "resident-list"])
def test_list_endpoints_make_the_same_number_of_queries_for_2_and_30_households(
    world, api, name, django_assert_num_queries
):
    client = api(world.a.admin)
    # One page for every row, 2 or 30 households: a short page is counted from its rows (no COUNT query).
    path = url(name, world.a.township, page_size=1000)
    small, _ = count_queries(client, path)
    grow(world, 28)

    with django_assert_num_queries(small):
        response = client.get(path)

    if name == "household-list":
        assert response.json()["count"] == 30
        assert len(response.json()["results"]) == 30
        assert all(h["head_name"] for h in response.json()["results"])
    if name == "resident-list":
        assert response.json()["count"] == 2 + 28 * 2


def test_household_list_takes_seven_queries(world, api, django_assert_num_queries):
    # session, user, the membership with its township (enter_township, which also opens the township's scope; the
    # township office's villages are never read: it sees them all), households with village and area, members;
    # plus the request's savepoint and its release. No COUNT: the page is shorter than the page size, so its rows
    # are the count.
    client = api(world.a.admin)
    grow(world, 5)

    with django_assert_num_queries(7):
        client.get(url("household-list", world.a.township))


def test_a_clerks_villages_come_with_the_membership_in_one_query(world, api, django_assert_num_queries):
    # The office's seven (test above): a village's clerk's membership reads its villages' ids in the same query
    # (core.permissions._read_memberships), and the list is still limited to them.
    client = api(world.a.clerk)
    grow(world, 5)

    with django_assert_num_queries(7):
        response = client.get(url("household-list", world.a.township))

    seen = {row["village"] for row in response.json()["results"]}
    assert seen == {world.a.villages[0].pk}


# Language ------------------------------------------------------------------------------------------------------


def test_api_errors_are_in_chinese_by_default(world):
    client = APIClient()
    client.force_login(world.a.admin)

    response = client.patch(
        url("household-detail", world.a.township, world.a.households[0].pk),
        {"area": world.a.areas[1].pk},
        format="json",
    )

    assert response.json() == invalid({"area": ["要调整农户所在片区，请使用“迁移”操作。"]})


# Errors --------------------------------------------------------------------------------------------------------


def test_a_domain_error_answers_400_on_its_field_and_rolls_the_request_back(db):
    with transaction.atomic():  # ATOMIC_REQUESTS opens this around each request
        response = exception_handler(DomainError("Say why.", field="reason"), {})
        rolled_back = transaction.get_rollback()
        transaction.set_rollback(False)  # let the test's own transaction go on

    assert (response.status_code, response.data) == (400, invalid({"reason": ["Say why."]}))
    assert rolled_back is True


# The API's basics (issue 13): 401, one error shape in the request's language, generic 404s, pages ----------------


def test_an_anonymous_call_is_401_with_a_challenge_in_english_when_asked(world):
    response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get(url("household-list", world.a.township))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == error("not_authenticated", "Authentication credentials were not provided.")


def test_an_anonymous_call_to_an_unknown_township_is_401_too(world):
    response = APIClient().get(url("household-list", "no-such-town"))

    assert response.status_code == 401


def test_the_browsable_api_still_answers_a_logged_in_member(world):
    client = APIClient()
    client.force_login(world.a.clerk)

    response = client.get(url("household-list", world.a.township), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_404_names_no_model_and_speaks_the_requests_language(world, api):
    unseen = world.b.households[0].pk
    chinese = APIClient()
    chinese.force_login(world.a.clerk)

    english = api(world.a.clerk).get(url("household-detail", world.a.township, unseen))
    default = chinese.get(url("household-detail", world.a.township, unseen))
    no_route = chinese.get(f"/api/v1/t/{world.a.township.slug}/no-such-thing/")

    assert (english.status_code, default.status_code, no_route.status_code) == (404, 404, 404)
    assert english.json() == error("not_found", "Not found.")
    assert default.json() == no_route.json() == error("not_found", "未找到。")


def test_a_403_405_and_415_have_the_one_error_shape(world, api):
    household = world.a.households[0]
    supervisor = api(world.a.supervisor)
    admin = api(world.a.admin)

    forbidden = supervisor.patch(url("household-detail", world.a.township, household.pk), {}, format="json")
    not_allowed = admin.delete(url("household-detail", world.a.township, household.pk))
    unsupported = admin.generic(
        "POST", url("household-list", world.a.township), "x", content_type="text/x-unknown"
    )

    assert forbidden.json() == error("permission_denied", "Your role does not allow this.")
    assert not_allowed.json() == error("method_not_allowed", 'Method "DELETE" not allowed.')
    assert unsupported.json() == error(
        "unsupported_media_type", 'Unsupported media type "text/x-unknown" in request.'
    )


def test_a_400_keeps_every_field_message_and_names_the_first(world, api):
    response = api(world.a.admin).post(url("household-list", world.a.township), {}, format="json")

    body = response.json()
    assert response.status_code == 400
    assert set(body["errors"]) == {"area", "number"}
    assert body == invalid(body["errors"], code="required")
    assert body["detail"] == "This field is required."


def test_a_domain_error_keeps_its_code_and_field(world, api):
    household = world.a.households[0]

    response = api(world.a.admin).post(
        url("household-move", world.a.township, household.pk),
        {"to_area": household.area_id, "reason": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "to_area"
    assert response.json() == refusal(response.json()["code"], response.json()["detail"], "to_area")


def test_page_size_is_asked_for_up_to_1000(world, api, rf):
    for n in range(205):
        HouseholdFactory(area=world.a.areas[n % 2], number=f"P-{n:03}")
    client = api(world.a.admin)

    def served(**query):
        response = client.get(url("household-list", world.a.township), query)
        assert response.status_code == 200
        return len(response.json()["results"])

    assert [served(), served(page_size=2), served(page_size=200), served(page_size=5000)] == [
        50,
        2,
        200,
        207,
    ]  # 205 + the world's 2
    # More than 1000 asked for: 1000 (the paginator's own answer; no test builds 1000 rows).
    asked = Request(rf.get("/", {"page_size": 5000}))
    assert Pagination().get_page_size(asked) == 1000
    assert served(page_size="x") == 50  # not a number: the default
