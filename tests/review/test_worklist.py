"""Each member's worklist shows exactly what waits for them: panel members the households still to inspect in the
areas assigned to their panel and the declarations of those areas to verify; clerks the rounds of their villages to
move on, the meetings to record, the notices and the open objections; the township office the rounds to approve.
Supervisors and county viewers read: nothing waits for them.

Rounds and the clock come from test_pages.py (frozen at 2026-12-15 10:00 Shanghai; the rotation sends panel 2 to
一组 and panel 1 to 二组).
"""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.models import Participation, Role
from review import selectors, services
from review.models import DeclarationState, MeetingKind, RoundKind, RoundState
from tests.factories import HouseholdFactory, MembershipFactory, UserFactory
from tests.review.test_pages import (
    NOW,
    client_for,
    clock,  # noqa: F401 (the same frozen clock, autouse)
    declare,
    extra_scheme,
    inspect,
    make_round,
    meet,
    move,
    page_url,
    text,
)

pytestmark = pytest.mark.django_db


def _rows(work):
    return [(r["round"].pk, r["area"].name, r["inspected"], r["total"]) for r in work.inspections]


def _nothing_but(work, *sections):
    names = (
        "inspections",
        "declarations",
        "rounds_to_move",
        "meetings",
        "notices",
        "objections",
        "approvals",
    )
    return all(not getattr(work, name) for name in names if name not in sections)


# Panel members -----------------------------------------------------------------------------------------------------


def test_a_panel_member_sees_the_households_left_to_inspect_in_their_assigned_areas(rw):
    for number in ("A-011", "A-012"):
        HouseholdFactory(area=rw.area1, number=number)
    HouseholdFactory(area=rw.area1, number="A-013", participation=Participation.OPTED_OUT)  # not inspected
    make_round(rw, RoundState.DRAFT, period="2026-Q2")  # not collecting yet: nothing to inspect
    round_ = make_round(rw, RoundState.COLLECTING)
    inspect(round_, rw.h1, rw.members2[0], [rw.clean])

    # Panel 2 inspects 一组: A-001 done, A-011 and A-012 left (A-013 opted out). Panel 1 inspects 二组: A-201 left.
    assert _rows(selectors.worklist(rw.members2[0])) == [(round_.pk, "一组", 1, 3)]
    assert _rows(selectors.worklist(rw.members2[4])) == [(round_.pk, "一组", 1, 3)]
    assert _rows(selectors.worklist(rw.members1[0])) == [(round_.pk, "二组", 0, 1)]
    assert _nothing_but(selectors.worklist(rw.members1[0]), "inspections")

    inspect(round_, rw.h2, rw.members1[0])
    assert selectors.worklist(rw.members1[0]).inspections == []  # 二组 is done
    # A panel member who is on no panel has no inspections waiting.
    assert selectors.worklist(rw.membership(rw.world.a.panel)).empty


def test_a_panel_member_sees_the_pending_declarations_of_the_areas_their_panel_reviews(rw):
    round_ = make_round(rw, RoundState.COLLECTING, kind=RoundKind.ANNUAL, period="2026")
    first = declare(rw, round_, rw.h1, rw.meeting, "参加主题党日")
    decided = declare(rw, round_, rw.h1, rw.volunteer, "打扫村道")
    second = declare(rw, round_, rw.h2, rw.meeting, "参加七一活动")
    assert selectors.worklist(rw.members2[0]).declarations == []  # verified in the panel review, not before
    move(rw, round_, "start_panel_review")
    services.decide_declaration(
        membership=rw.members2[0], declaration=decided, decision=DeclarationState.ACCEPTED
    )
    work2, work1 = selectors.worklist(rw.members2[0]), selectors.worklist(rw.members1[0])
    assert work2.declarations == [first] and work1.declarations == [second]
    assert _nothing_but(work2, "declarations") and _nothing_but(work1, "declarations")


