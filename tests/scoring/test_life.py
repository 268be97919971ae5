"""A household's life where points move (issue 16): split, merge, moving out. Expected numbers by hand."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import DomainError
from core.tenancy import no_township_scope, township_scope
from households.models import (
    Household,
    HouseholdStatus,
    LifeEvent,
    Participation,
    Resident,
    ResidentEndReason,
)
from scoring import services
from scoring.life_selectors import balances
from scoring.models import Entry, EntrySource, EntryState, Scheme, SplitPoints, Transfer, TransferState
from scoring.selectors import recordable_households
from scoring.services import life
from tests.factories import ResidentFactory
from tests.notices import approve_through_notice
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def town(world):
    """Town A's scheme; household A-001 has four members and 10 approved points (five clerk entries of +2)."""
    with no_township_scope(), township_scope(world.a.township):
        cat = Catalogue(world)
        h1 = world.a.households[0]
        for name in ("张二", "张三", "张四"):
            ResidentFactory(household=h1, name=name)
        approve_through_notice([cat.record(h1) for _ in range(5)])
        cat.today = timezone.localdate()
        yield cat


def _member(household, name):
    return Resident.objects.get(household=household, name=name, ended_on__isnull=True)


def _split(town, **kwargs):
    h1 = town.world.a.households[0]
    if "leaving" not in kwargs:
        kwargs["leaving"] = [_member(h1, "张二"), _member(h1, "张三")]
    if "head" not in kwargs:
        kwargs["head"] = _member(h1, "张二")
    args = {
        "membership": town.office,
        "household": h1,
        "number": "A-101",
        "area": town.world.a.areas[0],
        "split_on": town.day,
        "reason": "子女成家分户",
    } | kwargs
    return life.split_household(**args)


def _set_rule(town, rule):
    Scheme.objects.filter(pk=town.scheme.pk).update(split_points=rule)
    town.scheme.refresh_from_db()


def test_split_by_members_moves_half_of_ten_points_by_two_ledger_entries(town):
    _set_rule(town, SplitPoints.BY_MEMBERS)
    event = _split(town)
    new = event.other_household
    assert (new.number, new.split_from_id) == ("A-101", town.h1.pk)
    assert sorted(new.members.current().values_list("name", "is_head")) == [("张三", False), ("张二", True)]
    # 2 of 4 members leave: 10 × 2 / 4 = 5 points, a debit and a credit, named by the split, waiting for a notice
    transfer = Transfer.objects.get(life_event=event)
    assert (transfer.debit.points, transfer.credit.points) == (D("-5"), D("5"))
    assert transfer.debit.source == EntrySource.TRANSFER and transfer.state == TransferState.APPROVED
    assert transfer.debit.state == EntryState.PROPOSED and "子女成家分户" in transfer.debit.reason
    approve_through_notice([transfer.debit, transfer.credit])
    assert sum(balances(town.h1, town.scheme).values()) == D("5")
    assert sum(balances(new, town.scheme).values()) == D("5")
    # the members who left are kept in the original household as former members
    gone = Resident.objects.get(household=town.h1, name="张二")
    assert (gone.ended_on, gone.end_reason, gone.ended_by) == (
        town.day,
        ResidentEndReason.OTHER_HOUSEHOLD,
        town.world.a.admin,
    )


def test_split_by_members_with_three_members_cuts_to_the_cent(town):
    _set_rule(town, SplitPoints.BY_MEMBERS)
    event = _split(town, leaving=[_member(town.h1, "张二")], head=_member(town.h1, "张二"))
    # 1 of 4 members: 10 / 4 = 2.5
    assert Transfer.objects.get(life_event=event).credit.points == D("2.5")


def test_split_with_points_staying_moves_nothing(town):
    _set_rule(town, SplitPoints.STAY)
    event = _split(town)
    assert not Transfer.objects.filter(life_event=event).exists()
    with pytest.raises(DomainError, match="请不要填写积分数"):
        _split(
            town,
            number="A-102",
            leaving=[_member(town.h1, "张四")],
            head=_member(town.h1, "张四"),
            points="3",
        )


def test_split_with_an_explicit_amount_moves_what_the_clerk_typed(town):
    _set_rule(town, SplitPoints.EXPLICIT)
    event = _split(town, points="3.5")
    assert Transfer.objects.get(life_event=event).credit.points == D("3.5")


@pytest.mark.parametrize("points", ["0", "10.5", "-1"])
def test_split_refuses_an_explicit_amount_outside_the_balance(town, points):
    _set_rule(town, SplitPoints.EXPLICIT)
    with pytest.raises(DomainError, match="不超过该户已审批积分 10 的"):
        _split(town, points=points)
    assert not Household.objects.filter(number="A-101").exists()


def test_split_that_leaves_the_original_without_a_head_is_refused_and_writes_nothing(town):
    head = _member(town.h1, "张三明")
    with pytest.raises(DomainError, match="原户将没有户主"):
        _split(town, leaving=[head, _member(town.h1, "张二")], head=_member(town.h1, "张二"))
    assert not Household.objects.filter(number="A-101").exists()
    assert Resident.objects.filter(household=town.h1).current().count() == 4


