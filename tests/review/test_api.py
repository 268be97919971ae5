"""The review API: the role matrix (one who may, read-only members, outsiders), another village's clerk, ids in
bodies, every illegal move and conflict of interest, 405 instead of deleting, constant queries, and two approvals
of one round at once on PostgreSQL."""

import datetime
import threading
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.tenancy import dangerously_all_townships, township_scope
from households.models import Role
from review import services
from review.models import (
    Declaration,
    Inspection,
    Meeting,
    Objection,
    PanelAssignment,
    PanelMember,
    ProposalChange,
    ReviewPanel,
    ReviewRound,
    RoundMove,
    RoundState,
)
from scoring import services as scoring
from scoring.models import Entry, EntryState, Evidence
from tests.api_errors import error, fields, invalid, refusal
from tests.contract import member as membership_of
from tests.factories import HouseholdFactory, MembershipFactory, UserFactory
from tests.review.conftest import Q1_DAY
from tests.review.test_api_e2e import Api, tiny_png

pytestmark = pytest.mark.django_db

SUMMER_DAY = datetime.date(2026, 6, 1)
HUGE = 99999999999999999999  # beyond PostgreSQL's bigint


def snapshot():
    """Everything a review write could change, in every township."""
    with dangerously_all_townships():
        return {
            "panels": list(ReviewPanel.objects.order_by("pk").values_list("pk", "name")),
            "panel members": PanelMember.objects.count(),
            "rounds": list(
                ReviewRound.objects.order_by("pk").values_list(
                    "pk", "state", "notice_number", "notice_ends_at"
                )
            ),
            "moves": RoundMove.objects.count(),
            "assignments": list(
                PanelAssignment.objects.order_by("pk").values_list("pk", "round_id", "panel_id", "area_id")
            ),
            "inspections": Inspection.objects.count(),
            "declarations": list(Declaration.objects.order_by("pk").values_list("pk", "state")),
            "meetings": Meeting.objects.count(),
            "changes": ProposalChange.objects.count(),
            "objections": list(Objection.objects.order_by("pk").values_list("pk", "state")),
            "entries": list(Entry.objects.order_by("pk").values_list("pk", "state", "approved_at")),
            "evidence": Evidence.objects.count(),
        }


class Stages:
    """Rounds of rw's village brought to each state through the services (the API is what the tests call)."""

    def __init__(self, rw):
        self.rw = rw
        self.clerk = rw.membership(rw.clerk)

    def move(self, round_, move, user=None, comment=""):
        membership = self.rw.membership(user or self.rw.clerk)
        return services.move_round(membership=membership, round=round_, move=move, comment=comment)

    def draft(self, period="2026-Q1"):
        rw = self.rw
        return services.create_round(
            membership=self.clerk, village=rw.village, scheme=rw.scheme, kind="quarterly", period=period
        )

    def rotated(self):
        round_ = self.draft()
        services.apply_rotation(membership=self.clerk, round=round_)
        return round_

    def collecting(self):
        round_ = self.rotated()
        return self.move(round_, "open")

    def inspected(self):
        """h1 +2 by panel 2, h2 −2 by panel 1."""
        rw, round_ = self.rw, self.collecting()
        for household, member, item in ((rw.h1, rw.members2[0], rw.clean), (rw.h2, rw.members1[0], rw.mess)):
            services.record_inspection(
                membership=member,
                round=round_,
                household=household,
                inspected_on=Q1_DAY,
                findings=[{"item": item, "comment": "现场查看"}],
            )
        return round_

    def panel_review(self):
        return self.move(self.inspected(), "start_panel_review")

    def met(self):
        rw, round_ = self.rw, self.panel_review()
        for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
            services.record_panel_meeting(
                membership=self.clerk,
                round=round_,
                panel=panel,
                held_on=Q1_DAY,
                attendees=[m.user for m in members],
            )
        return round_

    def on_notice(self):
        return self.move(self.met(), "open_notice")

    def objected(self):
        round_ = self.on_notice()
        objection = services.file_objection(
            membership=self.rw.membership(self.rw.clerk),
            round=round_,
            household=self.rw.h2,
            objector_name="周二",
            reason="没有乱堆乱放",
        )
        return round_, objection

    def submitted(self):
        round_ = self.met()
        with time_machine.travel(timezone.now() - datetime.timedelta(days=5), tick=True):
            self.move(round_, "open_notice")
        return self.move(round_, "submit")

    def annual_collecting(self):
        rw = self.rw
        round_ = services.create_round(
            membership=self.clerk, village=rw.village, scheme=rw.scheme, kind="annual", period="2026"
        )
        services.apply_rotation(membership=self.clerk, round=round_)
        return self.move(round_, "open")

    def declared(self, round_):
        return services.declare(
            membership=self.clerk,
            round=round_,
            household=self.rw.h1,
            item=self.rw.meeting,
            occurred_on=SUMMER_DAY,
            place="村部",
            description="参加主题党日",
        )


@pytest.fixture
def stages(rw):
    return Stages(rw)


def as_user(rw, user, township=None):
    return Api(township or rw.township, user)


