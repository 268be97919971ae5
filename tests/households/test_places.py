"""Villages and areas over their life (issue 16, item 1): merge, retire, restore — services and pages.

World (tests/conftest.py): township A has villages a东村 (area 一组, household A-001) and a西村 (area 一组,
household A-002); B the same. The clerk works in a东村 only."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.tenancy import township_scope
from households import selectors
from households import services as roster
from households.models import Area, Household, HouseholdMove, Membership, Role, Unit, Village
from households.places import services
from review.models import ReviewPanel, ReviewRound, RoundState
from scoring.models import Account
from tests.contract import member
from tests.factories import AreaFactory, HouseholdFactory, MembershipFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name, township, **kwargs):
    return reverse(f"households:{name}", kwargs={"township_slug": township.slug, **kwargs})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot():
    return (
        sorted(Household.objects.values_list("pk", "village_id", "area_id")),
        sorted(Area.objects.values_list("pk", "village_id", "name", "retired_at")),
        sorted(Village.objects.values_list("pk", "retired_at")),
        sorted(Unit.objects.values_list("pk", "village_id", "name")),
        HouseholdMove.objects.count(),
    )


# Areas ---------------------------------------------------------------------------------------------------------


def test_merging_an_area_moves_its_households_with_a_move_each_and_retires_it(world):
    a = world.a
    east = a.villages[0]
    area_y = a.areas[0]
    area_x = AreaFactory(village=east, township=a.township, name="二组")
    moved = [HouseholdFactory(area=area_x, number=f"A-10{n}") for n in range(3)]
    grid = UserFactory(username="grid")
    MembershipFactory(user=grid, township=a.township, role=Role.GRID_WORKER, villages=[east]).areas.set(
        [area_x]
    )
    with township_scope(a.township):
        result = services.merge_areas(
            membership=member(a.clerk), source=area_x, target=area_y, reason="村民小组调整"
        )
    assert result.households == 3
    assert set(Household.objects.filter(pk__in=[h.pk for h in moved]).values_list("area_id", flat=True)) == {
        area_y.pk
    }
    moves = HouseholdMove.objects.filter(household__in=moved)
    assert moves.count() == 3
    assert {(m.from_area_id, m.to_area_id, m.reason, m.moved_by_id) for m in moves} == {
        (area_x.pk, area_y.pk, "村民小组调整", a.clerk.pk)
    }
    assert Area.objects.get(pk=area_x.pk).retired_at is not None
    assert list(Membership.objects.get(user=grid).areas.values_list("pk", flat=True)) == [area_y.pk]
    assert set(Account.objects.filter(household__in=moved).values_list("area_id", flat=True)) == {area_y.pk}


@pytest.mark.parametrize("case", ["itself", "other village", "no reason", "other township"])
def test_bad_area_merges_are_refused_and_nothing_changes(world, case):
    a = world.a
    source = a.areas[0]
    target = {
        "itself": source,
        "other village": a.areas[1],
        "no reason": AreaFactory(village=a.villages[0], township=a.township, name="二组"),
        "other township": world.b.areas[0],
    }[case]
    before = snapshot()
    with township_scope(a.township), pytest.raises((DomainError, PermissionDenied)):
        services.merge_areas(
            membership=member(a.admin),
            source=source,
            target=target,
            reason="" if case == "no reason" else "调整",
        )
    assert snapshot() == before


def test_an_area_that_is_a_panels_home_is_not_merged_and_the_message_names_the_panel(world):
    a = world.a
    source, target = a.areas[0], AreaFactory(village=a.villages[0], township=a.township, name="二组")
    ReviewPanel.objects.create(
        township=a.township, village=a.villages[0], name="第一评议小组", home_area=source
    )
    before = snapshot()
    with township_scope(a.township), pytest.raises(DomainError) as refused:
        services.merge_areas(membership=member(a.admin), source=source, target=target, reason="调整")
    assert "第一评议小组" in str(refused.value.message)
    assert snapshot() == before


def test_a_clerk_cannot_merge_areas_of_another_village(world):
    a = world.a
    west = a.villages[1]
    other = AreaFactory(village=west, township=a.township, name="二组")
    before = snapshot()
    with township_scope(a.township), pytest.raises(PermissionDenied):
        services.merge_areas(membership=member(a.clerk), source=a.areas[1], target=other, reason="调整")
    assert snapshot() == before


def test_an_area_with_households_cannot_be_retired_and_an_empty_one_can_and_is_hidden_then_restored(world):
    a = world.a
    with township_scope(a.township):
        with pytest.raises(DomainError) as refused:
            services.retire_area(membership=member(a.clerk), area=a.areas[0], reason="撤组")
        assert "1" in str(refused.value.message)
        empty = AreaFactory(village=a.villages[0], township=a.township, name="三组")
        services.retire_area(membership=member(a.clerk), area=empty, reason="撤组")
        assert empty not in selectors.area_choices(member(a.admin))
        with pytest.raises(DomainError):
            roster.create_household(
                membership=member(a.admin), area=Area.objects.get(pk=empty.pk), number="A-900"
            )
        assert not Household.objects.filter(number="A-900").exists()
        services.restore_area(membership=member(a.clerk), area=empty)
        assert Area.objects.get(pk=empty.pk).retired_at is None


# Villages ------------------------------------------------------------------------------------------------------


def test_merging_a_village_moves_areas_households_and_units_and_renames_clashing_names(world):
    a = world.a
    east, west = a.villages
    unit = UnitFactory(village=west, township=a.township, name="农机合作社")
    UnitFactory(village=east, township=a.township, name="农机合作社")
    ReviewPanel.objects.create(township=a.township, village=west, name="西村评议小组", home_area=a.areas[1])
    with township_scope(a.township):
        result = services.merge_villages(
            membership=member(a.admin), source=west, target=east, reason="撤村并村"
        )
    assert (result.households, result.areas, result.units) == (1, 1, 1)
    assert Area.objects.get(pk=a.areas[1].pk).village_id == east.pk
    assert Area.objects.get(pk=a.areas[1].pk).name == "a西村一组"  # east has a 一组 already
    household = Household.objects.get(pk=a.households[1].pk)
    assert (household.village_id, household.area_id) == (east.pk, a.areas[1].pk)
    move = HouseholdMove.objects.get(household=household)
    assert (move.from_village_id, move.to_village_id, move.reason) == (west.pk, east.pk, "撤村并村")
    assert Unit.objects.get(pk=unit.pk).village_id == east.pk
    assert Unit.objects.get(pk=unit.pk).name == "a西村农机合作社"
    assert ReviewPanel.objects.get(name="西村评议小组").village_id == east.pk
    assert Village.objects.get(pk=west.pk).retired_at is not None
    assert Account.objects.get(household=household).village_id == east.pk


@pytest.mark.parametrize("case", ["itself", "clerk", "other township", "open round"])
def test_bad_village_merges_are_refused_and_nothing_changes(world, case):
    a = world.a
    east, west = a.villages
    target = {"itself": west, "other township": world.b.villages[0]}.get(case, east)
    acting = member(a.clerk if case == "clerk" else a.admin)
    if case == "open round":
        from scoring.models import Scheme

        scheme = Scheme.objects.create(
            township=a.township, name="2026年方案", year=2026, starts_on=datetime.date(2026, 1, 1)
        )
        ReviewRound.objects.create(
            township=a.township, village=west, scheme=scheme, kind="quarterly", period="2026-Q1",
            state=RoundState.COLLECTING, notice_token="t-open", created_by=a.admin,
        )  # fmt: skip
    before = snapshot()
    with township_scope(a.township), pytest.raises((DomainError, PermissionDenied)):
        services.merge_villages(membership=acting, source=west, target=target, reason="并村")
    assert snapshot() == before


def test_a_village_with_households_is_not_retired_and_an_empty_one_is(world):
    a = world.a
    with township_scope(a.township):
        with pytest.raises(DomainError) as refused:
            services.retire_village(membership=member(a.admin), village=a.villages[0], reason="撤村")
        assert "a东村" in str(refused.value.message)
        empty = Village.objects.create(township=a.township, name="空村")
        area = AreaFactory(village=empty, township=a.township, name="一组")
        services.retire_village(membership=member(a.admin), village=empty, reason="撤村")
        assert area not in selectors.area_choices(member(a.admin))
        with pytest.raises(DomainError):
            services.restore_area(membership=member(a.admin), area=area)
        with pytest.raises(DomainError):
            roster.create_area(
                membership=member(a.admin), village=Village.objects.get(pk=empty.pk), name="新组"
            )
        assert not Area.objects.filter(village=empty, name="新组").exists()
        services.restore_village(membership=member(a.admin), village=empty)
        assert Village.objects.get(pk=empty.pk).retired_at is None


# Pages ---------------------------------------------------------------------------------------------------------


def test_admin_merges_two_areas_on_the_page(world):
    a = world.a
    source = AreaFactory(village=a.villages[0], township=a.township, name="二组")
    household = HouseholdFactory(area=source, number="A-200")
    client = client_for(a.admin)
    page = client.get(url("area-merge", a.township, pk=source.pk))
    assert page.status_code == 200 and "一组" in page.content.decode()
    response = client.post(
        url("area-merge", a.township, pk=source.pk), {"target": a.areas[0].pk, "reason": "合并小组"}
    )
    assert response.status_code == 302
    assert Household.objects.get(pk=household.pk).area_id == a.areas[0].pk
    detail = client.get(url("village-detail", a.township, pk=a.villages[0].pk)).content.decode()
    assert "已撤销" in detail


def test_a_merge_target_of_another_township_is_not_found_with_a_clear_message(world):
    a = world.a
    before = snapshot()
    response = client_for(a.admin).post(
        url("village-merge", a.township, pk=a.villages[1].pk),
        {"target": world.b.villages[0].pk, "reason": "并村"},
    )
    assert response.status_code == 200
    assert "请从列表中选择本乡镇的村" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("route", ["village-merge", "village-retire", "village-restore", "village-edit"])
def test_an_admin_of_a_cannot_touch_the_villages_of_b(world, route):
    before = snapshot()
    client = client_for(world.a.admin)
    target = url(route, world.a.township, pk=world.b.villages[1].pk)
    assert client.get(target).status_code == 404
    assert (
        client.post(target, {"target": world.a.villages[0].pk, "reason": "x", "name": "改"}).status_code
        == 404
    )
    assert snapshot() == before


@pytest.mark.parametrize("route", ["area-merge", "area-retire", "area-restore", "area-edit"])
def test_an_admin_of_a_cannot_touch_the_areas_of_b(world, route):
    before = snapshot()
    client = client_for(world.a.admin)
    target = url(route, world.a.township, pk=world.b.areas[0].pk)
    assert (
        client.post(target, {"target": world.a.areas[0].pk, "reason": "x", "name": "改"}).status_code == 404
    )
    assert snapshot() == before


def test_the_page_refuses_to_retire_a_village_with_households_saying_what_to_do(world):
    a = world.a
    response = client_for(a.admin).post(
        url("village-retire", a.township, pk=a.villages[0].pk), {"reason": "撤村"}
    )
    assert response.status_code == 200
    assert "并入其他村" in response.content.decode()
    assert Village.objects.get(pk=a.villages[0].pk).retired_at is None


def test_a_retired_village_takes_no_new_unit_and_is_not_offered_for_one(world):
    from households.units import services as units

    a = world.a
    retired = Village.objects.create(township=a.township, name="旧村", retired_at=timezone.now())
    with township_scope(a.township), pytest.raises(DomainError):
        units.create_unit(
            membership=member(a.admin), village=retired, name="旧村超市", kind="individual_business",
            contact_name="孙丽", contact_mobile="13900000006",
        )  # fmt: skip
    assert not Unit.objects.filter(name="旧村超市").exists()
    form = client_for(a.admin).get(url("unit-create", a.township)).content.decode()
    assert "a东村" in form and "旧村" not in form


def test_a_retired_village_is_not_offered_when_a_person_is_given_villages(world):
    a = world.a
    with township_scope(a.township):
        empty = Village.objects.create(township=a.township, name="空村")
        services.retire_village(membership=member(a.admin), village=empty, reason="撤村")
    admin = client_for(a.admin)
    for page in (url("person-create", a.township), url("membership-grant", a.township)):
        body = admin.get(page).content.decode()
        assert "a东村" in body and "空村" not in body
