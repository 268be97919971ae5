"""The pages of a household's life (issue 16): wiring, bad input shown on the form with nothing written, and
other townships' households not found."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.tenancy import dangerously_all_townships, no_township_scope, township_scope
from households.models import Household, HouseholdStatus, LifeEvent, Resident
from scoring.models import Entry
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def url(name, township, **kwargs):
    return reverse(name, kwargs={"township_slug": township.slug, **kwargs})


def nothing_written() -> tuple:
    with dangerously_all_townships():
        return (
            LifeEvent.objects.count(),
            Entry.objects.count(),
            sorted(Household.objects.values_list("pk", "status", "participation")),
            sorted(Resident.objects.values_list("pk", "household_id", "is_head", "ended_on")),
        )


@pytest.fixture
def family(world):
    h1 = world.a.households[0]
    son = ResidentFactory(household=h1, name="张二")
    return h1, son


def _post(client, name, township, pk, data):
    return client.post(url(name, township, household_pk=pk), data)


def test_split_page_splits_and_shows_the_new_household(world, login, family):
    h1, son = family
    client = login(world.a.admin)
    assert client.get(url("scoring:household-split", world.a.township, household_pk=h1.pk)).status_code == 200
    data = {"leaving": [son.pk], "head": son.pk, "number": "A-101", "area": world.a.areas[0].pk,
            "split_on": TODAY.isoformat(), "reason": "分户", "confirm": "on"}  # fmt: skip
    response = _post(client, "scoring:household-split", world.a.township, h1.pk, data)
    assert response.status_code == 302
    with dangerously_all_townships():
        new = Household.objects.get(number="A-101")
        assert new.members.current().get().name == "张二" and new.split_from_id == h1.pk
    page = client.get(url("households:household-detail", world.a.township, pk=h1.pk)).content.decode()
    assert "张二" in page and "former-members" in page and "life-events" in page


@pytest.mark.parametrize(
    "change",
    [{"leaving": "head"}, {"confirm": ""}, {"split_on": (TODAY + datetime.timedelta(days=2)).isoformat()}],
)
def test_split_page_refuses_bad_input_with_a_message_and_writes_nothing(world, login, family, change):
    h1, son = family
    data = {"leaving": [son.pk], "head": son.pk, "number": "A-101", "area": world.a.areas[0].pk,
            "split_on": TODAY.isoformat(), "reason": "分户", "confirm": "on"} | change  # fmt: skip
    if data["leaving"] == "head":
        data["leaving"] = [son.pk, world.a.resident.pk]
    before = nothing_written()
    response = login(world.a.admin).post(
        url("scoring:household-split", world.a.township, household_pk=h1.pk), data
    )
    assert response.status_code == 200 and 'class="errors" role="alert"' in response.content.decode()
    assert nothing_written() == before


def test_merge_page_refuses_itself_and_another_townships_household(world, login):
    h1 = world.a.households[0]
    client = login(world.a.admin)
    before = nothing_written()
    for number in ("A-001", "B-001", "NO-SUCH"):
        data = {"absorbed": number, "merged_on": TODAY.isoformat(), "reason": "合户", "confirm": "on"}
        response = _post(client, "scoring:household-merge", world.a.township, h1.pk, data)
        assert response.status_code == 200 and 'class="errors" role="alert"' in response.content.decode()
    assert nothing_written() == before


def test_merge_page_merges_a_household_of_another_village(world, login):
    h1, h2 = world.a.households
    data = {"absorbed": "A-002", "merged_on": TODAY.isoformat(), "reason": "合户", "confirm": "on"}
    assert (
        _post(login(world.a.admin), "scoring:household-merge", world.a.township, h1.pk, data).status_code
        == 302
    )
    h2.refresh_from_db()
    assert (h2.status, h2.merged_into_id) == (HouseholdStatus.MERGED, h1.pk)


def test_move_out_page_closes_the_account_and_shows_the_closing_slip(world, login):
    h1 = world.a.households[0]
    client = login(world.a.admin)
    data = {"moved_out_on": TODAY.isoformat(), "reason": "迁往外省", "transfer_to": "A-002", "confirm": "on"}
    response = _post(client, "scoring:household-move-out", world.a.township, h1.pk, data)
    assert response.status_code == 302 and response.url.endswith("/closing-slip/")
    h1.refresh_from_db()
    assert h1.status == HouseholdStatus.CLOSED
    slip = client.get(response.url).content.decode()
    assert "A-002" in slip and "closing-balance" in slip
    # an ended household's pages no longer offer its life steps, and the steps send back to the household
    assert _post(client, "scoring:household-split", world.a.township, h1.pk, {}).status_code == 302


def test_a_members_death_in_the_future_and_a_head_without_successor_are_refused(world, login, family):
    h1, son = family
    client = login(world.a.clerk)
    target = url("households:resident-remove", world.a.township, pk=world.a.resident.pk)
    before = nothing_written()
    future = (TODAY + datetime.timedelta(days=1)).isoformat()
    assert client.post(target, {"reason": "died", "ended_on": future, "new_head": son.pk}).status_code == 200
    assert client.post(target, {"reason": "died", "ended_on": TODAY.isoformat()}).status_code == 200
    assert nothing_written() == before
    assert (
        client.post(target, {"reason": "died", "ended_on": TODAY.isoformat(), "new_head": son.pk}).status_code
        == 302
    )
    son.refresh_from_db()
    assert son.is_head


@pytest.mark.parametrize(
    "name",
    [
        "scoring:household-split",
        "scoring:household-merge",
        "scoring:household-move-out",
        "scoring:closing-slip",
    ],
)
def test_another_townships_household_is_not_found(world, login, name):
    client = login(world.a.admin)
    other = world.b.households[0]
    assert client.get(url(name, world.a.township, household_pk=other.pk)).status_code == 404
    assert client.post(url(name, world.a.township, household_pk=other.pk), {}).status_code == 404


def test_change_of_head_page(world, login, family):
    h1, son = family
    client = login(world.a.clerk)
    target = url("households:household-head", world.a.township, pk=h1.pk)
    assert client.post(target, {"new_head": son.pk, "reason": ""}).status_code == 200
    assert client.post(target, {"new_head": son.pk, "reason": "年迈"}).status_code == 302
    son.refresh_from_db()
    assert son.is_head


def test_the_township_office_sets_the_split_rule_on_the_scheme_page(world, login):
    from tests.scoring.contract_cases import Catalogue

    with no_township_scope(), township_scope(world.a.township):
        scheme = Catalogue(world).scheme
    target = url("scoring:scheme-split-points", world.a.township, pk=scheme.pk)
    assert login(world.a.clerk).post(target, {"split_points": "explicit"}).status_code == 403
    client = login(world.a.admin)
    assert client.post(target, {"split_points": "nonsense"}).status_code == 302
    scheme.refresh_from_db()
    assert scheme.split_points == "stay"
    assert client.post(target, {"split_points": "by_members"}).status_code == 302
    scheme.refresh_from_db()
    assert scheme.split_points == "by_members"
    page = client.get(url("scoring:scheme-detail", world.a.township, pk=scheme.pk)).content.decode()
    assert "按人数分配积分" in page
