"""The roster's rules, tested on the services directly (pages and API only wire them)."""

import pytest
from django.db import IntegrityError, transaction

from core.errors import DomainError
from core.tenancy import no_township_scope, township_scope
from households import selectors, services
from households.models import Household, HouseholdMove, Membership, Participation, Resident, Role
from tests.contract import member
from tests.factories import AreaFactory, HouseholdFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_a(world):
    """Run the test body inside township A's scope only, as a request would."""
    with no_township_scope(), township_scope(world.a.township):
        yield world.a


# Moves ----------------------------------------------------------------------------------------------------------


def test_move_changes_village_and_area_and_records_the_move(in_a):
    household = in_a.households[0]
    move = services.move_household(
        membership=member(in_a.admin), household=household, to_area=in_a.areas[1], reason=" 分户 "
    )
    household.refresh_from_db()
    assert (household.village_id, household.area_id) == (in_a.villages[1].pk, in_a.areas[1].pk)
    assert (move.from_village_id, move.from_area_id, move.to_village_id, move.to_area_id) == (
        in_a.villages[0].pk, in_a.areas[0].pk, in_a.villages[1].pk, in_a.areas[1].pk,
    )  # fmt: skip
    assert (move.reason, move.moved_by, move.township_id) == ("分户", in_a.admin, in_a.township.pk)


def test_moved_household_keeps_its_members_and_its_history(in_a):
    household = in_a.households[0]
    records_before = household.history.count()
    services.move_household(
        membership=member(in_a.admin), household=household, to_area=in_a.areas[1], reason="搬迁"
    )
    assert list(household.members.values_list("name", flat=True)) == ["张三明"]
    latest = household.history.first()
    assert household.history.count() == records_before + 1
    assert (latest.history_user, latest.history_change_reason, latest.area_id) == (
        in_a.admin,
        "搬迁",
        in_a.areas[1].pk,
    )


def test_move_into_another_township_is_refused(world):
    household = world.a.households[0]
    with pytest.raises(DomainError) as error:
        services.move_household(
            membership=member(world.a.admin), household=household, to_area=world.b.areas[0], reason="越界"
        )
    household.refresh_from_db()
    assert error.value.field == "to_area"
    assert household.area_id == world.a.areas[0].pk
    assert not HouseholdMove.objects.exists()


def test_move_needs_a_reason_and_another_area(in_a):
    household = in_a.households[0]
    with pytest.raises(DomainError) as no_reason:
        services.move_household(
            membership=member(in_a.admin), household=household, to_area=in_a.areas[1], reason="  "
        )
    with pytest.raises(DomainError) as same_area:
        services.move_household(
            membership=member(in_a.admin), household=household, to_area=in_a.areas[0], reason="原地"
        )
    assert (no_reason.value.field, same_area.value.field) == ("reason", "to_area")
    assert not HouseholdMove.objects.exists()


# Head of household ----------------------------------------------------------------------------------------------


def test_adding_a_new_head_demotes_the_previous_one(in_a):
    household = in_a.households[0]
    services.add_resident(membership=member(in_a.clerk), household=household, name="张大明", is_head=True)
    heads = list(household.members.filter(is_head=True).values_list("name", flat=True))
    assert heads == ["张大明"]
    demoted = Resident.objects.get(pk=in_a.resident.pk)
    assert demoted.is_head is False
    assert demoted.history.first().history_user == in_a.clerk


def test_making_a_member_head_demotes_the_previous_one(in_a):
    household = in_a.households[0]
    son = ResidentFactory(household=household, name="张小明")
    services.update_resident(membership=member(in_a.clerk), resident=son, is_head=True)
    assert list(household.members.filter(is_head=True).values_list("name", flat=True)) == ["张小明"]