def b_catalogue(world):
    """An item, a panel, a member and a household of township B: ids that must never work in township A."""
    b = world.b
    with township_scope(b.township):
        scheme = scoring.create_scheme(
            membership=membership_of(b.admin), township=b.township, name="B规", year=2026
        )
        category = scoring.add_category(
            membership=membership_of(b.admin),
            scheme=scheme,
            name="环境",
            base_score=Decimal("40"),
            cadence="quarterly",
        )
        item = scoring.add_item(
            membership=membership_of(b.admin),
            category=category,
            name="整洁",
            kind="bonus",
            points=Decimal("1"),
        )
        panel = ReviewPanel.objects.create(
            township=b.township, village=b.villages[0], name="B组", home_area=b.areas[0]
        )
    return {"scheme": scheme, "item": item, "panel": panel, "household": b.households[0], "area": b.areas[0]}


def west_clerk(rw):
    """A clerk of township A's other village: must not see village 0's rounds."""
    user = UserFactory(username="a-clerk-west")
    MembershipFactory(
        user=user, township=rw.township, role=Role.VILLAGE_CLERK, villages=[rw.world.a.villages[1]]
    )
    return user


# The role matrix: every write, by one who may, by read-only members, by outsiders ----------------------------


@dataclass
class Write:
    name: str
    prepare: object  # (stages) -> (path, body)
    actor: object  # (rw) -> the user who may
    code: int
    url_has_ids: bool = True


def _new_panel(stages):
    rw = stages.rw
    users = []
    for n in range(5):
        user = UserFactory(username=f"p3-{n}")
        MembershipFactory(user=user, township=rw.township, role=Role.PANEL_MEMBER, villages=[rw.village])
        users.append(user)
    body = {
        "village": rw.village.pk,
        "name": "第三评议小组",
        "home_area": rw.area1.pk,
        "members": [{"user": u.pk, "kind": kind} for u, kind in zip(users, ["committee", "area_leader"] * 3)],
    }
    return "panels/", body


def _new_round(stages):
    rw = stages.rw
    return "rounds/", {
        "village": rw.village.pk,
        "scheme": rw.scheme.pk,
        "kind": "quarterly",
        "period": "2026-Q2",
    }


def _open(stages):
    return f"rounds/{stages.rotated().pk}/move/", {"move": "open", "comment": "开始"}


def _rotation(stages):
    return f"rounds/{stages.draft().pk}/rotation/", {}


def _assignment(stages):
    rw = stages.rw
    return f"rounds/{stages.draft().pk}/assignments/", {"panel": rw.panel1.pk, "area": rw.area2.pk}


def _inspection(stages):
    rw = stages.rw
    body = {"household": rw.h1.pk, "inspected_on": Q1_DAY.isoformat(), "findings": [{"item": rw.clean.pk}]}
    return f"rounds/{stages.collecting().pk}/inspections/", body


def _declaration(stages):
    rw = stages.rw
    body = {
        "household": rw.h1.pk,
        "item": rw.meeting.pk,
        "occurred_on": SUMMER_DAY.isoformat(),
        "place": "村部",
        "description": "参加主题党日",
    }
    return f"rounds/{stages.annual_collecting().pk}/declarations/", body


def _decision(stages):
    round_ = stages.annual_collecting()
    declaration = stages.declared(round_)
    stages.move(round_, "start_panel_review")
    return f"declarations/{declaration.pk}/decide/", {"decision": "accepted"}


def _meeting(stages):
    rw = stages.rw
    body = {
        "kind": "panel",
        "panel": rw.panel1.pk,
        "held_on": Q1_DAY.isoformat(),
        "attendees": [m.user.pk for m in rw.members1],
    }
    return f"rounds/{stages.panel_review().pk}/meetings/", body


def _objection(stages):
    body = {"household": stages.rw.h1.pk, "objector_name": "张三", "reason": "分数不对"}
    return f"rounds/{stages.on_notice().pk}/objections/", body


def _resolution(stages):
    _round, objection = stages.objected()
    return f"objections/{objection.pk}/resolve/", {"upheld": False, "outcome": "经核实无误"}


def _approval(stages):
    return f"rounds/{stages.submitted().pk}/move/", {"move": "approve", "comment": "同意"}


WRITES = [
    Write("create a panel", _new_panel, lambda rw: rw.clerk, 201, url_has_ids=False),
    Write("create a round", _new_round, lambda rw: rw.clerk, 201, url_has_ids=False),
    Write("move a round", _open, lambda rw: rw.clerk, 200),
    Write("apply the rotation", _rotation, lambda rw: rw.clerk, 200),
    Write("assign a panel", _assignment, lambda rw: rw.clerk, 201),
    Write("record an inspection", _inspection, lambda rw: rw.members2[0].user, 201),
    Write("take a declaration", _declaration, lambda rw: rw.clerk, 201),
    Write("decide a declaration", _decision, lambda rw: rw.members2[0].user, 200),  # h1: another area's panel
    Write("record a meeting", _meeting, lambda rw: rw.clerk, 201),
    Write("file an objection", _objection, lambda rw: rw.clerk, 201),
    Write("resolve an objection", _resolution, lambda rw: rw.members1[0].user, 200),
    Write("approve a round", _approval, lambda rw: rw.admin, 200),
]
WRITE_IDS = [write.name for write in WRITES]


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_the_member_whose_role_allows_it_does_each_write(rw, stages, write):
    path, body = write.prepare(stages)
    before = snapshot()

    response = as_user(rw, write.actor(rw)).post(path, body)

    assert response.status_code == write.code, response.json()
    assert snapshot() != before


