"""The audit trail page: changes made through services show who, when and before → after, one township only."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tenancy import no_township_scope, township_scope
from households import services
from households.models import Household, Participation, Role, Village
from tests.contract import member
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def history_url(township) -> str:
    return reverse("households:history", kwargs={"township_slug": township.slug})


def entries(client, township, **params):
    response = client.get(history_url(township), params)
    assert response.status_code == 200
    return response, response.context["entries"]


def test_a_change_through_services_shows_actor_and_before_after_to_the_supervisor(world, login):
    household = world.a.households[0]
    with no_township_scope(), township_scope(world.a.township):
        services.update_household(
            membership=member(world.a.clerk),
            household=household,
            reason="户主申请",
            participation=Participation.OPTED_OUT,
            participation_reason="外出务工",
        )
    response, shown = entries(login(world.a.supervisor), world.a.township)
    newest = shown[0]
    changes = {change.label: (change.before, change.after) for change in newest.changes}
    assert (newest.who, newest.change_type, newest.object_label, newest.reason) == (
        "a-village_clerk", "~", "A-001", "户主申请",
    )  # fmt: skip
    assert changes == {"参与状态": ("参与", "自愿退出"), "参与状态说明": ("—", "外出务工")}
    page = response.content.decode()
    assert "a-village_clerk" in page and "<del>参与</del> → 自愿退出" in page


def test_a_move_shows_the_village_and_area_before_and_after(world, login):
    household = world.a.households[0]
    with no_township_scope(), township_scope(world.a.township):
        services.move_household(
            membership=member(world.a.admin), household=household, to_area=world.a.areas[1], reason="搬迁"
        )
    _, shown = entries(login(world.a.admin), world.a.township)
    changes = {change.label: (change.before, change.after) for change in shown[0].changes}
    assert changes == {"村": ("a东村", "a西村"), "片区": ("一组", "一组")}  # each village's own 一组
    assert shown[0].reason == "搬迁"


def test_resident_id_and_mobile_numbers_stay_masked_in_the_history(world, login):
    with no_township_scope(), township_scope(world.a.township):
        services.update_resident(
            membership=member(world.a.clerk), resident=world.a.resident, mobile="13912345678"
        )
    response, shown = entries(login(world.a.supervisor), world.a.township)
    changes = {change.label: (change.before, change.after) for change in shown[0].changes}
    assert changes == {"手机号码": ("138****8000", "139****5678")}
    assert shown[0].object_label == "张三明 (A-001)"
    page = response.content.decode()
    assert "13912345678" not in page and "13800138000" not in page
    assert "11010519491231002X" not in page


def test_creations_and_ended_members_show_with_their_kind(world, login):
    with no_township_scope(), township_scope(world.a.township):
        village = services.create_village(membership=member(world.a.admin), name="新村", code="9")
        area = services.create_area(membership=member(world.a.admin), village=village, name="三组")
        services.remove_resident(membership=member(world.a.clerk), resident=world.a.resident, reason="去世")
    _, shown = entries(login(world.a.supervisor), world.a.township)
    # the household's last member left: it stops taking part (recorded after the member's leaving)
    participation, removal, area_created, village_created = shown[:4]
    assert (participation.object_label, participation.reason) == ("A-001", "no members left")
    assert (removal.change_type, removal.who, removal.reason, removal.object_label) == (
        "~", "a-village_clerk", "去世", "张三明 (A-001)",
    )  # fmt: skip
    assert (area_created.change_type, area_created.object_label) == ("+", f"新村 · {area.name}")
    assert (village_created.change_type, village_created.object_label, village_created.who) == (
        "+", "新村", "a-township_admin",
    )  # fmt: skip
    assert {c.label: c.after for c in village_created.changes} == {"名称": "新村", "编码": "9"}


def test_membership_changes_show_role_and_villages(world, login):
    newcomer = UserFactory(username="newcomer")
    with no_township_scope(), township_scope(world.a.township):
        services.grant_membership(
            membership=member(world.a.admin), user=newcomer, role=Role.VILLAGE_CLERK,
            villages=[world.a.villages[1], world.a.villages[0]],
        )  # fmt: skip
        services.grant_membership(
            membership=member(world.a.admin), user=newcomer, role=Role.PANEL_MEMBER,
            villages=[world.a.villages[1]],
        )  # fmt: skip
    _, shown = entries(login(world.a.admin), world.a.township)
    mine = [entry for entry in shown if entry.object_label == "newcomer"]
    # Newest first: villages narrowed, role changed, villages set, membership created.
    summary = [(e.change_type, {c.label: (c.before, c.after) for c in e.changes}) for e in mine]
    assert summary == [
        ("~", {"村": ("a东村, a西村", "a西村")}),
        ("~", {"角色": ("村文书", "评议小组成员")}),
        ("~", {"村": ("", "a东村, a西村")}),
        ("+", {"角色": ("", "村文书")}),
    ]


def test_township_b_history_never_shows_in_a(world, login):
    with no_township_scope(), township_scope(world.b.township):
        services.create_village(membership=member(world.b.admin), name="B专属村")
        services.update_household(
            membership=member(world.b.admin), household=world.b.households[0], address="B街1号"
        )
    response, shown = entries(login(world.a.supervisor), world.a.township)
    page = response.content.decode()
    assert "B专属村" not in page and "B街1号" not in page and "b-township_admin" not in page
    assert {entry.object_label for entry in shown if entry.kind == "household"} == {"A-001", "A-002"}
    labels = {entry.object_label for entry in shown if entry.kind == "village"}
    assert labels == {"a东村", "a西村"}


def test_history_of_another_township_is_404_by_slug(world, login):
    assert login(world.b.supervisor).get(history_url(world.a.township)).status_code == 404


def test_history_times_are_shown_in_asia_shanghai(world, login):
    household = world.a.households[0]
    with no_township_scope(), township_scope(world.a.township):
        services.update_household(membership=member(world.a.admin), household=household, address="新址")
    record = Household.history.filter(id=household.pk).first()
    utc_noon = datetime.datetime(2026, 3, 1, 4, 30, 5, tzinfo=datetime.UTC)
    Household.history.filter(history_id=record.history_id).update(history_date=utc_noon)
    response, _ = entries(login(world.a.admin), world.a.township)
    assert "2026-03-01 12:30:05" in response.content.decode()


def test_supervisor_changes_nothing_on_the_history_page(world, login):
    before = [model.history.count() for model in (Village, Household)]
    client = login(world.a.supervisor)
    assert client.post(history_url(world.a.township), {"anything": "1"}).status_code == 200
    assert [model.history.count() for model in (Village, Household)] == before


def test_history_page_costs_the_same_queries_for_few_or_many_records(login, django_assert_num_queries):
    from tests.factories import TownshipFactory

    township = TownshipFactory(slug="town-c")
    admin = UserFactory(username="c-admin")
    MembershipFactory(user=admin, township=township, role=Role.TOWNSHIP_ADMIN)
    client = login(admin)

    def add_households(count, prefix):
        with no_township_scope(), township_scope(township):
            village = services.create_village(membership=member(admin), name=f"{prefix}村")
            area = services.create_area(membership=member(admin), village=village, name="一组")
            for n in range(count):
                services.create_household(
                    membership=member(admin), area=area, number=f"{prefix}-{n}", head={"name": f"户主{n}"}
                )

    add_households(1, "C")  # village, area, household, resident, membership: every kind on the page
    client.get(history_url(township))
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(history_url(township)).context["entries"]) == 5
    add_households(10, "D")  # 2 + 10 households + 10 heads more
    with django_assert_num_queries(len(few)):
        assert len(client.get(history_url(township)).context["entries"]) == 27


def test_history_is_paginated_newest_first(world, login):
    with no_township_scope(), township_scope(world.a.township):
        for n in range(60):
            services.update_household(
                membership=member(world.a.admin), household=world.a.households[0], address=f"路{n}号"
            )
    client = login(world.a.admin)
    _, first = entries(client, world.a.township)
    _, second = entries(client, world.a.township, page=2)
    assert len(first) == 50
    assert first[0].changes[0].after == "路59号"
    assert first[0].when >= first[-1].when >= second[0].when
