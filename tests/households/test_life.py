"""A household's life on the roster (issue 16): members are ended, never erased; heads change; memberless
households stop taking part."""

import datetime

import pytest
from django.utils import timezone

from core.errors import DomainError
from core.tenancy import no_township_scope, township_scope
from households import services
from households.life import services as life
from households.models import LifeEvent, LifeEventKind, Participation, Resident, ResidentEndReason
from tests.contract import member
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def in_a(world):
    with no_township_scope(), township_scope(world.a.township):
        yield world.a


def test_a_members_death_ends_the_row_with_date_reason_and_who(in_a):
    household = in_a.households[0]
    wife = ResidentFactory(household=household, name="王芳")
    event = life.end_resident(
        membership=member(in_a.clerk), resident=wife, ended_on=TODAY, reason=ResidentEndReason.DIED
    )
    wife.refresh_from_db()
    assert (wife.ended_on, wife.end_reason, wife.ended_by) == (TODAY, ResidentEndReason.DIED, in_a.clerk)
    assert event.kind == LifeEventKind.MEMBER_ENDED and event.recorded_by == in_a.clerk
    assert list(household.members.current().values_list("name", flat=True)) == ["张三明"]
    assert wife.history.first().history_user == in_a.clerk


def test_ending_the_head_without_a_new_one_is_refused_while_others_remain(in_a):
    household = in_a.households[0]
    ResidentFactory(household=household, name="王芳")
    with pytest.raises(DomainError, match="请从其他家庭成员中选择新户主"):
        life.end_resident(
            membership=member(in_a.clerk),
            resident=in_a.resident,
            ended_on=TODAY,
            reason=ResidentEndReason.DIED,
        )
    in_a.resident.refresh_from_db()
    assert in_a.resident.ended_on is None and in_a.resident.is_head
    assert not LifeEvent.objects.exists()


def test_the_heads_death_names_the_new_head_in_the_same_step(in_a):
    household = in_a.households[0]
    wife = ResidentFactory(household=household, name="王芳")
    life.end_resident(
        membership=member(in_a.clerk),
        resident=in_a.resident,
        ended_on=TODAY,
        reason=ResidentEndReason.DIED,
        new_head=wife,
    )
    assert household.members.current().get(is_head=True) == wife
    assert set(LifeEvent.objects.values_list("kind", flat=True)) == {"member_ended", "head_changed"}


def test_a_death_date_in_the_future_is_refused(in_a):
    with pytest.raises(DomainError, match="晚于今天"):
        life.end_resident(
            membership=member(in_a.clerk),
            resident=in_a.resident,
            ended_on=TODAY + datetime.timedelta(days=1),
            reason=ResidentEndReason.DIED,
        )
    assert Resident.objects.get(pk=in_a.resident.pk).ended_on is None


def test_ending_the_last_member_stops_the_household_taking_part(in_a):
    household = in_a.households[0]
    life.end_resident(
        membership=member(in_a.clerk),
        resident=in_a.resident,
        ended_on=TODAY,
        reason=ResidentEndReason.MOVED_OUT,
    )
    household.refresh_from_db()
    assert household.participation == Participation.NOT_ELIGIBLE and household.participation_reason
    with pytest.raises(DomainError, match="没有家庭成员的农户不能参与积分"):
        services.update_household(
            membership=member(in_a.clerk), household=household, participation=Participation.TAKING_PART
        )


def test_remove_resident_ends_the_member_instead_of_deleting(in_a):
    wife = ResidentFactory(household=in_a.households[0], name="王芳")
    services.remove_resident(membership=member(in_a.clerk), resident=wife, reason="外嫁")
    wife.refresh_from_db()
    assert (wife.ended_on, wife.end_reason, wife.end_note) == (TODAY, ResidentEndReason.OTHER, "外嫁")


def test_change_of_head_keeps_one_head(in_a):
    household = in_a.households[0]
    son = ResidentFactory(household=household, name="张小明")
    life.change_head(membership=member(in_a.clerk), household=household, new_head=son, reason="年迈")
    assert list(household.members.current().filter(is_head=True)) == [son]
    with pytest.raises(DomainError, match="已是户主"):
        life.change_head(membership=member(in_a.clerk), household=household, new_head=son, reason="x")


def test_a_former_member_can_share_an_id_number_with_the_current_one(in_a):
    """The person who moved continues as a new row with the same ID number (the old row is ended)."""
    other = in_a.households[1]
    moved = life.transfer_members(
        membership=member(in_a.admin), residents=[in_a.resident], to_household=other, moved_on=TODAY
    )
    assert moved[0].id_number == in_a.resident.id_number and moved[0].continued_from_id == in_a.resident.pk


def test_the_data_migration_stops_memberless_households_taking_part(in_a):
    """households 0016 on existing data: a household without current members stops taking part, with the reason."""
    import importlib

    from django.apps import apps

    from households.models import Household
    from tests.factories import HouseholdFactory

    migration = importlib.import_module("households.migrations.0016_memberless_households_do_not_take_part")
    empty = HouseholdFactory(area=in_a.areas[0], number="A-900")
    migration.memberless_do_not_take_part(apps, None)
    empty.refresh_from_db()
    assert (empty.participation, empty.participation_reason) == (Participation.NOT_ELIGIBLE, migration.REASON)
    assert Household.objects.get(pk=in_a.households[0].pk).participation == Participation.TAKING_PART