@pytest.mark.parametrize("reader", ["supervisor", "county"])
@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_read_only_members_get_403_for_each_write_and_nothing_changes(rw, stages, write, reader):
    path, body = write.prepare(stages)
    before = snapshot()

    response = as_user(rw, getattr(rw.world.a, reader)).post(path, body)

    assert response.status_code == 403, response.json()
    assert response.json() == error("permission_denied", "Your role does not allow this.")
    assert snapshot() == before


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_an_outsider_gets_404_for_each_write_through_either_township_and_nothing_changes(rw, stages, write):
    path, body = write.prepare(stages)
    outsider, b = rw.world.b.admin, rw.world.b.township
    before = snapshot()

    through_a = as_user(rw, outsider).post(path, body)
    through_b = as_user(rw, outsider, township=b).post(path, body)

    assert through_a.status_code == 404
    if write.url_has_ids:
        assert through_b.status_code == 404
    else:  # A's ids only in the body: each reads "does not exist" in B, naming the field
        assert through_b.status_code == 400 and "village" in fields(through_b)
    assert snapshot() == before


@pytest.mark.parametrize("write", [w for w in WRITES if w.url_has_ids], ids=lambda w: w.name)
def test_a_clerk_of_another_village_gets_404_for_each_write_and_nothing_changes(rw, stages, write):
    path, body = write.prepare(stages)
    before = snapshot()

    response = as_user(rw, west_clerk(rw)).post(path, body)

    assert response.status_code == 404
    assert snapshot() == before


def test_roles_that_may_not_take_a_step_get_403(rw, stages):
    round_ = stages.collecting()
    panel_member, clerk = as_user(rw, rw.members2[0].user), as_user(rw, rw.clerk)
    before = snapshot()

    creating = panel_member.post(
        "rounds/",
        {"village": rw.village.pk, "scheme": rw.scheme.pk, "kind": "quarterly", "period": "2026-Q3"},
    )
    inspecting = clerk.post(
        f"rounds/{round_.pk}/inspections/", {"household": rw.h1.pk, "inspected_on": Q1_DAY.isoformat()}
    )
    moving = panel_member.post(f"rounds/{round_.pk}/move/", {"move": "start_panel_review"})

    assert (creating.status_code, inspecting.status_code, moving.status_code) == (403, 403, 403)
    assert snapshot() == before


def test_only_the_township_approves_or_returns_a_round(rw, stages):
    round_ = stages.submitted()
    before = snapshot()

    by_clerk = as_user(rw, rw.clerk).post(f"rounds/{round_.pk}/move/", {"move": "approve"})
    returned_by_clerk = as_user(rw, rw.clerk).post(
        f"rounds/{round_.pk}/move/", {"move": "return", "comment": "x"}
    )

    assert (by_clerk.status_code, returned_by_clerk.status_code) == (403, 403)
    assert snapshot() == before
    returned = as_user(rw, rw.admin).post(
        f"rounds/{round_.pk}/move/", {"move": "return", "comment": "二组依据不足"}
    )
    assert returned.status_code == 200
    assert (returned.json()["state"], returned.json()["trail"][-1]["comment"]) == (
        "panel_review",
        "二组依据不足",
    )


# Reads -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def everything(rw, stages):
    """A quarterly round on notice with an objection, an annual one with a pending declaration."""
    quarterly, objection = stages.objected()
    annual = stages.annual_collecting()
    declaration = stages.declared(annual)
    return {"round": quarterly, "annual": annual, "objection": objection, "declaration": declaration}


def read_paths(rw, everything):
    q, a = everything["round"].pk, everything["annual"].pk
    details = [
        f"panels/{rw.panel1.pk}/",
        f"rounds/{q}/",
        f"rounds/{q}/rotation/",
        f"rounds/{q}/assignments/",
        f"rounds/{q}/progress/",
        f"rounds/{q}/inspections/",
        f"rounds/{q}/meetings/",
        f"rounds/{q}/objections/",
        f"rounds/{q}/proposals/",
        f"rounds/{a}/declarations/",
        f"declarations/{everything['declaration'].pk}/",
        f"objections/{everything['objection'].pk}/",
    ]
    lists = ["panels/", "rounds/", "declarations/", "objections/"]
    return details, lists


@pytest.mark.parametrize("reader", ["admin", "clerk", "supervisor", "county"])
def test_members_who_see_the_village_read_every_review_endpoint(rw, everything, reader):
    client = as_user(rw, getattr(rw.world.a, reader))
    details, lists = read_paths(rw, everything)

    for path in details + lists:
        assert client.get(path).status_code == 200, path
    for path in lists:
        assert client.get(path).json()["count"] >= 1, path


def test_panel_members_read_the_rounds_of_their_village(rw, everything):
    client = as_user(rw, rw.members1[0].user)
    details, lists = read_paths(rw, everything)

    assert all(client.get(path).status_code == 200 for path in details)
    assert [r["id"] for r in client.get("rounds/").json()["results"]] == [
        everything["annual"].pk,
        everything["round"].pk,
    ]


@pytest.mark.parametrize("who", ["outsider", "west clerk"])
def test_outsiders_and_another_villages_clerk_get_404_and_empty_lists(rw, everything, who):
    details, lists = read_paths(rw, everything)
    if who == "outsider":
        clients = [as_user(rw, rw.world.b.admin), as_user(rw, rw.world.b.admin, township=rw.world.b.township)]
    else:
        clients = [as_user(rw, west_clerk(rw))]

    for client in clients:
        for path in details:
            assert client.get(path).status_code == 404, (who, path)
    if who == "outsider":
        assert all(clients[0].get(path).status_code == 404 for path in lists)  # A's slug
    for path in lists:
        assert clients[-1].get(path).json()["count"] == 0, (who, path)


