"""Review panels on pages (issue 16, item 1): members over the year, replacement mid-year with history, the
minimum of five counted on current members only, and other townships' panels out of reach."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.tenancy import township_scope
from households.models import Role
from review import selectors, services
from review.models import PanelMember, ReviewPanel
from tests.contract import member
from tests.factories import MembershipFactory, UserFactory
from tests.review.conftest import KINDS

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def url(name: str, township, **kwargs) -> str:
    return reverse(f"review:{name}", kwargs={"township_slug": township.slug, **kwargs})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def seats() -> list:
    return sorted(
        PanelMember.objects.values_list("pk", "panel_id", "user_id", "kind", "since", "until", "end_reason")
    )


def newcomer(rw, username="p-new", village=None):
    user = UserFactory(username=username, first_name="新成员")
    MembershipFactory(
        user=user, township=rw.township, role=Role.PANEL_MEMBER, villages=[village or rw.village]
    )
    return user


def seat_of(rw, user) -> PanelMember:
    return PanelMember.objects.get(panel=rw.panel1, user=user, until__isnull=True)


# Services ---------------------------------------------------------------------------------------------------------


def test_a_replacement_ends_the_old_seat_and_starts_the_new_one_the_same_day(rw):
    leaving = rw.members1[0].user
    new = newcomer(rw)
    today = timezone.localdate()
    with township_scope(rw.township):
        seat = services.replace_panel_member(
            membership=rw.membership(rw.admin),
            seat=seat_of(rw, leaving),
            user=new,
            kind=KINDS[0],
            on=today,
            reason="调任乡镇工作",
        )
    old = PanelMember.objects.get(panel=rw.panel1, user=leaving)
    assert (old.until, old.end_reason, old.ended_by, old.replaced_by) == (
        today,
        "调任乡镇工作",
        rw.admin,
        seat,
    )
    assert (seat.since, seat.added_by) == (today, rw.admin)
    current = set(PanelMember.objects.current().filter(panel=rw.panel1).values_list("user_id", flat=True))
    assert len(current) == 5 and new.pk in current and leaving.pk not in current


def test_a_replaced_member_no_longer_inspects_for_the_panel(rw):
    leaving = rw.members1[0].user
    round_ = services.create_round(
        membership=rw.membership(rw.clerk),
        village=rw.village,
        scheme=rw.scheme,
        kind="quarterly",
        period="2026-Q1",
    )
    services.assign_panel(membership=rw.membership(rw.clerk), round=round_, panel=rw.panel1, area=rw.area2)
    with township_scope(rw.township):
        assert [a.area for a in selectors.assigned_areas(round_, leaving)] == [rw.area2]
        services.replace_panel_member(
            membership=rw.membership(rw.admin),
            seat=seat_of(rw, leaving),
            user=newcomer(rw),
            kind=KINDS[0],
            on=timezone.localdate(),
            reason="外出务工",
        )
        assert list(selectors.assigned_areas(round_, leaving)) == []


@pytest.mark.parametrize(
    "case",
    [
        "already_on_the_panel",
        "other_village",
        "other_township",
        "no_reason",
        "future",
        "before_joining",
        "ended",
    ],
)
def test_a_bad_replacement_is_refused_and_writes_nothing(rw, case):
    today = timezone.localdate()
    leaving = rw.members1[0].user
    seat = seat_of(rw, leaving)
    kwargs = {"user": newcomer(rw), "on": today, "reason": "调离"}
    if case == "already_on_the_panel":
        kwargs["user"] = rw.members1[1].user
    elif case == "other_village":
        kwargs["user"] = newcomer(rw, "p-west", village=rw.world.a.villages[1])
    elif case == "other_township":
        kwargs["user"] = rw.world.b.panel
    elif case == "no_reason":
        kwargs["reason"] = "  "
    elif case == "future":
        kwargs["on"] = today + datetime.timedelta(days=1)
    elif case == "before_joining":
        kwargs["on"] = seat.since - datetime.timedelta(days=1)
    elif case == "ended":
        PanelMember.objects.filter(pk=seat.pk).update(until=today, end_reason="已离任")
        seat.refresh_from_db()
    before = seats()
    with township_scope(rw.township), pytest.raises(DomainError):
        services.replace_panel_member(membership=rw.membership(rw.admin), seat=seat, kind=KINDS[0], **kwargs)
    assert seats() == before


def test_a_removal_may_not_leave_fewer_than_five_current_members(rw):
    admin = rw.membership(rw.admin)
    today = timezone.localdate()
    before = seats()
    with township_scope(rw.township):
        with pytest.raises(DomainError) as refused:
            services.remove_panel_member(
                membership=admin, seat=seat_of(rw, rw.members1[0].user), on=today, reason="调离"
            )
        assert refused.value.code == "panel_minimum"
        assert seats() == before
        services.add_panel_member(membership=admin, panel=rw.panel1, user=newcomer(rw), kind=KINDS[4])
        services.remove_panel_member(
            membership=admin, seat=seat_of(rw, rw.members1[0].user), on=today, reason="调离"
        )
    assert PanelMember.objects.current().filter(panel=rw.panel1).count() == 5
    assert PanelMember.objects.filter(panel=rw.panel1).count() == 6  # the ended seat stays on record


def test_a_quorum_counts_current_members_only(rw):
    """A replaced member who still shows up at the meeting is not one of the panel."""
    round_ = services.create_round(
        membership=rw.membership(rw.clerk),
        village=rw.village,
        scheme=rw.scheme,
        kind="quarterly",
        period="2026-Q1",
    )
    leaving = rw.members1[0].user
    with township_scope(rw.township):
        services.replace_panel_member(
            membership=rw.membership(rw.admin),
            seat=seat_of(rw, leaving),
            user=newcomer(rw),
            kind=KINDS[0],
            on=timezone.localdate(),
            reason="外出务工",
        )
    round_.state = "panel_review"
    round_.save(update_fields=["state"])
    attendees = [m.user for m in rw.members1]  # includes the replaced member
    with township_scope(rw.township), pytest.raises(DomainError) as refused:
        services.record_panel_meeting(
            membership=rw.membership(rw.clerk),
            round=round_,
            panel=rw.panel1,
            attendees=attendees,
            held_on=timezone.localdate(),
        )
    assert refused.value.field == "attendees"


def test_the_api_shows_current_members_only(rw):
    leaving = rw.members1[0].user
    new = newcomer(rw)
    with township_scope(rw.township):
        services.replace_panel_member(
            membership=rw.membership(rw.admin),
            seat=seat_of(rw, leaving),
            user=new,
            kind=KINDS[0],
            on=timezone.localdate(),
            reason="外出务工",
        )
    body = client_for(rw.clerk).get(f"/api/v1/t/{rw.township.slug}/panels/{rw.panel1.pk}/").json()
    users = [m["user"] for m in body["members"]]
    assert len(users) == 5 and new.pk in users and leaving.pk not in users


# Pages ------------------------------------------------------------------------------------------------------------


def test_the_office_replaces_a_member_on_the_page_and_the_history_shows(rw):
    leaving = rw.members1[0].user
    new = newcomer(rw)
    admin = client_for(rw.admin)
    response = admin.post(
        url("panel-member-replace", rw.township, pk=seat_of(rw, leaving).pk),
        {"user": new.pk, "kind": KINDS[0], "on": timezone.localdate().isoformat(), "reason": "外出务工"},
    )
    assert response.status_code == 302
    page = admin.get(url("panel-detail", rw.township, pk=rw.panel1.pk)).content.decode()
    assert "外出务工" in page and "新成员" in page and leaving.username in page
    assert PanelMember.objects.get(panel=rw.panel1, user=leaving).until == timezone.localdate()


def test_a_replacement_by_a_sitting_member_shows_why_on_the_page(rw):
    before = seats()
    response = client_for(rw.admin).post(
        url("panel-member-replace", rw.township, pk=seat_of(rw, rw.members1[0].user).pk),
        {
            "user": rw.members1[1].user.pk,
            "kind": KINDS[0],
            "on": timezone.localdate().isoformat(),
            "reason": "x",
        },
    )
    assert response.status_code == 200 and "已是" in response.content.decode()
    assert seats() == before


def test_a_panel_is_created_on_the_page_with_five_members(rw):
    people = [newcomer(rw, f"p-c{n}") for n in range(5)]
    data = {"village": rw.village.pk, "name": "第三评议小组", "home_area": rw.area2.pk}
    for n, (user, kind) in enumerate(zip(people, KINDS, strict=True), start=1):
        data |= {f"user_{n}": user.pk, f"kind_{n}": kind}
    admin = client_for(rw.admin)
    short = {k: v for k, v in data.items() if not k.endswith("_5")}
    response = admin.post(url("panel-create", rw.township), short)
    assert response.status_code == 200 and not ReviewPanel.objects.filter(name="第三评议小组").exists()
    assert admin.post(url("panel-create", rw.township), data).status_code == 302
    panel = ReviewPanel.objects.get(name="第三评议小组")
    assert set(panel.members.values_list("user_id", flat=True)) == {user.pk for user in people}


def test_another_townships_panels_are_not_found(rw):
    b_admin = client_for(rw.world.b.admin)
    seat = seat_of(rw, rw.members1[0].user)
    before = seats()
    assert b_admin.get(url("panel-detail", rw.world.b.township, pk=rw.panel1.pk)).status_code == 404
    assert b_admin.post(url("panel-detail", rw.world.b.township, pk=rw.panel1.pk), {}).status_code == 404
    for name in ["panel-member-replace", "panel-member-remove"]:
        target = url(name, rw.world.b.township, pk=seat.pk)
        assert b_admin.get(target).status_code == 404
        assert (
            b_admin.post(target, {"on": timezone.localdate().isoformat(), "reason": "x"}).status_code == 404
        )
    assert seats() == before
    assert "第一评议小组" not in b_admin.get(url("panel-list", rw.world.b.township)).content.decode()


def test_a_panel_member_reads_the_panels_but_cannot_change_them(rw):
    panel_member = client_for(rw.members1[0].user)
    assert panel_member.get(url("panel-list", rw.township)).status_code == 200
    seat = seat_of(rw, rw.members1[1].user)
    before = seats()
    assert (
        panel_member.post(url("panel-member-remove", rw.township, pk=seat.pk), {"reason": "x"}).status_code
        == 403
    )
    assert seats() == before


def test_the_panel_list_makes_a_constant_number_of_queries(rw, django_assert_max_num_queries):
    admin = client_for(rw.admin)
    admin.get(url("panel-list", rw.township))
    for n in range(4):
        panel = ReviewPanel.objects.create(
            township=rw.township, village=rw.village, name=f"小组{n}", home_area=rw.area1
        )
        for m in rw.members2:
            PanelMember.objects.create(township=rw.township, panel=panel, user=m.user, kind=KINDS[0])
    with django_assert_max_num_queries(12):
        page = admin.get(url("panel-list", rw.township))
    assert "小组3" in page.content.decode()


def test_member_of_panel_checks_use_the_scope(rw):
    """A user of another township cannot be added even by id: the membership lookup is the township's."""
    before = seats()
    with township_scope(rw.township), pytest.raises(DomainError):
        services.add_panel_member(
            membership=member(rw.admin), panel=rw.panel1, user=rw.world.b.panel, kind=KINDS[0]
        )
    assert seats() == before
