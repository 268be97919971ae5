import pytest

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