def test_a_round_shows_its_trail_notice_dates_counts_and_the_moves_its_state_allows(rw, everything):
    round_ = everything["round"]

    body = as_user(rw, rw.world.a.supervisor).get(f"rounds/{round_.pk}/").json()

    assert [(m["move"], m["from_state"], m["to_state"], m["actor"]) for m in body["trail"]] == [
        ("open", "draft", "collecting", "a-village_clerk"),
        ("start_panel_review", "collecting", "panel_review", "a-village_clerk"),
        ("open_notice", "panel_review", "on_notice", "a-village_clerk"),
    ]
    assert body["state"] == "on_notice" and body["notice_running"] is True
    assert body["notice_number"] == 1 and body["notice_ends_at"] > body["notice_opened_at"]
    assert (body["households"], body["inspected"], body["proposed"], body["objections_open"]) == (2, 2, 2, 1)
    assert body["possible_moves"] == ["submit"]
    assert sorted((a["panel_name"], a["area_name"]) for a in body["assignments"]) == [
        ("第一评议小组", "二组"),
        ("第二评议小组", "一组"),
    ]


def test_rounds_filter_by_village_scheme_kind_state_and_period(rw, everything):
    client = as_user(rw, rw.admin)

    def ids(**query):
        response = client.get("rounds/", **query)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    q, a = everything["round"].pk, everything["annual"].pk
    assert ids(kind="annual") == [a]
    assert ids(state="on_notice") == [q]
    assert ids(period="2026-Q1") == [q]
    assert ids(village=rw.village.pk, scheme=rw.scheme.pk) == [a, q]
    assert ids(village=rw.world.a.villages[1].pk) == []
    assert client.get("rounds/", state="nonsense").status_code == 400
    assert client.get("rounds/", village=HUGE).status_code == 400
    assert client.get("rounds/", period="2026\x00").status_code == 400


def test_panels_list_their_members_and_kinds(rw):
    body = as_user(rw, rw.clerk).get(f"panels/{rw.panel1.pk}/").json()

    assert (body["name"], body["home_area"]) == ("第一评议小组", rw.area1.pk)
    assert [(m["name"], m["kind"]) for m in body["members"]] == [
        ("p1-0", "committee"),
        ("p1-1", "area_leader"),
        ("p1-2", "supervisor"),
        ("p1-3", "party_representative"),
        ("p1-4", "villager_representative"),
    ]


# Panels ----------------------------------------------------------------------------------------------------------


def test_a_panel_needs_five_panel_members_of_the_village_each_once_and_a_free_name(rw, stages):
    client = as_user(rw, rw.clerk)
    _path, body = _new_panel(stages)
    outsider = UserFactory(username="not-a-panel-member")
    MembershipFactory(user=outsider, township=rw.township, role=Role.VILLAGE_CLERK, villages=[rw.village])
    before = snapshot()

    four = client.post("panels/", {**body, "members": body["members"][:4]})
    twice = client.post("panels/", {**body, "members": body["members"][:4] + body["members"][:1]})
    stranger = client.post(
        "panels/", {**body, "members": body["members"][:4] + [{"user": outsider.pk, "kind": "committee"}]}
    )
    b_member = client.post(
        "panels/",
        {**body, "members": body["members"][:4] + [{"user": rw.world.b.panel.pk, "kind": "committee"}]},
    )
    taken = client.post("panels/", {**body, "name": "第一评议小组"})
    unseen_area = client.post("panels/", {**body, "home_area": rw.world.a.areas[1].pk})
    wrong_area = as_user(rw, rw.admin).post("panels/", {**body, "home_area": rw.world.a.areas[1].pk})

    assert four.json() == invalid({"members": ["A review panel needs at least 5 members."]})
    assert twice.json() == invalid({"members": ["Each person may be listed only once."]})
    assert stranger.json() == invalid(
        {"members": ["These people are not panel members of a东村: not-a-panel-member."]}
    )
    assert b_member.json() == invalid(
        {"members.4.user": [f'Invalid pk "{rw.world.b.panel.pk}" - object does not exist.']},
        code="does_not_exist",
    )
    assert taken.json() == invalid({"name": ["a东村 already has a panel with this name."]})
    assert unseen_area.json() == invalid(
        {"home_area": [f'Invalid pk "{rw.world.a.areas[1].pk}" - object does not exist.']},
        code="does_not_exist",
    )
    assert wrong_area.json() == invalid({"home_area": ["The home area must be in the panel's village."]})
    assert snapshot() == before


# Ids in bodies: looked up in the township and among what the member sees ------------------------------------


def test_foreign_ids_in_a_new_round_are_400_naming_the_field(rw):
    b = b_catalogue(rw.world)
    client = as_user(rw, rw.clerk)
    base = {"village": rw.village.pk, "scheme": rw.scheme.pk, "kind": "quarterly", "period": "2026-Q2"}
    before = snapshot()

    assert fields(client.post("rounds/", {**base, "village": rw.world.b.villages[0].pk})) == {"village"}
    assert fields(client.post("rounds/", {**base, "village": rw.world.a.villages[1].pk})) == {"village"}
    assert fields(client.post("rounds/", {**base, "scheme": b["scheme"].pk})) == {"scheme"}
    assert fields(client.post("rounds/", {**base, "village": HUGE})) == {"village"}
    assert client.post("rounds/", {**base, "period": "2027-Q1"}).json() == invalid(
        {"period": ["A Quarterly inspection round of 2026 has a period like 2026-Q1."]}
    )
    assert snapshot() == before


