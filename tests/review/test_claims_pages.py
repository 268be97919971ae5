"""The grid worker's pages (issue 14): the home lists what waits, the claim page shows who did each step, the
membership page grants the role with areas; a grid worker limited to an area sees no other household."""

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from core.permissions import Role
from households import services as roster
from households.models import Membership
from tests.contract import member
from tests.factories import AreaFactory, HouseholdFactory, MembershipFactory, UserFactory
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db


def grid(world, areas=()):
    user = UserFactory(username="a-grid")
    m = MembershipFactory(
        user=user, township=world.a.township, role=Role.GRID_WORKER, villages=[world.a.villages[0]]
    )
    m.areas.set(areas)
    return user, Membership.objects.get(pk=m.pk)


def claim(c, membership, household, **kwargs):
    from scoring import services

    return services.record_claim(
        membership=membership,
        household=household,
        item=c.item,
        occurred_on=c.day,
        channel="sms",
        cause="扶老人过马路",
        **kwargs,
    )


def test_grid_workers_home_lists_claims_to_check_and_their_own(world, login):
    c = Catalogue(world)
    user, membership = grid(world)
    unchecked = claim(c, c.office, c.h1, checked=False)
    mine = claim(c, membership, c.h1)
    page = login(user).get(f"/t/{world.a.township.slug}/review/work/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/review/claims/{unchecked.pk}/" in html and f"/review/claims/{mine.pk}/" in html
    assert "/review/claims/new/" in html


def test_the_claim_page_names_who_did_each_step(world, login):
    c = Catalogue(world)
    user, membership = grid(world)
    entry = claim(c, membership, c.h1, declarer_name="赵六", declarer_relation="儿子")
    page = login(world.a.clerk).get(f"/t/{world.a.township.slug}/review/claims/{entry.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "赵六" in html and "a-grid" in html


def test_a_grid_worker_of_one_area_sees_no_household_or_claim_of_another(world, login):
    c = Catalogue(world)
    other_area = AreaFactory(village=world.a.villages[0], township=world.a.township, name="二组")
    stranger = HouseholdFactory(area=other_area, number="A-007")
    entry = claim(c, c.office, stranger)
    user, _membership = grid(world, areas=[world.a.areas[0]])
    client = login(user)
    assert client.get(f"/t/{world.a.township.slug}/households/{stranger.pk}/").status_code == 404
    assert client.get(f"/t/{world.a.township.slug}/review/claims/{entry.pk}/").status_code == 404
    assert client.post(f"/t/{world.a.township.slug}/review/claims/{entry.pk}/check/").status_code == 404


def test_the_township_grants_the_grid_worker_role_with_areas_of_their_villages_only(world):
    office = member(world.a.admin)
    user = UserFactory(username="new-grid")
    granted = roster.grant_membership(
        membership=office,
        user=user,
        role=Role.GRID_WORKER,
        villages=[world.a.villages[0]],
        areas=[world.a.areas[0]],
    )
    assert list(granted.areas.all()) == [world.a.areas[0]]
    with pytest.raises(DomainError):  # an area of another village
        roster.grant_membership(
            membership=office,
            user=user,
            role=Role.GRID_WORKER,
            villages=[world.a.villages[0]],
            areas=[world.a.areas[1]],
        )
    with pytest.raises(DomainError):  # areas only for grid workers
        roster.grant_membership(
            membership=office,
            user=user,
            role=Role.VILLAGE_CLERK,
            villages=[world.a.villages[0]],
            areas=[world.a.areas[0]],
        )
    with pytest.raises(PermissionDenied):
        roster.grant_membership(membership=member(world.a.clerk), user=user, role=Role.GRID_WORKER)
    assert list(Membership.objects.get(user=user).areas.all()) == [world.a.areas[0]]


def test_the_membership_page_grants_a_grid_worker_with_areas(world, login):
    client = login(world.a.admin)
    answer = client.post(
        f"/t/{world.a.township.slug}/members/new/",
        {
            "username": "grid-two",
            "password": "Lang-Passwort-2026!",
            "role": Role.GRID_WORKER,
            "villages": [world.a.villages[0].pk],
            "areas": [world.a.areas[0].pk],
        },
    )
    assert answer.status_code == 302
    granted = Membership.objects.get(user__username="grid-two")
    assert granted.role == Role.GRID_WORKER and list(granted.areas.all()) == [world.a.areas[0]]