@pytest.mark.parametrize(
    "change, message",
    [
        ({"leaving": []}, "请选择分出组成新户的家庭成员"),
        ({"head": "张四"}, "新户户主必须是分出的成员之一"),
        ({"split_on": timezone.localdate() + datetime.timedelta(days=1)}, "晚于今天"),
        ({"number": "A-002"}, "该户号在本乡镇已被使用"),
    ],
)
def test_split_refuses_bad_input_and_writes_nothing(town, change, message):
    if change.get("head") == "张四":
        change = {"head": _member(town.h1, "张四")}
    entries = Entry.objects.count()
    with pytest.raises(DomainError, match=message):
        _split(town, **change)
    assert Entry.objects.count() == entries and not LifeEvent.objects.exists()
    assert Resident.objects.filter(household=town.h1).current().count() == 4


def test_split_of_every_member_is_refused(town):
    everyone = list(Resident.objects.filter(household=town.h1).current())
    with pytest.raises(DomainError):
        _split(town, leaving=everyone)


def test_merge_adds_the_points_moves_the_members_and_ends_the_absorbed_household(town):
    h2 = town.world.a.households[1]  # the other village of the township
    approve_through_notice([town.record(h2), town.record(h2)])  # 4 points
    event = life.merge_households(
        membership=town.office, household=town.h1, absorbed=h2, merged_on=town.day, reason="合户"
    )
    h2.refresh_from_db()
    assert (h2.status, h2.merged_into_id, h2.ended_on) == (HouseholdStatus.MERGED, town.h1.pk, town.day)
    assert not h2.takes_part and h2.participation == Participation.NOT_ELIGIBLE
    assert "李四" in town.h1.members.current().values_list("name", flat=True)
    assert town.h1.members.current().filter(is_head=True).get().name == "张三明"  # the one head stays
    transfer = Transfer.objects.get(life_event=event)
    approve_through_notice([transfer.debit, transfer.credit])
    assert sum(balances(town.h1, town.scheme).values()) == D("14")  # 10 + 4
    assert sum(balances(h2, town.scheme).values()) == D("0")


def test_merge_into_itself_is_refused(town):
    with pytest.raises(DomainError, match="不能与自身合户"):
        life.merge_households(
            membership=town.office, household=town.h1, absorbed=town.h1, merged_on=town.day, reason="x"
        )


def test_merge_across_townships_is_refused_and_writes_nothing(town):
    with no_township_scope():
        other = Household._base_manager.get(number="B-001")
    with pytest.raises(DomainError, match="不属于本镇"):
        life.merge_households(
            membership=town.office, household=town.h1, absorbed=other, merged_on=town.day, reason="x"
        )
    assert not LifeEvent.objects.exists()


def test_merge_waits_for_the_absorbed_households_pending_entries(town):
    h2 = town.world.a.households[1]
    town.record(h2)  # proposed, not yet approved
    with pytest.raises(DomainError, match="条积分记录待审批"):
        life.merge_households(
            membership=town.office, household=town.h1, absorbed=h2, merged_on=town.day, reason="合户"
        )


def test_moving_out_transfers_the_points_and_closes_the_account(town):
    h2 = town.world.a.households[1]
    event = life.close_household(
        membership=town.office, household=town.h1, moved_out_on=town.day, reason="迁往外省", transfer_to=h2
    )
    town.h1.refresh_from_db()
    assert (town.h1.status, town.h1.ended_on, town.h1.takes_part) == (HouseholdStatus.CLOSED, town.day, False)
    assert not town.h1.members.current().exists()
    assert set(town.h1.members.values_list("end_reason", flat=True)) == {ResidentEndReason.MOVED_OUT}
    transfer = Transfer.objects.get(life_event=event)
    approve_through_notice([transfer.debit, transfer.credit])
    assert sum(balances(h2, town.scheme).values()) == D("10")
    # a closed household receives no entries and is not offered by pickers
    with pytest.raises(DomainError, match="已终止"):
        town.record(town.h1)
    assert not Household.objects.open().filter(pk=town.h1.pk).exists()
    assert not Household.objects.taking_part().filter(pk=town.h1.pk).exists()  # rankings and stars pass it by
    assert town.h1 not in recordable_households(
        town.office, only_taking_part=False
    )  # pickers do not offer it


def test_a_point_move_never_edits_an_entry(town):
    before = list(Entry.objects.values_list("pk", "points", "state").order_by("pk"))
    _set_rule(town, SplitPoints.BY_MEMBERS)
    _split(town)
    after = list(Entry.objects.values_list("pk", "points", "state").order_by("pk"))
    assert after[: len(before)] == before and len(after) == len(before) + 2


def test_a_closed_household_cannot_take_points_by_transfer(town):
    h2 = town.world.a.households[1]
    life.close_household(membership=town.office, household=h2, moved_out_on=town.day, reason="迁出")
    with pytest.raises(DomainError, match="已终止"):
        services.transfer_points(
            membership=town.office,
            scheme=town.scheme,
            from_household=town.h1,
            to_household=h2,
            category=town.category,
            points="1",
            reason="x",
        )


def test_moving_out_waits_for_entries_still_waiting_for_approval(town):
    town.record(town.h1)  # proposed: it would count for a closed account
    with pytest.raises(DomainError, match="条积分记录待审批"):
        life.close_household(membership=town.office, household=town.h1, moved_out_on=town.day, reason="迁出")
    town.h1.refresh_from_db()
    assert town.h1.status == HouseholdStatus.ACTIVE and town.h1.members.current().count() == 4