def test_foreign_ids_in_the_steps_of_a_round_are_400_naming_the_field_and_nothing_is_written(rw, stages):
    b = b_catalogue(rw.world)
    draft, collecting = stages.draft("2026-Q2"), stages.collecting()
    clerk, inspector = as_user(rw, rw.clerk), as_user(rw, rw.members2[0].user)
    visit = {"household": rw.h1.pk, "inspected_on": Q1_DAY.isoformat(), "findings": [{"item": rw.clean.pk}]}
    before = snapshot()

    def errors(response):
        assert response.status_code == 400, response.json()
        assert response.json() == invalid(response.json()["errors"], code=response.json()["code"])
        return response.json()["errors"]

    assert set(
        fields(clerk.post(f"rounds/{draft.pk}/assignments/", {"panel": b["panel"].pk, "area": rw.area2.pk}))
    ) == {"panel"}
    assert set(
        fields(clerk.post(f"rounds/{draft.pk}/assignments/", {"panel": rw.panel1.pk, "area": b["area"].pk}))
    ) == {"area"}
    inspections = f"rounds/{collecting.pk}/inspections/"
    assert set(fields(inspector.post(inspections, {**visit, "household": b["household"].pk}))) == {
        "household"
    }
    assert set(fields(inspector.post(inspections, {**visit, "household": rw.world.a.households[1].pk}))) == {
        "household"
    }  # village 1: a panel member of village 0 does not see it
    assert errors(inspector.post(inspections, {**visit, "findings": [{"item": b["item"].pk}]})) == {
        "findings.0.item": [f'Invalid pk "{b["item"].pk}" - object does not exist.']
    }
    assert set(fields(inspector.post(inspections, {**visit, "household": HUGE}))) == {"household"}
    assert errors(inspector.post(inspections, {**visit, "findings": "not json"})) == {
        "findings": ['Send the findings as a JSON list, like [{"item": 12, "comment": "…"}].']
    }
    assert snapshot() == before


def test_foreign_ids_in_meetings_objections_and_decisions_are_400_and_nothing_is_written(rw, stages):
    b = b_catalogue(rw.world)
    rw_b = rw.world.b
    round_, objection = stages.objected()
    annual = stages.annual_collecting()
    declaration = stages.declared(annual)
    stages.move(annual, "start_panel_review")
    other_round = stages.draft("2026-Q2")
    with township_scope(rw.township):
        other_entry = scoring.record_entry(
            membership=rw.membership(rw.admin), household=rw.h1, item=rw.clean, occurred_on=Q1_DAY
        )
    clerk, panel_member = as_user(rw, rw.clerk), as_user(rw, rw.members1[0].user)
    meeting = {
        "kind": "panel",
        "panel": rw.panel1.pk,
        "held_on": SUMMER_DAY.isoformat(),
        "attendees": [m.user.pk for m in rw.members1],
    }
    before = snapshot()

    annual_meetings = f"rounds/{annual.pk}/meetings/"
    with_b_user = clerk.post(
        annual_meetings, {**meeting, "attendees": meeting["attendees"][:4] + [rw_b.panel.pk]}
    )
    with_b_panel = clerk.post(annual_meetings, {**meeting, "panel": b["panel"].pk})
    entry_elsewhere = clerk.post(
        annual_meetings, {**meeting, "changes": [{"entry": other_entry.pk, "reason": "x"}]}
    )
    objection_of_b = clerk.post(
        f"rounds/{round_.pk}/objections/",
        {"household": b["household"].pk, "objector_name": "张三", "reason": "x"},
    )
    decided_to_b_item = panel_member.post(
        f"declarations/{declaration.pk}/decide/",
        {"decision": "adjusted", "reason": "x", "adjusted_item": b["item"].pk},
    )
    resolved_elsewhere = clerk.post(
        f"objections/{objection.pk}/resolve/",
        {"upheld": True, "outcome": "x", "changes": [{"entry": other_entry.pk, "reason": "x"}]},
    )
    b_declared_item = clerk.post(
        f"rounds/{annual.pk}/declarations/",
        {
            "household": rw.h1.pk,
            "item": b["item"].pk,
            "occurred_on": "2026-06-01",
            "place": "x",
            "description": "x",
        },
    )

    assert (with_b_user.status_code, fields(with_b_user)) == (400, {"attendees"})
    assert (with_b_panel.status_code, fields(with_b_panel)) == (400, {"panel"})
    assert entry_elsewhere.json() == invalid(
        {"changes.0.entry": [f'Invalid pk "{other_entry.pk}" - object does not exist.']},
        code="does_not_exist",
    )
    assert (objection_of_b.status_code, fields(objection_of_b)) == (400, {"household"})
    assert (decided_to_b_item.status_code, fields(decided_to_b_item)) == (400, {"adjusted_item"})
    assert (resolved_elsewhere.status_code, fields(resolved_elsewhere)) == (400, {"changes.0.entry"})
    assert (b_declared_item.status_code, fields(b_declared_item)) == (400, {"item"})
    assert other_round.state == RoundState.DRAFT
    assert snapshot() == before