def test_database_refuses_two_heads_in_one_household(in_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentFactory(household=in_a.households[0], name="第二户主", is_head=True)


def test_household_is_created_with_its_head(in_a):
    household = services.create_household(
        membership=member(in_a.clerk),
        area=in_a.areas[0],
        number=" A-200 ",
        head={"name": "钱七", "birth_year": 1960},
    )
    head = household.members.get()
    assert (household.number, household.village_id) == ("A-200", in_a.villages[0].pk)
    assert (head.name, head.is_head, head.birth_year) == ("钱七", True, 1960)


def test_invalid_head_writes_no_household(in_a):
    with pytest.raises(DomainError) as error:
        services.create_household(
            membership=member(in_a.clerk),
            area=in_a.areas[0],
            number="A-201",
            head={"name": "钱七", "mobile": "123"},
        )
    assert error.value.field == "mobile"
    assert not Household.objects.filter(number="A-201").exists()


# Participation --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Participation.NOT_ELIGIBLE, Participation.OPTED_OUT])
def test_not_taking_part_needs_a_reason(in_a, status):
    household = in_a.households[0]
    with pytest.raises(DomainError) as error:
        services.update_household(
            membership=member(in_a.clerk), household=household, participation=status, participation_reason=" "
        )
    household.refresh_from_db()
    assert error.value.field == "participation_reason"
    assert household.participation == Participation.TAKING_PART


@pytest.mark.parametrize("status", [Participation.TAKING_PART, Participation.ELDERLY_OPTED_IN])
def test_taking_part_needs_no_reason(in_a, status):
    household = services.update_household(
        membership=member(in_a.clerk), household=in_a.households[0], participation=status
    )
    assert household.takes_part


def test_opting_out_with_a_reason_is_kept(in_a):
    household = in_a.households[0]
    services.update_household(
        membership=member(in_a.clerk),
        household=household,
        participation=Participation.OPTED_OUT,
        participation_reason="不愿参加",
    )
    household.refresh_from_db()
    assert (household.participation, household.participation_reason, household.takes_part) == (
        "opted_out", "不愿参加", False,
    )  # fmt: skip
    assert list(Household.objects.taking_part().values_list("number", flat=True)) == ["A-002"]


# Memberships ----------------------------------------------------------------------------------------------------


def test_granting_a_clerk_role_needs_villages(in_a):
    user = UserFactory(username="nov")
    with pytest.raises(DomainError) as error:
        services.grant_membership(membership=member(in_a.admin), user=user, role=Role.VILLAGE_CLERK)
    assert error.value.field == "villages"
    assert not Membership.objects.filter(user=user).exists()


def test_granting_villages_of_another_township_is_refused(world):
    user = UserFactory(username="cross")
    with pytest.raises(DomainError) as error:
        services.grant_membership(
            membership=member(world.a.admin), user=user, role=Role.VILLAGE_CLERK,
            villages=[world.b.villages[0]],
        )  # fmt: skip
    assert error.value.field == "villages"
    assert not Membership.objects.filter(user=user).exists()


def test_granting_twice_changes_the_role_of_the_one_membership(in_a):
    user = UserFactory(username="twice")
    services.grant_membership(
        membership=member(in_a.admin),
        user=user,
        role=Role.VILLAGE_CLERK,
        villages=[in_a.villages[0]],
    )
    services.grant_membership(membership=member(in_a.admin), user=user, role=Role.SUPERVISOR)
    membership = Membership.objects.get(user=user)
    assert (membership.role, list(membership.villages.all())) == (Role.SUPERVISOR, [])
    assert membership.history.first().history_user == in_a.admin


def test_revoking_deletes_the_membership_and_keeps_a_record(in_a):
    membership = Membership.objects.get(user=in_a.clerk)
    pk = membership.pk
    services.revoke_membership(membership=member(in_a.admin), target=membership)
    assert not Membership.objects.filter(user=in_a.clerk).exists()
    record = Membership.history.filter(id=pk).first()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "-",
        in_a.admin,
        "revoked",
    )


def test_new_member_account_gets_its_first_password_and_membership(in_a):
    membership = services.create_member_account(
        membership=member(in_a.admin), username=" xiaoli ", password="Xiaoli-2026-pw",
        role=Role.PANEL_MEMBER, villages=[in_a.villages[1]],
    )  # fmt: skip
    assert membership.user.username == "xiaoli"
    assert membership.user.check_password("Xiaoli-2026-pw")
    assert (membership.role, list(membership.villages.all())) == (Role.PANEL_MEMBER, [in_a.villages[1]])


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("a-supervisor", "Xiaoli-2026-pw", "username"),
        ("xiaoli", "", "password"),
        ("xiaoli", "password", "password"),
    ],
)
def test_new_member_account_refuses_taken_names_and_weak_passwords(in_a, username, password, field):
    from django.contrib.auth import get_user_model

    users_before = get_user_model().objects.count()
    with pytest.raises(DomainError) as error:
        services.create_member_account(
            membership=member(in_a.admin),
            username=username,
            password=password,
            role=Role.SUPERVISOR,
        )
    assert error.value.field == field
    assert get_user_model().objects.count() == users_before


def test_new_member_account_is_not_created_when_the_role_is_refused(in_a):
    from django.contrib.auth import get_user_model

    with pytest.raises(DomainError):
        services.create_member_account(
            membership=member(in_a.admin), username="xiaozhao", password="Xiaozhao-2026-pw",
            role=Role.VILLAGE_CLERK,
        )  # fmt: skip
    assert not get_user_model().objects.filter(username="xiaozhao").exists()


# Area size ------------------------------------------------------------------------------------------------------


def test_area_size_warning_above_the_soft_limit(in_a, settings):
    settings.JIFEN_AREA_SOFT_LIMIT = 3
    area = AreaFactory(village=in_a.villages[0], name="大组")
    HouseholdFactory.create_batch(3, area=area)
    assert selectors.area_size_warning(area) is None  # 3 is not above 3
    assert selectors.area_size_warning(area, extra=1) == "片区“大组”现有4户，超过建议的3户。"
    HouseholdFactory(area=area)
    assert selectors.area_size_warning(area) == "片区“大组”现有4户，超过建议的3户。"


def test_area_size_warning_counts_only_that_area(in_a, settings):
    settings.JIFEN_AREA_SOFT_LIMIT = 1
    assert selectors.area_size_warning(in_a.areas[0]) is None  # one household each
    assert selectors.area_size_warning(in_a.areas[1]) is None
