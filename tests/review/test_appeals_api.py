"""What villagers send from their own page (issue 14, item 6), as the village handles it through the API and the
pages: the grid worker takes or refuses a self-declaration, the clerk decides an appeal; the worklist counts what
waits; a grid worker cannot decide, another village's clerk sees nothing."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.permissions import Role
from scoring import services
from scoring.models import Appeal, AppealState, Entry, EntryState, SelfDeclaration, SelfDeclarationState
from scoring.selectors import passbook
from tests.contract import member
from tests.factories import MembershipFactory, UserFactory
from tests.notices import approve_through_notice
from tests.review.test_api_e2e import Api
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db


def png():
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), "yellow").save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def grid_user(world, village=0, name="a-grid"):
    user = UserFactory(username=name)
    MembershipFactory(
        user=user, township=world.a.township, role=Role.GRID_WORKER, villages=[world.a.villages[village]]
    )
    return user


@pytest.fixture
def sent(world):
    """Household 1 (village 1) sent a declaration with a photo and an appeal against its approved entry."""
    c = Catalogue(world)
    entry = c.record(c.h1)
    approve_through_notice([entry])
    code = services.issue_code(membership=c.office, household=c.h1)[0]
    declaration = services.submit_self_declaration(
        code=code, what_happened="帮五保户挑水", occurred_on=c.day, photo=png()
    )
    appeal = services.submit_appeal(code=code, entry_id=entry.pk, reason="那天不在家")
    return c, declaration, appeal, entry


def test_the_grid_worker_takes_a_declaration_through_the_api(world, sent):
    c, declaration, _appeal, _entry = sent
    grid = Api(world.a.township, grid_user(world))
    listed = grid.get("self-declarations/", state="pending").json()
    assert [row["id"] for row in listed["results"]] == [declaration.pk]
    assert listed["results"][0]["has_photo"] is True
    answer = grid.post(f"self-declarations/{declaration.pk}/take/", {"item": c.item.pk, "place": "村东头"})
    assert answer.status_code == 201, answer.json()
    claim = answer.json()
    assert claim["channel"] == "self_service" and claim["state"] == "proposed" and claim["checked_at"]
    assert claim["cause"] == "帮五保户挑水" and claim["entry"]["evidence"]
    declaration.refresh_from_db()
    assert declaration.state == SelfDeclarationState.TAKEN and declaration.entry_id == claim["id"]
    again = grid.post(f"self-declarations/{declaration.pk}/take/", {"item": c.item.pk})
    assert again.status_code == 400
    assert grid.get("self-declarations/", state="pending").json()["results"] == []


def test_a_refusal_needs_a_reason_and_writes_no_entry(world, sent):
    _c, declaration, _appeal, _entry = sent
    grid = Api(world.a.township, grid_user(world))
    entries = Entry.objects.count()
    assert grid.post(f"self-declarations/{declaration.pk}/refuse/", {"reason": ""}).status_code == 400
    answer = grid.post(f"self-declarations/{declaration.pk}/refuse/", {"reason": "核实不到"})
    assert answer.status_code == 200 and answer.json()["state"] == "refused"
    assert Entry.objects.count() == entries


def test_the_clerk_upholds_an_appeal_and_the_reversal_counts_after_the_notice(world, sent):
    c, _declaration, appeal, entry = sent
    clerk = Api(world.a.township, world.a.clerk)
    assert [row["id"] for row in clerk.get("appeals/", state="pending").json()["results"]] == [appeal.pk]
    counted = passbook(c.h1, c.scheme)["total"]
    answer = clerk.post(f"appeals/{appeal.pk}/decide/", {"uphold": True, "reason": "核实属实"})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["state"] == "upheld" and body["reversal_state"] == "proposed"
    assert passbook(c.h1, c.scheme)["total"] == counted
    approve_through_notice([Entry.objects.get(pk=body["reversal"])])
    assert passbook(c.h1, c.scheme)["total"] == counted - entry.points


def test_a_grid_worker_cannot_decide_and_another_village_sees_nothing(world, sent):
    _c, declaration, appeal, _entry = sent
    grid = Api(world.a.township, grid_user(world))
    assert grid.post(f"appeals/{appeal.pk}/decide/", {"uphold": True, "reason": "同意"}).status_code in (
        403,
        404,
    )
    west = Api(world.a.township, grid_user(world, village=1, name="west-grid"))
    assert west.get("self-declarations/").json()["results"] == []
    assert west.post(f"self-declarations/{declaration.pk}/refuse/", {"reason": "不实"}).status_code == 404
    supervisor = Api(world.a.township, world.a.supervisor)
    assert (
        supervisor.post(f"appeals/{appeal.pk}/decide/", {"uphold": False, "reason": "x"}).status_code == 403
    )
    assert Api(world.b.township, world.b.admin).get(f"appeals/{appeal.pk}/").status_code == 404
    assert Appeal.objects.get().state == AppealState.PENDING
    assert SelfDeclaration.objects.get().state == SelfDeclarationState.PENDING
    assert grid.client.delete(f"{grid.prefix}self-declarations/{declaration.pk}/").status_code == 405


# Pages --------------------------------------------------------------------------------------------------------


def _page(name, **kwargs):
    return reverse(f"review:{name}", kwargs={"township_slug": "town-a", **kwargs})


def test_the_worklists_count_what_waits_and_the_pages_take_and_decide(world, sent, client):
    c, declaration, appeal, _entry = sent
    client.force_login(grid_user(world))
    home = client.get(_page("worklist")).content.decode()
    assert "待核实的自主申报" in home and "帮五保户挑水" in home and "待处理的申诉" not in home
    detail = client.get(_page("self-declaration-detail", pk=declaration.pk)).content.decode()
    assert 'class="declaration-photo"' in detail
    photo = client.get(_page("self-declaration-photo", pk=declaration.pk))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert photo["X-Content-Type-Options"] == "nosniff"
    taken = client.post(
        _page("self-declaration-detail", pk=declaration.pk),
        {"decision": "take", "take-item": c.item.pk, "take-occurred_on": c.day.isoformat(), "take-cause": ""},
    )
    assert taken.status_code == 302
    declaration.refresh_from_db()
    assert declaration.entry.state == EntryState.PROPOSED
    # The grid worker may read the appeal but not decide it.
    decide = {"outcome": "uphold", "reason": "同意"}
    assert client.post(_page("appeal-detail", pk=appeal.pk), decide).status_code == 403

    client.force_login(world.a.clerk)
    home = client.get(_page("worklist")).content.decode()
    assert "待处理的申诉" in home and "那天不在家" in home
    refused = client.post(_page("appeal-detail", pk=appeal.pk), {"outcome": "reject", "reason": ""})
    assert refused.status_code == 400
    assert (
        client.post(_page("appeal-detail", pk=appeal.pk), {**decide, "outcome": "reject"}).status_code == 302
    )
    appeal.refresh_from_db()
    assert appeal.state == AppealState.REJECTED
    page = client.get(_page("worklist")).content.decode()
    # The list of appeals is gone; the work counts (review/selectors/counts.py) say none waits.
    assert "那天不在家" not in page
    assert re.search(r'data-work="appeals".*?data-count="(\d+)"', page, re.S).group(1) == "0"


def test_a_clerk_of_another_village_gets_404(world, sent, client):
    _c, declaration, appeal, _entry = sent
    west = UserFactory(username="west-clerk")
    MembershipFactory(
        user=west, township=world.a.township, role=Role.VILLAGE_CLERK, villages=[world.a.villages[1]]
    )
    client.force_login(west)
    assert client.get(_page("appeal-detail", pk=appeal.pk)).status_code == 404
    decide = {"outcome": "uphold", "reason": "同意"}
    assert client.post(_page("appeal-detail", pk=appeal.pk), decide).status_code == 404
    assert client.get(_page("self-declaration-photo", pk=declaration.pk)).status_code == 404
    assert Appeal.objects.get().state == AppealState.PENDING
    assert member(world.a.clerk).role == Role.VILLAGE_CLERK