# Every illegal move, and every precondition, refused with a message ------------------------------------------


def refused(client, round_, move, comment=""):
    """The move is a 400 whose message says why, and nothing changed."""
    before = snapshot()
    response = client.post(f"rounds/{round_.pk}/move/", {"move": move, "comment": comment})
    assert response.status_code == 400, (move, response.json())
    assert snapshot() == before
    body = response.json()
    assert body == refusal(body["code"], body["detail"], body["field"])
    return body["field"] or "non_field_errors", body["detail"]


def assert_no_other_move(client, round_, state_label):
    """From this state only the moves of services.MOVES that start from it exist; every other one is refused."""
    round_.refresh_from_db()
    for move, (sources, _target, _action) in services.MOVES.items():
        if round_.state in sources:
            continue
        field, message = refused(client, round_, move, comment="理由")
        assert field == "non_field_errors"
        assert f"This round is {state_label}" in message and "cannot be moved" in message, (move, message)


def test_every_move_the_state_does_not_allow_is_refused_with_the_reason(rw, stages):
    admin = as_user(rw, rw.admin)  # may run and approve: only the state refuses

    round_ = stages.rotated()
    assert_no_other_move(admin, round_, "Draft")
    stages.move(round_, "open")
    assert_no_other_move(admin, round_, "Collecting")
    for household, member, item in ((rw.h1, rw.members2[0], rw.clean), (rw.h2, rw.members1[0], rw.mess)):
        services.record_inspection(
            membership=member,
            round=round_,
            household=household,
            inspected_on=Q1_DAY,
            findings=[{"item": item}],
        )
    stages.move(round_, "start_panel_review")
    assert_no_other_move(admin, round_, "Panel review")
    for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
        services.record_panel_meeting(
            membership=stages.clerk,
            round=round_,
            panel=panel,
            held_on=Q1_DAY,
            attendees=[m.user for m in members],
        )
    with time_machine.travel(timezone.now() - datetime.timedelta(days=5), tick=True):
        stages.move(round_, "open_notice")
    assert_no_other_move(admin, round_, "On public notice")
    stages.move(round_, "submit")
    assert_no_other_move(admin, round_, "Submitted to the township")
    stages.move(round_, "approve", user=rw.admin)
    assert_no_other_move(admin, round_, "Approved")

    annual = stages.annual_collecting()
    stages.move(annual, "start_panel_review")
    for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
        services.record_panel_meeting(
            membership=stages.clerk,
            round=annual,
            panel=panel,
            held_on=SUMMER_DAY,
            attendees=[m.user for m in members],
        )
    stages.move(annual, "to_representatives")
    assert_no_other_move(admin, annual, "Representatives' meeting")


def test_each_precondition_of_a_quarterly_round_refuses_the_move_with_what_to_do(rw, stages):
    clerk = as_user(rw, rw.clerk)

    assert "Assign review panels" in refused(clerk, stages.draft("2026-Q2"), "open")[1]
    collecting = stages.collecting()
    assert refused(clerk, collecting, "start_panel_review")[1] == (
        "2 households taking part have not been inspected yet."
    )
    unknown = clerk.post(f"rounds/{collecting.pk}/move/", {"move": "skip_to_approval"})
    assert unknown.json() == invalid(
        {"move": ['"skip_to_approval" is not a valid choice.']}, code="invalid_choice"
    )


def test_panel_review_preconditions_quorum_and_representatives(rw, stages):
    clerk = as_user(rw, rw.clerk)
    round_ = stages.panel_review()

    assert "Record a panel meeting with a quorum first" in refused(clerk, round_, "open_notice")[1]
    assert (
        refused(clerk, round_, "to_representatives")[1]
        == "Only an annual review has a representatives' meeting."
    )


def test_the_notice_cannot_be_skipped_and_open_objections_block_submission(rw, stages):
    clerk = as_user(rw, rw.clerk)
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime.datetime(2026, 12, 6, 23, 50, tzinfo=shanghai), tick=False) as clock:
        round_, objection = stages.objected()
        clock.move_to(datetime.datetime(2026, 12, 9, 23, 59, tzinfo=shanghai))  # its third and last day
        assert "only after it ends" in refused(clerk, round_, "submit")[1]
        clock.move_to(datetime.datetime(2026, 12, 10, 0, 0, tzinfo=shanghai))
        assert refused(clerk, round_, "submit")[1] == "1 objections are not resolved yet."
        resolved = clerk.post(
            f"objections/{objection.pk}/resolve/", {"upheld": False, "outcome": "经核实无误"}
        )
        assert resolved.status_code == 200
        assert clerk.post(f"rounds/{round_.pk}/move/", {"move": "submit"}).status_code == 200


def test_a_return_needs_reasons_and_a_second_approval_is_told_who_approved(rw, stages):
    admin = as_user(rw, rw.admin)
    round_ = stages.submitted()

    assert refused(admin, round_, "return") == ("comment", "Say why the round is returned.")
    assert admin.post(f"rounds/{round_.pk}/move/", {"move": "approve"}).status_code == 200
    message = refused(admin, round_, "approve")[1]
    assert "This round is Approved (moved by a-township_admin at" in message