# Clerks ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def village_at_work(rw):
    """Rounds of village 0 at every step the clerk is responsible for, and some that are not theirs any more."""
    scheme2, _item = extra_scheme(rw, "第二方案")
    s = type("S", (), {})()
    s.draft = make_round(rw, RoundState.DRAFT, period="2026-Q3")
    s.collecting = make_round(rw, RoundState.COLLECTING, period="2026-Q1")
    inspect(s.collecting, rw.h1, rw.members2[0], [rw.clean])
    s.review = make_round(rw, RoundState.PANEL_REVIEW, period="2026-Q4")
    meet(rw, s.review, rw.panel1, rw.members1)  # panel 2 has not met yet
    s.returned = make_round(rw, RoundState.SUBMITTED, period="2026-Q2")
    move(rw, s.returned, "return", user=rw.admin, comment="二组评分依据不足")
    s.representatives = make_round(rw, RoundState.REPRESENTATIVES, kind=RoundKind.ANNUAL, period="2026")
    s.running = make_round(rw, RoundState.ON_NOTICE, period="2026-Q1", scheme=scheme2)
    s.objection = services.file_objection(
        membership=rw.membership(rw.clerk),
        round=s.running,
        household=rw.h2,
        objector_name="周二",
        reason="没有乱堆乱放",
    )
    s.ended = make_round(rw, RoundState.PANEL_REVIEW, period="2026-Q2", scheme=scheme2)
    meet(rw, s.ended, rw.panel1, rw.members1)
    meet(rw, s.ended, rw.panel2, rw.members2)
    with time_machine.travel(NOW - datetime.timedelta(days=4), tick=False):
        move(rw, s.ended, "open_notice")
    s.submitted = make_round(rw, RoundState.SUBMITTED, period="2026-Q3", scheme=scheme2)
    s.approved = make_round(rw, RoundState.APPROVED, period="2026-Q4", scheme=scheme2)
    return s


def test_a_clerk_sees_the_rounds_to_move_the_meetings_the_notices_and_the_objections(rw, village_at_work):
    s = village_at_work
    work = selectors.worklist(rw.membership(rw.clerk))
    assert [r.pk for r in work.rounds_to_move] == [
        s.draft.pk,
        s.collecting.pk,
        s.review.pk,
        s.returned.pk,
        s.representatives.pk,
    ]
    by_pk = {r.pk: r for r in work.rounds_to_move}
    assert (by_pk[s.collecting.pk].inspected, by_pk[s.collecting.pk].to_inspect) == (1, 2)
    assert (by_pk[s.returned.pk].last_move, by_pk[s.returned.pk].last_comment) == (
        "return",
        "二组评分依据不足",
    )
    assert [(m["round"].pk, m["kind"], m["panel"] and m["panel"].name) for m in work.meetings] == [
        (s.review.pk, MeetingKind.PANEL, "第二评议小组"),
        (s.representatives.pk, MeetingKind.REPRESENTATIVES, None),
    ]
    # The running notice was opened now (15 Dec, 10:00) and ends when 19 Dec begins: 3 days 14 hours, "4 days"
    # left (15, 16, 17 and 18 Dec); the other ended a day ago.
    assert [(r.pk, r.days_left, r.open_objection_count) for r in work.notices] == [
        (s.ended.pk, 0, 0),
        (s.running.pk, 4, 1),
    ]
    assert work.objections == [s.objection]
    assert work.approvals == [] and work.inspections == [] and work.declarations == []


def test_the_clerks_worklist_page_says_what_to_do_next_in_chinese(rw, village_at_work):
    body = text(client_for(rw.clerk).get(page_url("worklist", rw.township)))
    for chinese in (
        "待推进的评议",
        "为各片区分配评议小组，然后开始收集。",
        "已查看 1 / 2 户。",
        "镇里退回：",
        "二组评分依据不足",
        "待记录的会议",
        "第二评议小组",
        "公示至 2026年12月18日 结束（还剩 4 天）。",
        "公示已结束，请报送镇审核。",
        "待处理的异议",
        "周二",
    ):
        assert chinese in body, chinese
    assert page_url("objection-resolve", rw.township, pk=village_at_work.objection.pk) in body


