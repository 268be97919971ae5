"""The review pages: each renders in Chinese for the roles that use it, the flows work through the pages with
hand-computed results, outsiders get 404 and read-only members 403 on every page, and the round pages stay cheap.

`rw` (tests/review/conftest.py) is township A's village 0 with areas 一组 (A-001) and 二组 (A-201), panels 1 (home
一组) and 2 (home 二组) of five, and a 2026 scheme: 环境整治 (quarterly, base 40) with 庭院整洁 +2 / 乱堆乱放 −2 and
党的建设 (annual, base 20) with the declarable 参加党员活动 +3 / 志愿服务 +1. The rotation sends panel 2 to 一组 and
panel 1 to 二组. The clock stands still at 2026-12-15 10:00 (Shanghai) unless a test moves it.
"""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from review import services
from review.models import (
    Declaration,
    DeclarationState,
    Inspection,
    Meeting,
    Objection,
    ObjectionState,
    PanelAssignment,
    ProposalChange,
    ReviewRound,
    RoundKind,
    RoundMove,
    RoundState,
)
from scoring import services as scoring
from scoring.models import Entry, EntryState, Evidence
from scoring.selectors import annual_totals
from tests.factories import AreaFactory, HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 12, 15, 10, 0, tzinfo=SHANGHAI)
# A three-day notice posted at NOW runs through 16, 17 and 18 Dec and ends when 19 Dec begins.
NOTICE_END = datetime.datetime(2026, 12, 19, 0, 0, tzinfo=SHANGHAI)
DAYS = {
    "2026-Q1": datetime.date(2026, 3, 10),
    "2026-Q2": datetime.date(2026, 5, 10),
    "2026-Q3": datetime.date(2026, 8, 10),
    "2026-Q4": datetime.date(2026, 11, 10),
    "2026": datetime.date(2026, 6, 1),
}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# Helpers shared with test_worklist.py and test_browser.py ----------------------------------------------------------


def page_url(name: str, township, **kwargs) -> str:
    return reverse(f"review:{name}", kwargs={"township_slug": township.slug, **kwargs})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def move(rw, round_, name, user=None, comment=""):
    return services.move_round(
        membership=rw.membership(user or rw.clerk), round=round_, move=name, comment=comment
    )


def inspect(round_, household, member, items=(), day=None):
    return services.record_inspection(
        membership=member,
        round=round_,
        household=household,
        inspected_on=day or DAYS[round_.period],
        findings=[{"item": item} for item in items],
    )


def meet(rw, round_, panel, members, day=None):
    return services.record_panel_meeting(
        membership=rw.membership(rw.clerk),
        round=round_,
        panel=panel,
        held_on=day or DAYS[round_.period],
        attendees=[m.user for m in members],
    )


def declare(rw, round_, household, item, description="参加主题党日"):
    return services.declare(
        membership=rw.membership(rw.clerk),
        round=round_,
        household=household,
        item=item,
        occurred_on=DAYS["2026"],
        place="村部",
        description=description,
    )


def extra_scheme(rw, name):
    """Another active 2026 scheme (a village has one round per scheme, kind and period)."""
    admin = rw.membership(rw.admin)
    scheme = scoring.create_scheme(membership=admin, township=rw.township, name=name, year=2026)
    env = scoring.add_category(
        membership=admin, scheme=scheme, name="环境卫生", base_score=D("40"), cadence="quarterly"
    )
    party = scoring.add_category(
        membership=admin, scheme=scheme, name="文明新风", base_score=D("20"), cadence="annual"
    )
    scoring.add_item(membership=admin, category=env, name="门前整洁", kind="bonus", points=D("1"))
    item = scoring.add_item(
        membership=admin, category=party, name="孝老爱亲", kind="bonus", points=D("2"), by_declaration=True
    )
    scoring.activate_scheme(membership=admin, scheme=scheme)
    return scheme, item


def make_round(rw, state, *, kind=RoundKind.QUARTERLY, period="2026-Q1", scheme=None, clock=None):
    """A round of village 0 brought to `state` through the services (quarterly: A-001 +2 by panel 2, A-201 −2 by
    panel 1; another scheme's quarterly item for both; annual: A-001 declares 参加党员活动 +3, accepted)."""
    clerk = rw.membership(rw.clerk)
    scheme = scheme or rw.scheme
    round_ = services.create_round(
        membership=clerk, village=rw.village, scheme=scheme, kind=kind, period=period
    )
    if state == RoundState.DRAFT:
        return round_
    services.apply_rotation(membership=clerk, round=round_)
    move(rw, round_, "open")
    if state == RoundState.COLLECTING:
        return round_
    annual = kind == RoundKind.ANNUAL
    if annual:
        item = rw.meeting if scheme == rw.scheme else scheme.categories.get(cadence="annual").items.get()
        declaration = declare(rw, round_, rw.h1, item)
    else:
        if scheme == rw.scheme:
            first, second = rw.clean, rw.mess
        else:
            first = second = scheme.categories.get(cadence="quarterly").items.get()
        inspect(round_, rw.h1, rw.members2[0], [first])
        inspect(round_, rw.h2, rw.members1[0], [second])
    move(rw, round_, "start_panel_review")
    if state == RoundState.PANEL_REVIEW:
        return round_
    if annual:
        services.decide_declaration(
            membership=rw.members2[0], declaration=declaration, decision=DeclarationState.ACCEPTED
        )
    meet(rw, round_, rw.panel1, rw.members1)
    meet(rw, round_, rw.panel2, rw.members2)
    if annual:
        move(rw, round_, "to_representatives")
        if state == RoundState.REPRESENTATIVES:
            return round_
        services.record_representatives_meeting(
            membership=clerk,
            round=round_,
            held_on=DAYS["2026"],
            attendee_names="党员代表8人",
            township_staff="李明",
        )
    if state == RoundState.ON_NOTICE:
        move(rw, round_, "open_notice")
        return round_
    with time_machine.travel(datetime.datetime.now(tz=SHANGHAI) - datetime.timedelta(days=4), tick=False):
        move(rw, round_, "open_notice")
    move(rw, round_, "submit")
    if state == RoundState.SUBMITTED:
        return round_
    move(rw, round_, "approve", user=rw.admin, comment="同意")
    return round_