def test_annual_review_preconditions(rw, stages):
    clerk = as_user(rw, rw.clerk)
    annual = stages.annual_collecting()
    stages.declared(annual)
    stages.move(annual, "start_panel_review")

    assert (
        refused(clerk, annual, "to_representatives")[1]
        == "1 declarations still wait for the panel's decision."
    )
    assert "representatives' meeting before the notice" in refused(clerk, annual, "open_notice")[1]


def test_an_annual_review_needs_the_representatives_meeting_before_the_notice(rw, stages):
    clerk = as_user(rw, rw.clerk)
    annual = stages.annual_collecting()
    stages.move(annual, "start_panel_review")
    for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
        services.record_panel_meeting(
            membership=stages.clerk,
            round=annual,
            panel=panel,
            held_on=SUMMER_DAY,
            attendees=[m.user for m in members],
        )
    stages.move(annual, "to_representatives")

    assert refused(clerk, annual, "open_notice")[1] == "Record the representatives' meeting first."
    missing_staff = clerk.post(
        f"rounds/{annual.pk}/meetings/",
        {"kind": "representatives", "held_on": SUMMER_DAY.isoformat(), "attendee_names": "代表20人"},
    )
    assert missing_staff.json() == invalid(
        {"township_staff": ["Name the township staff who supervised the meeting."]}
    )
    with_a_panel = clerk.post(
        f"rounds/{annual.pk}/meetings/",
        {
            "kind": "representatives",
            "held_on": SUMMER_DAY.isoformat(),
            "attendee_names": "代表20人",
            "township_staff": "李明",
            "panel": rw.panel1.pk,
        },
    )
    assert with_a_panel.json() == invalid(
        {"panel": ["A representatives' meeting lists its attendees by name, not a panel."]}
    )


# Conflicts of interest -------------------------------------------------------------------------------------------


def test_a_panel_cannot_be_assigned_its_own_home_area(rw, stages):
    round_ = stages.draft()
    before = snapshot()

    response = as_user(rw, rw.clerk).post(
        f"rounds/{round_.pk}/assignments/", {"panel": rw.panel1.pk, "area": rw.area1.pk}
    )

    assert response.status_code == 400
    assert response.json() == refusal(
        "own_area", "Cross-review: 第一评议小组 cannot inspect its own home area 一组.", "area"
    )
    assert snapshot() == before


def test_a_member_cannot_inspect_their_own_household_nor_an_area_not_assigned_to_their_panel(rw, stages):
    round_ = stages.collecting()  # panel 1 inspects area 2 (h2), panel 2 area 1 (h1)
    head = rw.h2.members.get(is_head=True)
    head.account = rw.members1[1].user
    head.save()
    visit = {"inspected_on": Q1_DAY.isoformat(), "findings": [{"item": rw.clean.pk}]}
    before = snapshot()

    own = as_user(rw, rw.members1[1].user).post(
        f"rounds/{round_.pk}/inspections/", {**visit, "household": rw.h2.pk}
    )
    elsewhere = as_user(rw, rw.members1[0].user).post(
        f"rounds/{round_.pk}/inspections/", {**visit, "household": rw.h1.pk}
    )

    assert own.status_code == 400
    assert own.json() == refusal(
        "conflict_of_interest",
        "You are a member of household A-201: another panel member must decide, or the township office may "
        "override with a reason.",
        "household",
    )
    assert elsewhere.json() == refusal(
        "not_assigned", "Your panel is not assigned to area 一组 in this round.", "household"
    )
    assert snapshot() == before
    assert (
        as_user(rw, rw.members1[0].user)
        .post(f"rounds/{round_.pk}/inspections/", {**visit, "household": rw.h2.pk})
        .status_code
        == 201
    )


# Inspections: multipart findings, evidence and idempotency -----------------------------------------------------


def test_evidence_sent_for_no_finding_or_not_a_photo_is_400_and_nothing_is_written(rw, stages):
    round_ = stages.collecting()
    inspector = as_user(rw, rw.members2[0].user)
    visit = {
        "household": rw.h1.pk,
        "inspected_on": Q1_DAY.isoformat(),
        "findings": f'[{{"item": {rw.clean.pk}}}]',
    }
    path = f"rounds/{round_.pk}/inspections/"
    png = SimpleUploadedFile("p.png", tiny_png(), content_type="image/png")
    text = SimpleUploadedFile("notes.png", b"just text", content_type="image/png")
    before = snapshot()

    stray = inspector.post(path, {**visit, "evidence_1": png}, multipart=True)
    wrong_type = inspector.post(path, {**visit, "evidence_0": text}, multipart=True)

    assert stray.json() == invalid(
        {
            "evidence_1": [
                "There is no finding for this file: send finding n's files as evidence_<n>, counting the findings from 0."
            ]
        }
    )
    assert wrong_type.json() == invalid(
        {"evidence": ["notes.png is not a photo (JPEG, PNG, WebP) or a PDF document."]}
    )
    assert snapshot() == before


def test_an_idempotency_key_used_for_other_findings_is_400(rw, stages):
    round_ = stages.collecting()
    inspector = as_user(rw, rw.members2[0].user)
    path = f"rounds/{round_.pk}/inspections/"
    key = {"Idempotency-Key": "visit-1"}
    first = inspector.post(
        path,
        {"household": rw.h1.pk, "inspected_on": Q1_DAY.isoformat(), "findings": [{"item": rw.clean.pk}]},
        headers=key,
    )
    assert first.status_code == 201
    before = snapshot()

    other = inspector.post(
        path,
        {"household": rw.h1.pk, "inspected_on": Q1_DAY.isoformat(), "findings": [{"item": rw.mess.pk}]},
        headers=key,
    )
    malformed = inspector.post(
        path,
        {"household": rw.h1.pk, "inspected_on": Q1_DAY.isoformat()},
        headers={"Idempotency-Key": "no spaces please"},
    )

    assert other.json() == invalid(
        {"Idempotency-Key": ["This Idempotency-Key was already used for another entry; send a new key."]}
    )
    assert fields(malformed) == {"Idempotency-Key"}
    assert snapshot() == before


