"""The incentive policies API: /api/v1/t/<township>/incentive-policies/ (paginated, ?search=), writes through the
services, and `{id}/qualifying/?year=` (paginated rows, masked numbers)."""

import pytest
from django.utils import translation

from core.tenancy import township_scope
from publicity.models import IncentivePolicy
from tests.api_errors import fields
from tests.publicity.test_policies import rated  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _api(world, path=""):
    return f"/api/v1/t/{world.a.township.slug}/incentive-policies/{path}"


def _count(world) -> int:
    with township_scope(world.a.township):
        return IncentivePolicy.objects.count()


def test_members_list_and_search_the_policies_in_a_constant_number_of_queries(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.a.clerk)
    listed = client.get(_api(world))
    assert listed.status_code == 200 and listed.json()["count"] == 3
    assert set(listed.json()) == {"count", "next", "previous", "results"}
    found = client.get(_api(world), {"search": "农商银行"}).json()
    assert [p["key"] for p in found["results"]] == ["bank"]
    client.force_login(world.a.admin)
    for i in range(5):
        assert client.post(_api(world), {"name": f"政策{i}", "min_stars": 4}).status_code == 201
    with django_assert_max_num_queries(12):
        assert client.get(_api(world)).json()["count"] == 8


def test_the_office_creates_changes_and_stops_a_policy(world, client):
    client.force_login(world.a.admin)
    created = client.post(
        _api(world),
        {"name": "就医绿色通道", "partner": "镇卫生院", "min_stars": 5, "min_total": "150.00"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["partner"] == "镇卫生院" and body["min_total"] == "150.00" and body["active"] is True
    pk = body["id"]
    changed = client.patch(_api(world, f"{pk}/"), {"benefit": "优先就诊"}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["benefit"] == "优先就诊"
    stopped = client.patch(_api(world, f"{pk}/"), {"active": False}, content_type="application/json")
    assert stopped.json()["active"] is False
    assert client.delete(_api(world, f"{pk}/")).status_code == 405


def test_bad_input_and_a_member_without_the_right_are_refused_and_nothing_is_written(world, client):
    before = _count(world)
    client.force_login(world.a.admin)
    taken = client.post(_api(world), {"name": "推荐党组织"}, content_type="application/json")
    assert taken.status_code == 400 and fields(taken) == {"name"}
    stars = client.post(_api(world), {"name": "公租房优先", "min_stars": 2}, content_type="application/json")
    assert stars.status_code == 400 and fields(stars) == {"min_stars"}
    client.force_login(world.a.clerk)
    refused = client.post(_api(world), {"name": "公租房优先"}, content_type="application/json")
    assert refused.status_code == 403
    assert _count(world) == before


def test_the_office_reads_who_qualifies_page_by_page(rated, world, client):  # noqa: F811
    client.force_login(world.a.admin)
    with township_scope(world.a.township):
        bank = IncentivePolicy.objects.get(key="bank")
    url = _api(world, f"{bank.pk}/qualifying/")
    first = client.get(url, {"year": 2026, "page_size": 4}).json()
    assert first["count"] == 6 and first["next"] and len(first["results"]) == 4
    row = first["results"][0]
    assert row["number"] == "V01-0000" and row["stars"] == 5 and row["rank"] == "1/10"
    assert row["id_number"] == "110101********0000" and row["mobile"] == "138****0000"
    village = client.get(url, {"year": 2026, "village": rated.two[0].village_id}).json()
    assert [r["number"] for r in village["results"]] == ["V02-0000", "V02-0001", "V02-0002"]
    missing = client.get(url, {"year": 2025})
    assert missing.status_code == 400 and missing.json()["code"] == "not_published"
    assert client.get(url).status_code == 400  # the year is required
    client.force_login(world.a.clerk)
    assert client.get(url, {"year": 2026}).status_code == 403