def snapshot() -> dict:
    """Everything the review pages could change, in both townships."""

    def rows(model, *fields):
        return sorted(model.objects.values_list("pk", *fields))

    return {
        "rounds": rows(ReviewRound, "state", "notice_number", "notice_ends_at"),
        "moves": rows(RoundMove, "move"),
        "assignments": rows(PanelAssignment, "round_id", "area_id", "panel_id"),
        "inspections": rows(Inspection, "household_id"),
        "entries": rows(Entry, "state", "points"),
        "evidence": rows(Evidence, "entry_id"),
        "declarations": rows(Declaration, "state"),
        "meetings": rows(Meeting, "kind"),
        "objections": rows(Objection, "state", "outcome"),
        "changes": rows(ProposalChange, "reason"),
    }


def photo(name="院子.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def key() -> str:
    import uuid

    return uuid.uuid4().hex


# The scene: one round of township A at every step, so every page has something to show --------------------------


class Scene:
    def __init__(self, rw):
        self.rw = rw
        scheme2, self.item2 = extra_scheme(rw, "第二方案")
        scheme3, _item3 = extra_scheme(rw, "第三方案")
        self.scheme3 = scheme3
        self.collecting = make_round(rw, RoundState.COLLECTING, period="2026-Q1")
        self.on_notice = make_round(rw, RoundState.ON_NOTICE, period="2026-Q2")
        self.draft = make_round(rw, RoundState.DRAFT, period="2026-Q3")
        services.apply_rotation(membership=rw.membership(rw.clerk), round=self.draft)
        self.panel_review = make_round(rw, RoundState.PANEL_REVIEW, period="2026-Q4")
        self.annual_review = make_round(rw, RoundState.PANEL_REVIEW, kind=RoundKind.ANNUAL, period="2026")
        self.annual_collecting = make_round(
            rw, RoundState.COLLECTING, kind=RoundKind.ANNUAL, period="2026", scheme=scheme2
        )
        self.representatives = make_round(
            rw, RoundState.REPRESENTATIVES, kind=RoundKind.ANNUAL, period="2026", scheme=scheme3
        )
        self.submitted = make_round(rw, RoundState.SUBMITTED, period="2026-Q1", scheme=scheme2)
        self.declaration = Declaration.objects.get(round=self.annual_review)
        self.objection = services.file_objection(
            membership=rw.membership(rw.clerk),
            round=self.on_notice,
            household=rw.h2,
            objector_name="周二",
            reason="没有乱堆乱放",
        )
        # An area without households or panel yet, so an assignment can be made on the draft round.
        self.area3 = AreaFactory(village=rw.village, township=rw.township, name="三组")

    def writes(self):
        """Every write of the pages: (page, url kwargs, POST data, who may) — each changes something if allowed."""
        rw = self.rw
        return [
            (
                "round-create",
                {},
                {
                    "village": rw.village.pk,
                    "scheme": self.scheme3.pk,
                    "kind": "quarterly",
                    "period": "2026-Q2",
                    "notice_days": "3",
                },
                rw.clerk,
            ),
            ("round-move", {"pk": self.draft.pk}, {"move": "open", "comment": ""}, rw.clerk),
            ("round-move", {"pk": self.submitted.pk}, {"move": "approve", "comment": "同意"}, rw.admin),
            (
                "assignments",
                {"pk": self.draft.pk},
                {"assign": "1", "assign-panel": rw.panel1.pk, "assign-area": self.area3.pk},
                rw.clerk,
            ),
            (
                "inspect-household",
                {"pk": self.collecting.pk, "household_pk": rw.h1.pk},
                {
                    "findings": [rw.clean.pk],
                    "comment": "院子干净",
                    "inspected_on": "2026-03-10",
                    "idempotency_key": key(),
                },
                rw.members2[0].user,
            ),
            (
                "declaration-create",
                {"pk": self.annual_collecting.pk},
                {
                    "household": rw.h1.number,
                    "item": self.item2.pk,
                    "occurred_on": "2026-06-01",
                    "place": "村部",
                    "description": "照顾孤寡老人",
                    "on_behalf": "on",
                },
                rw.clerk,
            ),
            (
                "declaration-decide",
                {"pk": self.declaration.pk},
                {"decision": "accepted", "reason": ""},
                rw.members2[0].user,
            ),
            (
                "panel-meeting",
                {"pk": self.panel_review.pk},
                {
                    "panel": rw.panel1.pk,
                    "held_on": "2026-11-20",
                    "attendees": [m.user.pk for m in rw.members1],
                    "notes": "",
                },
                rw.clerk,
            ),
            (
                "representatives-meeting",
                {"pk": self.representatives.pk},
                {
                    "held_on": "2026-12-01",
                    "attendee_names": "党员代表8人",
                    "township_staff": "李明",
                    "notes": "",
                },
                rw.clerk,
            ),
            (
                "objection-create",
                {"pk": self.on_notice.pk},
                {
                    "household": rw.h1.number,
                    "objector_name": "张三",
                    "objector_phone": "",
                    "reason": "分数不对",
                },
                rw.clerk,
            ),
            (
                "objection-resolve",
                {"pk": self.objection.pk},
                {"outcome_kind": "dismissed", "outcome": "经核实无误"},
                rw.clerk,
            ),
        ]

    def pages(self):
        """Every page with ids: (page, url kwargs)."""
        rw = self.rw
        return [
            ("round-detail", {"pk": self.collecting.pk}),
            ("round-move", {"pk": self.draft.pk}),
            ("assignments", {"pk": self.draft.pk}),
            ("inspect-list", {"pk": self.collecting.pk}),
            ("inspect-household", {"pk": self.collecting.pk, "household_pk": rw.h1.pk}),
            ("declaration-create", {"pk": self.annual_collecting.pk}),
            ("declaration-decide", {"pk": self.declaration.pk}),
            ("panel-meeting", {"pk": self.panel_review.pk}),
            ("representatives-meeting", {"pk": self.representatives.pk}),
            ("objection-create", {"pk": self.on_notice.pk}),
            ("objection-resolve", {"pk": self.objection.pk}),
        ]


@pytest.fixture
def scene(rw):
    return Scene(rw)


LIST_PAGES = ["worklist", "round-list", "round-create", "approvals"]
PANEL_PAGES = {"inspect-list", "inspect-household", "declaration-decide"}


# Each page renders for its roles, in Chinese ---------------------------------------------------------------------


def test_each_page_renders_in_chinese_for_the_roles_that_use_it(scene):
    rw, s = scene.rw, scene
    panel2 = rw.members2[0].user
    cases = [
        (rw.clerk, "worklist", {}, "待办"),
        (panel2, "worklist", {}, "待查看的农户"),
        (rw.admin, "worklist", {}, "待镇审批的评议"),
        (rw.supervisor, "worklist", {}, "目前没有待办事项"),
        (rw.clerk, "round-list", {}, "评议轮次"),
        (rw.world.a.county, "round-list", {}, "公示中"),
        (rw.clerk, "round-create", {}, "新建评议"),
        (rw.admin, "approvals", {}, "待审批的评议"),
        (rw.supervisor, "round-detail", {"pk": s.collecting.pk}, "流转记录"),
        (rw.clerk, "round-detail", {"pk": s.collecting.pk}, "收集中"),
        (panel2, "round-detail", {"pk": s.collecting.pk}, "入户查看"),
        (panel2, "round-detail", {"pk": s.annual_review.pk}, "待评议小组核实"),
        (rw.clerk, "round-detail", {"pk": s.on_notice.pk}, "没有乱堆乱放"),
        (rw.clerk, "round-detail", {"pk": s.representatives.pk}, "记录党员、村民代表会议"),
        (rw.admin, "round-detail", {"pk": s.submitted.pk}, "退回评议小组"),
        (rw.clerk, "assignments", {"pk": s.draft.pk}, "交叉评议"),
        (rw.supervisor, "assignments", {"pk": s.draft.pk}, "评议小组与片区"),
        (panel2, "inspect-list", {"pk": s.collecting.pk}, "已查看 0 / 1 户"),
        (panel2, "inspect-household", {"pk": s.collecting.pk, "household_pk": rw.h1.pk}, "保存查看结果"),
        (rw.clerk, "declaration-create", {"pk": s.annual_collecting.pk}, "代为申报"),
        (panel2, "declaration-decide", {"pk": s.declaration.pk}, "核实申报"),
        (rw.clerk, "panel-meeting", {"pk": s.panel_review.pk}, "评议小组会议"),
        (panel2, "panel-meeting", {"pk": s.panel_review.pk}, "出席人员"),
        (rw.clerk, "representatives-meeting", {"pk": s.representatives.pk}, "党员和村民代表会议"),
        (rw.clerk, "objection-create", {"pk": s.on_notice.pk}, "登记异议"),
        (rw.clerk, "objection-resolve", {"pk": s.objection.pk}, "处理异议"),
        (rw.members1[0].user, "objection-resolve", {"pk": s.objection.pk}, "处理异议"),
    ]
    clients = {}
    for user, name, kwargs, chinese in cases:
        client = clients.setdefault(user.pk, client_for(user))
        response = client.get(page_url(name, rw.township, **kwargs))
        assert response.status_code == 200, (user.username, name)
        assert chinese in text(response), (user.username, name, chinese)


def test_the_navigation_links_the_review_and_the_worklist(rw):
    body = text(client_for(rw.clerk).get(page_url("round-list", rw.township)))
    # The navigation (households/context_processors.py): each link with its key; the current page marked.
    assert re.search(rf'href="{page_url("worklist", rw.township)}" data-nav="[\w-]+"[^>]*>待办<', body)
    assert re.search(
        rf'href="{page_url("round-list", rw.township)}" data-nav="rounds" aria-current="page">评议<', body
    )


def test_the_round_page_shows_state_notice_days_left_trail_areas_and_proposals(rw, clock):
    round_ = make_round(rw, RoundState.ON_NOTICE)
    clock.shift(datetime.timedelta(hours=30))  # 16 Dec 16:00: 2 days 8 hours until 19 Dec 00:00 → "3 days"
    body = text(client_for(rw.supervisor).get(page_url("round-detail", rw.township, pk=round_.pk)))
    assert "公示中" in body
    # Posted on the 15th, its last day the 18th.
    assert "第 1 次公示：2026年12月15日 至 2026年12月18日" in body
    assert "还剩 3 天" in body
    # The trail, in order, with the actors: the clerk's four moves.
    trail = body[body.index('id="trail"') :]
    for label in ("开始收集", "开始小组评议", "开始公示"):
        assert label in trail
    assert trail.count(rw.clerk.username) == 4  # created + 3 moves
    # Areas with their panel and progress; both proposals with household, item and points.
    assert "第二评议小组" in body and "已查看 1 / 1 户" in body
    assert "A-001" in body and "庭院整洁" in body and "+2" in body
    assert "A-201" in body and "乱堆乱放" in body and "−2" in body
    # A supervisor reads: no move buttons.
    assert 'name="move"' not in body


def test_the_round_page_offers_only_the_moves_the_member_may_make(rw):
    round_ = make_round(rw, RoundState.SUBMITTED)
    target = page_url("round-detail", rw.township, pk=round_.pk)
    clerk_page = text(client_for(rw.clerk).get(target))
    admin_page = text(client_for(rw.admin).get(target))
    assert 'name="move"' not in clerk_page
    assert re.findall(r'name="move" value="(\w+)"', admin_page) == ["approve", "return"]


# Flows through the pages -----------------------------------------------------------------------------------------


def test_quarterly_round_through_the_pages_posts_the_hand_computed_totals(rw, clock):
    clerk, admin = client_for(rw.clerk), client_for(rw.admin)
    panel2, panel1 = client_for(rw.members2[0].user), client_for(rw.members1[0].user)
    t = rw.township

    response = clerk.post(
        page_url("round-create", t),
        {
            "village": rw.village.pk,
            "scheme": rw.scheme.pk,
            "kind": "quarterly",
            "period": "2026-Q1",
            "notice_days": 3,
        },
    )
    round_ = ReviewRound.objects.get(village=rw.village, period="2026-Q1")
    assert response.status_code == 302 and response.url == page_url("assignments", t, pk=round_.pk)
    assert round_.state == RoundState.DRAFT

    clerk.post(page_url("assignments", t, pk=round_.pk), {"rotation": "1"})
    assert sorted(PanelAssignment.objects.filter(round=round_).values_list("area__name", "panel__name")) == [
        ("一组", "第二评议小组"),
        ("二组", "第一评议小组"),
    ]
    move_url = page_url("round-move", t, pk=round_.pk)
    clerk.post(move_url, {"move": "open"})
    round_.refresh_from_db()
    assert round_.state == RoundState.COLLECTING

    listing = text(panel2.get(page_url("inspect-list", t, pk=round_.pk)))
    assert "A-001" in listing and "A-201" not in listing  # panel 2 inspects 一组 only
    response = panel2.post(
        page_url("inspect-household", t, pk=round_.pk, household_pk=rw.h1.pk),
        {
            "findings": [rw.clean.pk],
            "comment": "院子干净整洁",
            "photos": [photo()],
            "inspected_on": "2026-03-10",
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 302
    panel1.post(
        page_url("inspect-household", t, pk=round_.pk, household_pk=rw.h2.pk),
        {"findings": [rw.mess.pk], "comment": "", "inspected_on": "2026-03-12", "idempotency_key": key()},
    )
    assert "✓" in text(panel2.get(page_url("inspect-list", t, pk=round_.pk)))

    clerk.post(move_url, {"move": "start_panel_review"})
    for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
        response = clerk.post(
            page_url("panel-meeting", t, pk=round_.pk),
            {"panel": panel.pk, "held_on": "2026-03-31", "attendees": [m.user.pk for m in members]},
        )
        assert response.status_code == 302, messages_of(response)
    clerk.post(move_url, {"move": "open_notice", "comment": "张贴于村务公开栏"})
    round_.refresh_from_db()
    assert round_.state == RoundState.ON_NOTICE
    assert round_.notice_ends_at == NOTICE_END

    response = clerk.post(
        page_url("objection-create", t, pk=round_.pk),
        {
            "household": "A-201",
            "objector_name": "周二",
            "objector_phone": "13800138000",
            "reason": "没有乱堆乱放",
        },
    )
    objection = Objection.objects.get(round=round_)
    assert (objection.objector_name, objection.filed_by, objection.notice_number) == ("周二", rw.clerk, 1)
    response = clerk.post(move_url, {"move": "submit"}, follow=True)
    assert "公示期至 2026年12月18日 结束" in text(response)  # the notice cannot be skipped
    panel1.post(
        page_url("objection-resolve", t, pk=objection.pk),
        {"outcome_kind": "dismissed", "outcome": "经复核属实"},
    )
    objection.refresh_from_db()
    assert (objection.state, objection.resolved_by) == (ObjectionState.DISMISSED, rw.members1[0].user)

    clock.move_to(NOTICE_END)
    clerk, admin = client_for(rw.clerk), client_for(rw.admin)  # sessions last 8 hours: a new day, a new login
    response = clerk.post(move_url, {"move": "submit"}, follow=True)
    round_.refresh_from_db()
    assert round_.state == RoundState.SUBMITTED, messages_of(response)
    assert annual_totals(rw.scheme)[rw.h1.pk] == D("60.00")  # nothing counts before the township approves

    approvals = page_url("approvals", t)
    queue = text(admin.get(approvals))
    assert "2 条待批准" in queue and "周二" in queue and "经复核属实" in queue
    response = admin.post(move_url, {"move": "approve", "comment": "同意", "next": approvals})
    assert response.status_code == 302 and response.url == approvals
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED

    # 一组's A-001: 环境整治 40 + 2, 党的建设 20 → 62; 二组's A-201: 40 − 2 + 20 → 58.
    totals = annual_totals(rw.scheme)
    assert (totals[rw.h1.pk], totals[rw.h2.pk]) == (D("62.00"), D("58.00"))
    entry = Entry.objects.get(household=rw.h1)
    assert (entry.state, entry.occurred_on, entry.reason) == (
        EntryState.APPROVED,
        DAYS["2026-Q1"],
        "院子干净整洁",
    )
    assert list(entry.evidence.values_list("content_type", flat=True)) == ["image/png"]
    assert list(RoundMove.objects.filter(round=round_).values_list("move", "actor__username")) == [
        ("open", rw.clerk.username),
        ("start_panel_review", rw.clerk.username),
        ("open_notice", rw.clerk.username),
        ("submit", rw.clerk.username),
        ("approve", rw.admin.username),
    ]
    # A second click on approve is told, and posts nothing again.
    response = admin.post(move_url, {"move": "approve"}, follow=True)
    assert "已审核" in " ".join(messages_of(response))
    assert Entry.objects.filter(state=EntryState.APPROVED).count() == 2


def test_annual_review_through_the_pages_with_declarations_meetings_and_a_false_claim(rw, clock):
    clerk, admin = client_for(rw.clerk), client_for(rw.admin)
    panel2, panel1 = client_for(rw.members2[0].user), client_for(rw.members1[0].user)
    t = rw.township
    round_ = make_round(rw, RoundState.COLLECTING, kind=RoundKind.ANNUAL, period="2026")
    declare_url = page_url("declaration-create", t, pk=round_.pk)
    for number, description, on_behalf in (
        ("A-001", "参加主题党日", False),
        ("A-001", "参加七一活动", True),
        ("A-201", "声称参加", False),
    ):
        data = {
            "household": number,
            "item": rw.meeting.pk,
            "occurred_on": "2026-06-01",
            "place": "村部",
            "description": description,
        }
        if on_behalf:
            data["on_behalf"] = "on"
        response = clerk.post(declare_url, data)
        assert response.status_code == 302
    kept, adjusted, false = Declaration.objects.order_by("pk")
    assert [d.on_behalf for d in (kept, adjusted, false)] == [False, True, False]

    move_url = page_url("round-move", t, pk=round_.pk)
    clerk.post(move_url, {"move": "start_panel_review"})
    panel2.post(page_url("declaration-decide", t, pk=kept.pk), {"decision": "accepted", "reason": ""})
    panel2.post(
        page_url("declaration-decide", t, pk=adjusted.pk),
        {"decision": "adjusted", "adjusted_item": rw.volunteer.pk, "reason": "属志愿服务"},
    )
    panel1.post(page_url("declaration-decide", t, pk=false.pk), {"decision": "false", "reason": "当天未到场"})
    assert [d.state for d in Declaration.objects.order_by("pk")] == ["accepted", "adjusted", "false"]

    clerk.post(
        page_url("panel-meeting", t, pk=round_.pk),
        {"panel": rw.panel1.pk, "held_on": "2026-06-20", "attendees": [m.user.pk for m in rw.members1]},
    )
    # Panel 2 (一组) withdraws the adjusted 志愿服务 +1 at its meeting; the kept +3 stands confirmed.
    volunteer = Entry.objects.get(household=rw.h1, item=rw.volunteer, state=EntryState.PROPOSED)
    meeting_page = text(panel2.get(page_url("panel-meeting", t, pk=round_.pk) + f"?panel={rw.panel2.pk}"))
    assert f'name="change_{volunteer.pk}"' in meeting_page
    response = panel2.post(
        page_url("panel-meeting", t, pk=round_.pk),
        {
            "panel": rw.panel2.pk,
            "held_on": "2026-06-20",
            "attendees": [m.user.pk for m in rw.members2],
            f"change_{volunteer.pk}": "withdraw",
            f"reason_{volunteer.pk}": "与党员活动重复",
        },
    )
    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.state == EntryState.WITHDRAWN
    assert ProposalChange.objects.get(old_entry=volunteer).reason == "与党员活动重复"

    clerk.post(move_url, {"move": "to_representatives"})
    clerk.post(
        page_url("representatives-meeting", t, pk=round_.pk),
        {
            "held_on": "2026-07-01",
            "attendee_names": "党员代表8人、村民代表12人",
            "township_staff": "镇驻村干部李明",
        },
    )
    clerk.post(move_url, {"move": "open_notice"})
    clock.move_to(NOTICE_END)
    clerk, admin = client_for(rw.clerk), client_for(rw.admin)  # sessions last 8 hours: a new day, a new login
    clerk.post(move_url, {"move": "submit"})
    admin.post(move_url, {"move": "approve"})
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED
    # 党的建设 20 + 3 (kept) = 23, 环境整治 40 → 63.
    # the false +3 is withdrawn and costs double: 20 − 6 = 14, 环境整治 40 → 54.
    totals = annual_totals(rw.scheme)
    assert (totals[rw.h1.pk], totals[rw.h2.pk]) == (D("63.00"), D("54.00"))


def test_an_illegal_move_shows_the_services_reason_and_changes_nothing(rw):
    round_ = make_round(rw, RoundState.DRAFT)
    before = snapshot()
    response = client_for(rw.clerk).post(
        page_url("round-move", rw.township, pk=round_.pk), {"move": "open"}, follow=True
    )
    assert response.status_code == 200
    assert "先为本村各片区分配评议小组（交叉评议）。" in messages_of(response)
    assert snapshot() == before


def test_a_return_needs_reasons_and_sends_the_round_back_to_the_panel(rw):
    round_ = make_round(rw, RoundState.SUBMITTED)
    admin = client_for(rw.admin)
    approvals = page_url("approvals", rw.township)
    move_url = page_url("round-move", rw.township, pk=round_.pk)
    response = admin.post(move_url, {"move": "return", "comment": " ", "next": approvals}, follow=True)
    assert "请说明退回的理由。" in messages_of(response)
    round_.refresh_from_db()
    assert round_.state == RoundState.SUBMITTED
    admin.post(move_url, {"move": "return", "comment": "二组评分依据不足", "next": approvals})
    round_.refresh_from_db()
    assert round_.state == RoundState.PANEL_REVIEW
    assert RoundMove.objects.filter(round=round_).last().comment == "二组评分依据不足"
    assert "没有等待审批的评议" in text(admin.get(approvals))


def test_the_panel_meeting_page_shows_the_quorum_refusal_and_records_nothing(rw):
    round_ = make_round(rw, RoundState.PANEL_REVIEW)
    response = client_for(rw.clerk).post(
        page_url("panel-meeting", rw.township, pk=round_.pk),
        {"panel": rw.panel1.pk, "held_on": "2026-03-31", "attendees": [m.user.pk for m in rw.members1[:4]]},
    )
    assert response.status_code == 200
    assert "未达到法定人数：评议小组 5 人中出席 4 人" in text(response)
    assert not Meeting.objects.exists()


def test_a_panel_meeting_with_a_change_needs_its_reason(rw):
    round_ = make_round(rw, RoundState.PANEL_REVIEW)
    mess = Entry.objects.get(household=rw.h2)
    response = client_for(rw.clerk).post(
        page_url("panel-meeting", rw.township, pk=round_.pk),
        {
            "panel": rw.panel1.pk,
            "held_on": "2026-03-31",
            "attendees": [m.user.pk for m in rw.members1],
            f"change_{mess.pk}": f"item:{rw.clean.pk}",
            f"reason_{mess.pk}": "",
        },
    )
    assert response.status_code == 200 and "请说明修改的理由。" in text(response)
    assert not Meeting.objects.exists() and Entry.objects.get(pk=mess.pk).state == EntryState.PROPOSED


def test_an_upheld_objection_that_changes_a_result_puts_it_on_a_fresh_notice(rw, clock):
    round_ = make_round(rw, RoundState.ON_NOTICE)
    objection = services.file_public_objection(
        round=round_, household=rw.h2, objector_name="周二", reason="没有乱堆乱放"
    )
    mess = Entry.objects.get(household=rw.h2)
    clock.shift(datetime.timedelta(days=2))
    resolve_url = page_url("objection-resolve", rw.township, pk=objection.pk)
    assert f'name="change_{mess.pk}"' in text(client_for(rw.clerk).get(resolve_url))
    response = client_for(rw.clerk).post(
        resolve_url,
        {
            "outcome_kind": "upheld",
            "outcome": "经复核属实，撤销扣分",
            f"change_{mess.pk}": "withdraw",
            f"reason_{mess.pk}": "异议成立",
        },
        follow=True,
    )
    # Posted again on 17 Dec: 18, 19 and 20 Dec; it ends when 21 Dec begins.
    assert "修改后的结果重新公示，至 2026年12月20日 结束。" in messages_of(response)
    round_.refresh_from_db()
    objection.refresh_from_db()
    mess.refresh_from_db()
    assert (round_.notice_number, round_.notice_ends_at) == (
        2,
        datetime.datetime(2026, 12, 21, tzinfo=SHANGHAI),
    )
    assert (objection.state, mess.state) == (ObjectionState.UPHELD, EntryState.WITHDRAWN)


def test_objections_after_the_notice_ends_are_refused_on_the_page(rw, clock):
    round_ = make_round(rw, RoundState.ON_NOTICE)
    clock.move_to(NOTICE_END)
    response = client_for(rw.clerk).post(
        page_url("objection-create", rw.township, pk=round_.pk),
        {"household": "A-001", "objector_name": "张三", "reason": "分数太低"},
    )
    assert response.status_code == 200 and "当前不在公示期内，不受理异议。" in text(response)
    assert not Objection.objects.exists()


def test_a_household_number_that_is_not_in_the_village_is_a_form_error(rw):
    round_ = make_round(rw, RoundState.ON_NOTICE)
    response = client_for(rw.clerk).post(
        page_url("objection-create", rw.township, pk=round_.pk),
        {"household": "A-002", "objector_name": "张三", "reason": "分数太低"},  # A-002 lives in village 1
    )
    assert response.status_code == 200 and "没有编号为 A-002 的农户" in text(response)
    assert not Objection.objects.exists()


def test_a_double_submitted_inspection_records_one_inspection_and_one_proposal(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    target = page_url("inspect-household", rw.township, pk=round_.pk, household_pk=rw.h1.pk)
    data = {"findings": [rw.clean.pk], "comment": "", "inspected_on": "2026-03-10", "idempotency_key": key()}
    assert client.post(target, data).status_code == 302
    assert client.post(target, data).status_code == 302
    assert Inspection.objects.count() == 1
    assert Entry.objects.filter(household=rw.h1).count() == 1


def test_the_inspection_form_defaults_to_the_last_day_of_a_past_quarter_and_takes_the_chosen_day(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    target = page_url("inspect-household", rw.township, pk=round_.pk, household_pk=rw.h1.pk)
    body = text(client.get(target))
    assert 'value="2026-03-31"' in body  # today (2026-12-15) is past 2026-Q1
    assert 'accept="image/*"' in body and 'capture="environment"' in body and "multiple" in body
    client.post(
        target, {"findings": [], "comment": "", "inspected_on": "2026-02-03", "idempotency_key": key()}
    )
    assert Inspection.objects.get().inspected_on == datetime.date(2026, 2, 3)


def test_the_inspection_page_refuses_a_date_outside_the_quarter_and_a_photo_without_a_finding(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    client = client_for(rw.members2[0].user)
    target = page_url("inspect-household", rw.township, pk=round_.pk, household_pk=rw.h1.pk)
    response = client.post(
        target, {"findings": [rw.clean.pk], "inspected_on": "2026-04-02", "idempotency_key": key()}
    )
    assert response.status_code == 200 and "查看日期必须在 2026年第一季度 之内。" in text(response)
    response = client.post(
        target, {"photos": [photo()], "inspected_on": "2026-03-10", "idempotency_key": key()}
    )
    assert response.status_code == 200 and "照片要附在一项查看结果上" in text(response)
    assert not Inspection.objects.exists() and not Entry.objects.exists()


def test_a_file_that_is_not_a_photo_is_refused_on_the_photo_field_and_nothing_is_saved(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    response = client_for(rw.members2[0].user).post(
        page_url("inspect-household", rw.township, pk=round_.pk, household_pk=rw.h1.pk),
        {
            "findings": [rw.clean.pk],
            "photos": [SimpleUploadedFile("假照片.png", b"not an image at all", content_type="image/png")],
            "inspected_on": "2026-03-10",
            "idempotency_key": key(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == [
        "假照片.png 不是照片（JPEG、PNG、WebP）或 PDF 文件。"
    ]
    assert not Inspection.objects.exists() and not Entry.objects.exists() and not Evidence.objects.exists()


def test_a_panel_member_cannot_inspect_another_area_or_their_own_household(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    head = rw.h2.members.get(is_head=True)
    head.account = rw.members1[1].user
    head.save()
    # Panel 1 inspects 二组, never 一组 (its home).
    response = client_for(rw.members1[0].user).post(
        page_url("inspect-household", rw.township, pk=round_.pk, household_pk=rw.h1.pk),
        {"findings": [rw.mess.pk], "inspected_on": "2026-03-10", "idempotency_key": key()},
    )
    assert response.status_code == 200 and "本轮评议没有分配您的评议小组查看一组" in text(response)
    own = client_for(rw.members1[1].user)
    assert "您本人的农户" in text(own.get(page_url("inspect-list", rw.township, pk=round_.pk)))
    response = own.post(
        page_url("inspect-household", rw.township, pk=round_.pk, household_pk=rw.h2.pk),
        {"findings": [rw.clean.pk], "inspected_on": "2026-03-10", "idempotency_key": key()},
    )
    assert response.status_code == 200 and "您是 A-201 户的家庭成员" in text(response)
    assert not Inspection.objects.exists()


def test_assigning_a_panel_to_its_own_home_area_is_a_form_error(rw):
    round_ = make_round(rw, RoundState.DRAFT)
    response = client_for(rw.clerk).post(
        page_url("assignments", rw.township, pk=round_.pk),
        {"assign": "1", "assign-panel": rw.panel1.pk, "assign-area": rw.area1.pk},
    )
    assert response.status_code == 200 and "交叉评议：第一评议小组不能查看本组所在的片区一组。" in text(
        response
    )
    assert not PanelAssignment.objects.exists()


def test_a_round_with_a_wrong_period_is_a_form_error(rw):
    response = client_for(rw.clerk).post(
        page_url("round-create", rw.township),
        {
            "village": rw.village.pk,
            "scheme": rw.scheme.pk,
            "kind": "quarterly",
            "period": "2026",
            "notice_days": 3,
        },
    )
    assert response.status_code == 200 and "2026-Q1" in text(response)
    assert not ReviewRound.objects.exists()


# Every write of the matrix works for the member who may (so the refusals below are meaningful) --------------------


def test_every_write_of_the_matrix_changes_something_for_the_member_who_may(scene):
    for name, kwargs, data, user in scene.writes():
        before = snapshot()
        response = client_for(user).post(page_url(name, scene.rw.township, **kwargs), data)
        assert response.status_code == 302, (name, response.status_code, messages_of(response))
        assert snapshot() != before, name


# Outsiders: 404 for every page, by slug and by id ----------------------------------------------------------------


def _outsider(scene, name):
    b = scene.rw.world.b
    return b.panel if name in PANEL_PAGES else b.admin


def test_a_member_of_another_township_gets_404_through_that_townships_slug(scene):
    a = scene.rw.township
    before = snapshot()
    posts = {name: data for name, _kwargs, data, _user in scene.writes()}
    for name, kwargs in [(n, {}) for n in LIST_PAGES] + scene.pages():
        client = client_for(_outsider(scene, name))
        target = page_url(name, a, **kwargs)
        assert client.get(target).status_code == 404, name
        assert client.post(target, posts.get(name, {})).status_code == 404, name
    assert snapshot() == before


def test_a_member_of_another_township_gets_404_for_its_ids_through_their_own_slug(scene):
    b = scene.rw.world.b.township
    before = snapshot()
    posts = {name: data for name, _kwargs, data, _user in scene.writes()}
    for name, kwargs in scene.pages():
        client = client_for(_outsider(scene, name))
        target = page_url(name, b, **kwargs)
        assert client.get(target).status_code == 404, name
        assert client.post(target, posts.get(name, {})).status_code == 404, name
    assert snapshot() == before


def test_the_list_pages_of_another_township_show_nothing_of_this_one(scene):
    world = scene.rw.world
    client = client_for(world.b.admin)
    for name in LIST_PAGES:
        body = text(client.get(page_url(name, world.b.township)))
        assert "/rounds/" not in body and "a东村" not in body, name
    before = snapshot()
    response = client.post(
        page_url("round-create", world.b.township),
        {
            "village": scene.rw.village.pk,
            "scheme": scene.scheme3.pk,
            "kind": "quarterly",
            "period": "2026-Q2",
        },
    )
    assert response.status_code == 200  # A's village and scheme are not choices in B
    assert snapshot() == before


def test_a_clerk_gets_404_for_a_round_of_a_village_that_is_not_theirs(rw):
    other = services.create_round(
        membership=rw.membership(rw.admin),
        village=rw.world.a.villages[1],
        scheme=rw.scheme,
        kind=RoundKind.QUARTERLY,
        period="2026-Q1",
    )
    client = client_for(rw.clerk)
    for name in (
        "round-detail",
        "assignments",
        "declaration-create",
        "objection-create",
        "representatives-meeting",
    ):
        assert client.get(page_url(name, rw.township, pk=other.pk)).status_code == 404, name
    assert client.post(page_url("round-move", rw.township, pk=other.pk), {"move": "open"}).status_code == 404
    assert f"/rounds/{other.pk}/" not in text(client.get(page_url("round-list", rw.township)))


def test_huge_and_malformed_ids_are_404_not_500(rw):
    round_ = make_round(rw, RoundState.PANEL_REVIEW)
    client = client_for(rw.clerk)
    assert client.get(page_url("round-detail", rw.township, pk=2**40)).status_code == 404
    meeting = page_url("panel-meeting", rw.township, pk=round_.pk)
    assert client.get(f"{meeting}?panel=99999999999999").status_code == 404
    assert client.get(f"{meeting}?panel=x").status_code == 404
    assert client.post(page_url("round-move", rw.township, pk=round_.pk), {"move": "fly"}).status_code == 404


# Read-only members: 403 on every write, nothing changed ----------------------------------------------------------

WRITE_ONLY_PAGES = [
    "round-create",
    "approvals",
    "inspect-list",
    "inspect-household",
    "declaration-create",
    "declaration-decide",
    "panel-meeting",
    "representatives-meeting",
    "objection-create",
    "objection-resolve",
]


@pytest.mark.parametrize("role", ["supervisor", "county"])
def test_read_only_members_get_403_on_every_write_and_nothing_changes(scene, role):
    user = getattr(scene.rw.world.a, role)
    client = client_for(user)
    before = snapshot()
    # County viewers do not see a household's records (objections, declarations): "not found" (issue 7).
    refused = (403, 404) if role == "county" else (403,)
    for name, kwargs, data, _user in scene.writes():
        assert client.post(page_url(name, scene.rw.township, **kwargs), data).status_code in refused, name
    pages = dict(scene.pages())
    for name in WRITE_ONLY_PAGES:
        assert client.get(page_url(name, scene.rw.township, **pages.get(name, {}))).status_code in refused, (
            name
        )
    for name in ("round-detail", "assignments"):
        assert client.get(page_url(name, scene.rw.township, **pages[name])).status_code == 200, name
    assert snapshot() == before


def test_members_get_403_for_the_work_of_other_roles_and_nothing_changes(scene):
    rw = scene.rw
    by_name = {}
    for name, kwargs, data, _user in scene.writes():
        by_name.setdefault(name, []).append((kwargs, data))
    refused = [
        (rw.members1[0].user, "round-create"),  # panel members do not run rounds
        (rw.members1[0].user, "round-move"),
        (rw.members1[0].user, "assignments"),
        (rw.members1[0].user, "declaration-create"),
        (rw.members1[0].user, "representatives-meeting"),
        (rw.members1[0].user, "objection-create"),
        (rw.clerk, "inspect-household"),  # clerks do not inspect or verify
        (rw.clerk, "declaration-decide"),
    ]
    before = snapshot()
    for user, name in refused:
        for kwargs, data in by_name[name]:
            response = client_for(user).post(page_url(name, rw.township, **kwargs), data)
            assert response.status_code == 403, (user.username, name)
    # The clerk may not approve: the submitted round stays submitted.
    response = client_for(rw.clerk).post(
        page_url("round-move", rw.township, pk=scene.submitted.pk), {"move": "approve"}
    )
    assert response.status_code == 403
    assert snapshot() == before


# The round pages stay cheap --------------------------------------------------------------------------------------


def _queries(client, target) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(target).status_code == 200
    return len(queries)


def _more_inspected_households(rw, round_, count):
    """`count` more households in 一组, each inspected by panel 2 with 庭院整洁 and a photo."""
    for n in range(count):
        household = HouseholdFactory(area=rw.area1, number=f"A-1{n:02d}")
        ResidentFactory(household=household, name=f"户主{n}", is_head=True)
        services.record_inspection(
            membership=rw.members2[0],
            round=round_,
            household=household,
            inspected_on=DAYS["2026-Q1"],
            findings=[{"item": rw.clean, "evidence": [photo(f"{n}.png")]}],
        )


def test_the_round_page_costs_the_same_queries_for_2_and_10_proposals(rw):
    round_ = make_round(rw, RoundState.COLLECTING)
    inspect(round_, rw.h1, rw.members2[0], [rw.clean])
    inspect(round_, rw.h2, rw.members1[0], [rw.mess])
    client = client_for(rw.supervisor)
    target = page_url("round-detail", rw.township, pk=round_.pk)
    with_two = _queries(client, target)
    _more_inspected_households(rw, round_, 8)
    assert RoundMove.objects.count() == 1 and Entry.objects.count() == 10
    assert _queries(client, target) == with_two


def test_the_round_list_costs_the_same_queries_for_2_and_10_proposals(rw):
    make_round(rw, RoundState.ON_NOTICE, period="2026-Q2")
    round_ = make_round(rw, RoundState.COLLECTING)
    inspect(round_, rw.h1, rw.members2[0], [rw.clean])
    inspect(round_, rw.h2, rw.members1[0], [rw.mess])
    client = client_for(rw.clerk)
    target = page_url("round-list", rw.township)
    with_two = _queries(client, target)
    _more_inspected_households(rw, round_, 8)
    body = text(client.get(target))
    assert ">10<" in body and ">2<" in body
    assert _queries(client, target) == with_two


def test_the_approval_queue_costs_the_same_queries_for_one_and_three_rounds(rw):
    make_round(rw, RoundState.SUBMITTED, period="2026-Q1")
    client = client_for(rw.admin)
    target = page_url("approvals", rw.township)
    with_one = _queries(client, target)
    make_round(rw, RoundState.SUBMITTED, period="2026-Q2")
    make_round(rw, RoundState.SUBMITTED, period="2026-Q3")
    assert text(client.get(target)).count('name="move" value="approve"') == 3
    assert _queries(client, target) == with_one
