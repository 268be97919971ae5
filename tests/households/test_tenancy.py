import pytest
from django.http import Http404

from core.tenancy import ScopeError, dangerously_all_townships, no_township_scope, township_scope
from households.models import Household, Resident, Village

pytestmark = pytest.mark.django_db


def test_query_without_township_scope_raises(world):
    with no_township_scope():
        with pytest.raises(ScopeError):
            list(Household.objects.all())
        with pytest.raises(ScopeError):
            Village.objects.filter(name="a东村").exists()
        with pytest.raises(ScopeError):
            Resident.objects.count()


def test_township_scope_shows_only_that_township(world):
    with no_township_scope(), township_scope(world.a.township):
        numbers = set(Household.objects.values_list("number", flat=True))
    assert numbers == {"A-001", "A-002"}


def test_reverse_relations_are_scoped_too(world):
    village_b = world.b.villages[0]
    with no_township_scope(), township_scope(world.a.township):
        assert list(village_b.households.all()) == []


def test_township_scope_refuses_none(world):
    with pytest.raises(ScopeError), township_scope(None):
        pass


def test_dangerous_bypass_sees_every_township(world):
    with no_township_scope(), dangerously_all_townships():
        assert Household.objects.count() == 4


def test_custom_queryset_methods_also_raise_without_scope(world):
    with no_township_scope(), pytest.raises(ScopeError):
        Household.objects.taking_part()


def test_queryset_building_without_scope_is_allowed_but_evaluating_is_not(world):
    from households.models import Area

    with no_township_scope():
        assert list(Area.objects.none()) == []  # .none() is safe: it can never return a row
        with pytest.raises(ScopeError):
            list(Area.objects.all())


def test_a_users_memberships_are_read_whole_in_one_statement(world, django_assert_num_queries):
    # The request's membership read (core.permissions._read_memberships, written by hand): the user's own memberships
    # only, by township name, each with its township and its villages' ids, as the ORM reads them.
    from core.permissions import enter_township, memberships_of, visible_village_ids
    from households.models import Membership
    from tests.factories import MembershipFactory

    user = world.b.clerk  # a clerk of B's east village, made the office of A as well
    MembershipFactory(user=user, township=world.a.township, role="township_admin")

    with django_assert_num_queries(1):
        memberships = memberships_of(user)
        slugs = [m.township.slug for m in memberships]
    assert slugs == ["town-a", "town-b"]
    with no_township_scope(), dangerously_all_townships():
        by_orm = {m.pk: m for m in Membership.objects.filter(user=user).select_related("township")}
    for membership in memberships:
        expected = by_orm[membership.pk]
        assert [getattr(membership, f.attname) for f in Membership._meta.concrete_fields] == [
            getattr(expected, f.attname) for f in Membership._meta.concrete_fields
        ]
        assert membership.township == expected.township and membership.township.name == expected.township.name
        assert not membership._state.adding and membership._state.db == "default"
    office, clerk = memberships
    assert visible_village_ids(office) is None
    assert office.village_ids is None and clerk.village_ids == [world.b.villages[0].pk]

    with django_assert_num_queries(1):
        township, membership = enter_township(user, "town-b")
    assert township == world.b.township and membership.pk == clerk.pk
    assert visible_village_ids(membership) == {world.b.villages[0].pk}
    with pytest.raises(Http404):
        enter_township(world.a.clerk, "town-b")  # another user's township: not found

    user.is_active = False
    assert memberships_of(user) == []