def test_the_township_office_sees_the_rounds_waiting_for_its_approval_and_the_open_objections(
    rw, village_at_work
):
    work = selectors.worklist(rw.membership(rw.admin))
    assert [r.pk for r in work.approvals] == [village_at_work.submitted.pk]
    # Issue 17.3: an open objection (the public's too) is work the office sees, not "nothing to do".
    assert work.objections == [village_at_work.objection]
    assert _nothing_but(work, "approvals", "objections")
    body = text(client_for(rw.admin).get(page_url("worklist", rw.township)))
    assert "待镇审批的评议" in body and "2 条拟定积分" in body


def test_supervisors_and_county_viewers_have_nothing_waiting(rw, village_at_work):
    for user in (rw.supervisor, rw.world.a.county):
        assert selectors.worklist(rw.membership(user)).empty
        assert "目前没有待办事项" in text(client_for(user).get(page_url("worklist", rw.township)))


def test_a_clerk_of_another_village_and_members_of_another_township_see_nothing_of_this_village(
    rw, village_at_work
):
    west = UserFactory(username="a-clerk-west")
    MembershipFactory(
        user=west, township=rw.township, role=Role.VILLAGE_CLERK, villages=[rw.world.a.villages[1]]
    )
    assert selectors.worklist(rw.membership(west)).empty
    b = rw.world.b
    for user in (b.clerk, b.admin, b.panel):
        body = text(client_for(user).get(page_url("worklist", b.township)))
        assert "目前没有待办事项" in body and "/rounds/" not in body, user.username


def test_the_panel_members_worklist_page_shows_progress_and_links_to_the_inspection(rw):
    HouseholdFactory(area=rw.area1, number="A-011")
    round_ = make_round(rw, RoundState.COLLECTING)
    inspect(round_, rw.h1, rw.members2[0])
    body = text(client_for(rw.members2[0].user).get(page_url("worklist", rw.township)))
    assert "待查看的农户" in body and "已查看 1 / 2 户" in body
    assert page_url("inspect-list", rw.township, pk=round_.pk) in body


# Bounded queries ---------------------------------------------------------------------------------------------------


def _count(membership) -> int:
    with CaptureQueriesContext(connection) as queries:
        selectors.worklist(membership)
    return len(queries)


def test_the_worklist_costs_the_same_queries_for_one_round_and_for_many(rw):
    clerk, panel, admin = rw.membership(rw.clerk), rw.members2[0], rw.membership(rw.admin)
    scheme2, _item = extra_scheme(rw, "第二方案")
    make_round(rw, RoundState.COLLECTING, period="2026-Q1")
    make_round(rw, RoundState.PANEL_REVIEW, period="2026-Q2")
    make_round(rw, RoundState.ON_NOTICE, period="2026-Q3")
    make_round(rw, RoundState.SUBMITTED, period="2026-Q4")
    few = {"clerk": _count(clerk), "panel": _count(panel), "admin": _count(admin)}
    for period in ("2026-Q1", "2026-Q2"):
        make_round(rw, RoundState.COLLECTING, period=period, scheme=scheme2)
    make_round(rw, RoundState.PANEL_REVIEW, period="2026-Q3", scheme=scheme2)
    make_round(rw, RoundState.ON_NOTICE, period="2026-Q4", scheme=scheme2)
    make_round(rw, RoundState.REPRESENTATIVES, kind=RoundKind.ANNUAL, period="2026")
    for number in ("A-011", "A-012", "A-013"):
        HouseholdFactory(area=rw.area1, number=number)
    assert (
        len(selectors.worklist(panel).inspections) == 3 and len(selectors.worklist(clerk).rounds_to_move) == 6
    )
    assert {"clerk": _count(clerk), "panel": _count(panel), "admin": _count(admin)} == few
