"""Claims outside rounds through the API (issue 14 items 3–4): the grid worker records, the village's notice batch
takes the checked claim, the township approves, and the trail names who did each step; false claims cost double
through the notice; other villages, areas and townships see nothing."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.permissions import Role
from scoring.models import ClaimDetail, Entry, EntrySource, EntryState
from scoring.selectors import annual_totals
from tests.factories import AreaFactory, HouseholdFactory, MembershipFactory, UserFactory
from tests.notices import run_out
from tests.review.test_api_e2e import Api
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db
D = Decimal


def grid_user(world, areas=()):
    user = UserFactory(username="a-grid")
    membership = MembershipFactory(
        user=user, township=world.a.township, role=Role.GRID_WORKER, villages=[world.a.villages[0]]
    )
    membership.areas.set(areas)
    return user


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def body(c, household, **extra):
    return {
        "household": household.pk,
        "item": c.item.pk,
        "occurred_on": c.day.isoformat(),
        "channel": "phone",
        "cause": "帮五保户挑水",
        "place": "村委会旁",
        "declarer_name": "王五",
        "declarer_relation": "邻居",
        **extra,
    }


def test_a_claim_from_the_grid_worker_to_the_townships_approval_with_its_trail(world):
    c = Catalogue(world)  # the item gives 2 points
    grid = Api(world.a.township, grid_user(world))
    office = Api(world.a.township, world.a.admin)
    answer = grid.post("claims/", {**body(c, c.h1), "photos": [png()]}, multipart=True)
    assert answer.status_code == 201, answer.json()
    claim = answer.json()
    assert (claim["channel"], claim["declarer_name"], claim["checked_by"]) == ("phone", "王五", "a-grid")
    assert claim["state"] == "proposed" and len(claim["entry"]["evidence"]) == 1

    batch = office.post("rounds/batch/", {"village": world.a.villages[0].pk, "scheme": c.scheme.pk})
    assert batch.status_code == 201, batch.json()
    from review.models import ReviewRound

    run_out(ReviewRound.objects.get(pk=batch.json()["id"]))
    assert office.move(batch.json()["id"], "submit").status_code == 200
    assert office.move(batch.json()["id"], "approve").status_code == 200

    detail = grid.get(f"claims/{claim['id']}/").json()
    steps = [step["step"] for step in detail["trail"]]
    assert steps[:3] == ["declared", "collected", "checked"]
    assert {"post_batch", "submit", "approve", "entered"} <= set(steps)
    assert detail["trail"][0]["by"].startswith("王五") and detail["state"] == "approved"
    assert detail["batch"] == batch.json()["id"]
    assert annual_totals(c.scheme)[c.h1.pk] == D("42")  # base 40 + the claim's 2


def test_the_list_searches_and_is_paginated_in_constant_queries(world, django_assert_max_num_queries):
    c = Catalogue(world)
    grid = Api(world.a.township, grid_user(world))
    for cause in ("帮五保户挑水", "扑灭山火", "调解纠纷"):
        assert grid.post("claims/", body(c, c.h1, cause=cause)).status_code == 201
    with django_assert_max_num_queries(12):
        page = grid.get("claims/", search="山火").json()
    assert page["count"] == 1 and page["results"][0]["cause"] == "扑灭山火"


def test_the_list_makes_as_many_queries_for_three_claims_as_for_one(world, django_assert_max_num_queries):
    c = Catalogue(world)
    grid = Api(world.a.township, grid_user(world))
    assert grid.post("claims/", body(c, c.h1, cause="帮五保户挑水")).status_code == 201
    with django_assert_max_num_queries(12) as one:
        assert grid.get("claims/").json()["count"] == 1
    queries = len(one.captured_queries)  # read now: the next request resets the connection's log
    for cause in ("扑灭山火", "调解纠纷"):
        assert grid.post("claims/", body(c, c.h1, cause=cause)).status_code == 201
    with django_assert_max_num_queries(queries):
        assert grid.get("claims/").json()["count"] == 3


def test_an_unchecked_claim_waits_for_its_check_before_any_batch(world):
    c = Catalogue(world)
    office = Api(world.a.township, world.a.admin)
    claim = office.post("claims/", body(c, c.h1, checked=False)).json()
    answer = office.post("rounds/batch/", {"village": world.a.villages[0].pk, "scheme": c.scheme.pk})
    assert answer.status_code == 400 and answer.json()["code"] == "nothing_to_post"
    checked = Api(world.a.township, grid_user(world)).post(f"claims/{claim['id']}/check/")
    assert checked.status_code == 200 and checked.json()["checked_by"] == "a-grid"
    answer = office.post("rounds/batch/", {"village": world.a.villages[0].pk, "scheme": c.scheme.pk})
    assert answer.status_code == 201


def test_claims_for_households_out_of_reach_are_refused_and_nothing_written(world):
    c = Catalogue(world)
    other_area = AreaFactory(village=world.a.villages[0], township=world.a.township, name="二组")
    stranger = HouseholdFactory(area=other_area, number="A-009")
    grid = Api(world.a.township, grid_user(world, areas=[world.a.areas[0]]))
    for household in (c.h2, stranger, world.b.households[0]):
        answer = grid.post("claims/", body(c, household))
        assert answer.status_code == 400 and answer.json()["field"] == "household"
    assert grid.get(f"households/{stranger.pk}/").status_code == 404
    assert not Entry.objects.filter(source=EntrySource.CLAIM).exists()


def test_a_non_image_or_oversized_photo_is_refused(world, settings):
    c = Catalogue(world)
    grid = Api(world.a.township, grid_user(world))
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    answer = grid.post("claims/", {**body(c, c.h1), "photos": [pdf]}, multipart=True)
    assert answer.status_code == 400 and answer.json()["field"] == "photos"
    settings.JIFEN_EVIDENCE_MAX_BYTES = 10
    answer = grid.post("claims/", {**body(c, c.h1), "photos": [png()]}, multipart=True)
    assert answer.status_code == 400 and answer.json()["field"] == "evidence"
    assert not ClaimDetail.objects.exists()


def test_a_false_claim_costs_double_and_only_through_the_notice(world):
    c = Catalogue(world)
    grid = Api(world.a.township, grid_user(world))
    office = Api(world.a.township, world.a.admin)
    claim = grid.post("claims/", body(c, c.h1)).json()
    answer = grid.post(f"claims/{claim['id']}/false/", {"reason": "核实无此事"})
    assert answer.status_code == 201 and D(answer.json()["points"]) == D("-4")
    penalty = Entry.objects.get(pk=answer.json()["id"])
    assert penalty.state == EntryState.PROPOSED
    assert office.post("entries/approve/", {"ids": [penalty.pk]}).json()["code"] == "notice_required"
    batch = office.post("rounds/batch/", {"village": world.a.villages[0].pk, "scheme": c.scheme.pk}).json()
    from review.models import ReviewRound

    run_out(ReviewRound.objects.get(pk=batch["id"]))
    office.move(batch["id"], "submit")
    office.move(batch["id"], "approve")
    assert annual_totals(c.scheme)[c.h1.pk] == D(
        "36"
    )  # base 40 − twice the claim's 2; the claim never counted
    trail = [s["step"] for s in grid.get(f"claims/{claim['id']}/").json()["trail"]]
    assert trail[-2:] == ["withdrawn", "found_false"]


def test_township_b_gets_404_on_township_as_claims(world):
    c = Catalogue(world)
    claim = Api(world.a.township, grid_user(world)).post("claims/", body(c, c.h1)).json()
    outsider = Api(world.a.township, world.b.admin)
    for path in (f"claims/{claim['id']}/", "claims/"):
        assert outsider.get(path).status_code == 404
    assert outsider.post(f"claims/{claim['id']}/false/", {"reason": "x"}).status_code == 404
    b_office = Api(world.b.township, world.b.admin)
    assert b_office.get(f"claims/{claim['id']}/").status_code == 404