# Nothing is deleted ----------------------------------------------------------------------------------------------


def test_deleting_or_editing_any_review_object_is_405_for_members_and_404_for_outsiders(rw, everything):
    paths = [
        f"panels/{rw.panel1.pk}/",
        f"rounds/{everything['round'].pk}/",
        f"declarations/{everything['declaration'].pk}/",
        f"objections/{everything['objection'].pk}/",
    ]
    before = snapshot()

    for user in (rw.admin, rw.world.a.supervisor):
        client = as_user(rw, user).client
        for path in paths:
            response = client.delete(f"/api/v1/t/town-a/{path}")
            assert response.status_code == 405, (user, path)
            assert "never deleted" in response.json()["detail"]
        assert client.patch(f"/api/v1/t/town-a/{paths[1]}", {"state": "approved"}).status_code == 405
        assert client.put(f"/api/v1/t/town-a/{paths[1]}", {"state": "approved"}).status_code == 405
        assert client.delete(f"/api/v1/t/town-a/{paths[1]}move/").status_code == 405
    outsider = as_user(rw, rw.world.b.admin).client
    for slug in ("town-a", "town-b"):
        assert all(outsider.delete(f"/api/v1/t/{slug}/{path}").status_code == 404 for path in paths)
    assert snapshot() == before


def test_the_refusal_to_delete_speaks_chinese_by_default(rw, everything):
    client = as_user(rw, rw.admin).client

    response = client.delete(
        f"/api/v1/t/town-a/rounds/{everything['round'].pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.json() == error("method_not_allowed", "评议不会被删除：全部流程记录都要保留。")


# Constant queries ------------------------------------------------------------------------------------------------


def queries_of(client, path):
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
    assert response.status_code == 200, response.json()
    return len(context), response.json()["count"]


def test_the_rounds_list_takes_the_same_queries_for_2_and_10_rounds(rw, stages, django_assert_num_queries):
    admin_membership = rw.membership(rw.admin)
    village_west = rw.world.a.villages[1]
    stages.collecting()  # with assignments and a move
    stages.annual_collecting()
    client = as_user(rw, rw.admin)
    client.get("rounds/")  # warm caches (content types, translations)
    queries, count = queries_of(client, "rounds/")
    assert count == 2
    for period in ("2026-Q2", "2026-Q3", "2026-Q4"):
        services.apply_rotation(membership=stages.clerk, round=stages.draft(period))
    for period in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2026"):
        services.create_round(
            membership=admin_membership,
            village=village_west,
            scheme=rw.scheme,
            kind="annual" if period == "2026" else "quarterly",
            period=period,
        )

    with django_assert_num_queries(queries):
        response = client.get("rounds/")
    assert response.json()["count"] == 10


def inspected_households(rw, stages, round_, count):
    """`count` more households of area 1, each inspected by panel 2 with one finding and a photo."""
    for n in range(count):
        household = HouseholdFactory(
            area=rw.area1, number=f"A-1{n:02d}-{round_.pk}-{Inspection.objects.count()}"
        )
        services.record_inspection(
            membership=rw.members2[n % 5],
            round=round_,
            household=household,
            inspected_on=Q1_DAY,
            findings=[{"item": rw.clean, "evidence": [SimpleUploadedFile("p.png", tiny_png())]}],
        )


@pytest.mark.parametrize("endpoint", ["inspections", "proposals"])
def test_inspections_and_proposals_take_the_same_queries_for_2_and_10_rows(
    rw, stages, endpoint, django_assert_num_queries
):
    round_ = stages.collecting()
    inspected_households(rw, stages, round_, 2)
    client = as_user(rw, rw.clerk)
    path = f"rounds/{round_.pk}/{endpoint}/"
    client.get(path)
    queries, count = queries_of(client, path)
    assert count == 2
    inspected_households(rw, stages, round_, 8)

    with django_assert_num_queries(queries):
        response = client.get(path)
    assert response.json()["count"] == 10
    assert all(len(row.get("findings", [row])[0]["evidence"]) == 1 for row in response.json()["results"])


# Two approvals at once -------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_once_through_the_api_post_the_entries_once(rw):
    round_ = Stages(rw).submitted()
    proposals = list(Entry.objects.filter(round_link__round=round_).values_list("pk", flat=True))
    codes, barrier = [], threading.Barrier(2)

    def approve():
        try:
            with township_scope(rw.township):  # a thread starts with no scope of its own
                client = as_user(rw, rw.admin)
                barrier.wait()
                codes.append(client.post(f"rounds/{round_.pk}/move/", {"move": "approve"}).status_code)
        except Exception as exc:  # anything else fails the assertion below with its name
            codes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes, key=str) == [200, 400]
    assert len(proposals) == 2
    assert Entry.objects.filter(pk__in=proposals, state=EntryState.APPROVED).count() == 2
    assert RoundMove.objects.filter(round=round_, move="approve").count() == 1
