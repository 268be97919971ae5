"""The issue's acceptance through the API, on the seed-1 template (village-2026): a quarterly round and an annual
round from draft to the township's approval, with the clock moved by time-machine. The totals are computed by hand.
"""

import datetime
import struct
import zlib
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.tenancy import township_scope
from review.models import Declaration, RoundMove
from scoring.models import Entry, EntryState, Evidence, Item
from scoring.scheme_templates import load_template
from scoring.selectors import annual_totals
from scoring.services import activate_scheme
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db
D = Decimal
Q1_DAY = datetime.date(2026, 3, 10)
SUMMER_DAY = datetime.date(2026, 6, 1)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Posted on 6 Dec at 23:50: three whole calendar days (7, 8 and 9 Dec); the notice ends at 10 Dec 00:00.
POSTED = datetime.datetime(2026, 12, 6, 23, 50, tzinfo=SHANGHAI)
NOTICE_END = datetime.datetime(2026, 12, 10, 0, 0, tzinfo=SHANGHAI)
KEY = {"Idempotency-Key": "q1-a-001"}


@pytest.fixture(autouse=True)
def before_the_notice():
    """The rounds are drafted the day before they are posted (POSTED), whatever today's date is: the moves made
    before the notice are older than the notice, so the trail (ordered by time) reads as it happened."""
    with time_machine.travel(POSTED - datetime.timedelta(days=1), tick=True):
        yield


def tiny_png() -> bytes:
    """A valid 1×1 white PNG: signature, IHDR, IDAT and IEND chunks with their CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8 bits, RGB
    pixels = zlib.compress(b"\x00\xff\xff\xff")  # filter byte 0, one white pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def photo(name="现场.png"):
    return SimpleUploadedFile(name, tiny_png(), content_type="image/png")


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


class Api:
    """Calls under /api/v1/t/<township>/ as one user."""

    def __init__(self, township, user):
        self.prefix, self.client = f"/api/v1/t/{township.slug}/", api(user)

    def get(self, path, **query):
        return self.client.get(self.prefix + path, query)

    def post(self, path, body=None, *, multipart=False, headers=None):
        return self.client.post(
            self.prefix + path, body or {}, format="multipart" if multipart else "json", headers=headers
        )

    def move(self, round_id, move, comment=""):
        return self.post(f"rounds/{round_id}/move/", {"move": move, "comment": comment})


def item(scheme, name_start: str) -> Item:
    return Item.objects.get(category__scheme=scheme, name__startswith=name_start)


def assert_ok(response, code=200):
    assert response.status_code == code, response.json()
    return response.json()


class Seed1:
    """Township A's village 0 (rw) with the seed-1 scheme and four households, two in each area."""

    def __init__(self, rw):
        self.rw = rw
        with township_scope(rw.township):
            self.scheme = load_template(
                membership=rw.membership(rw.admin), township=rw.township, name="village-2026", year=2026
            )
            activate_scheme(membership=rw.membership(rw.admin), scheme=self.scheme)
            self.h1, self.h2 = rw.h1, rw.h2  # area 1, area 2
            self.h3 = HouseholdFactory(area=rw.area1, number="A-103")
            ResidentFactory(household=self.h3, name="王三", is_head=True)
            self.h4 = HouseholdFactory(area=rw.area2, number="A-204")
            ResidentFactory(household=self.h4, name="赵四", is_head=True)
        self.clerk = Api(rw.township, rw.clerk)
        self.admin = Api(rw.township, rw.admin)
        # Cross-review: panel 2 (home area 2) inspects area 1, panel 1 (home area 1) inspects area 2.
        self.inspector_of_area1 = Api(rw.township, rw.members2[0].user)
        self.inspector_of_area1_b = Api(rw.township, rw.members2[1].user)
        self.inspector_of_area2 = Api(rw.township, rw.members1[0].user)
        self.inspector_of_area2_b = Api(rw.township, rw.members1[1].user)

    def item(self, name_start):
        return item(self.scheme, name_start)

    def create_round(self, kind, period):
        body = {"village": self.rw.village.pk, "scheme": self.scheme.pk, "kind": kind, "period": period}
        return assert_ok(self.clerk.post("rounds/", body), 201)

    def panel_meeting(self, as_api, round_id, panel, members, held_on, changes=()):
        body = {
            "kind": "panel",
            "panel": panel.pk,
            "held_on": held_on.isoformat(),
            "attendees": [m.user.pk for m in members],
            "changes": list(changes),
        }
        return as_api.post(f"rounds/{round_id}/meetings/", body)

    def proposal(self, round_id, household, item_start):
        rows = assert_ok(self.clerk.get(f"rounds/{round_id}/proposals/"))["results"]
        (row,) = [
            r
            for r in rows
            if r["household"] == household.pk
            and r["item_name"].startswith(item_start)
            and r["state"] == "proposed"
        ]
        return row


@pytest.fixture
def seed(rw):
    return Seed1(rw)


def approved_snapshot(round_id):
    """Every entry of the round with its state and approval time: a second approval must change none of it."""
    return sorted(
        Entry.objects.filter(round_link__round_id=round_id).values_list(
            "pk", "state", "approved_at", "points"
        )
    )


def test_a_quarterly_round_through_the_api_counts_once_approved_after_a_notice_that_cannot_be_skipped(seed):
    rw = seed.rw
    round_ = seed.create_round("quarterly", "2026-Q1")
    rid = round_["id"]
    assert (round_["state"], round_["households"], round_["trail"]) == ("draft", 4, [])

    proposal = assert_ok(seed.clerk.get(f"rounds/{rid}/rotation/"))["results"]
    assert [(r["panel"], r["area"]) for r in proposal] == [
        (rw.panel2.pk, rw.area1.pk),
        (rw.panel1.pk, rw.area2.pk),
    ]
    assert_ok(seed.clerk.post(f"rounds/{rid}/rotation/"))
    assert assert_ok(seed.clerk.move(rid, "open"))["state"] == "collecting"

    # Area 1, by panel 2: h1 with a photo (multipart, retried with the same Idempotency-Key), h3 by JSON.
    tidy, sorted_waste = seed.item("庭院干净整洁"), seed.item("垃圾分类")
    findings = f'[{{"item": {tidy.pk}, "comment": "院内整洁"}}, {{"item": {sorted_waste.pk}}}]'
    visit = {"household": seed.h1.pk, "inspected_on": Q1_DAY.isoformat(), "findings": findings}
    first = seed.inspector_of_area1.post(
        f"rounds/{rid}/inspections/", {**visit, "evidence_0": photo()}, multipart=True, headers=KEY
    )
    inspection = assert_ok(first, 201)
    assert [(f["item_name"][:6], f["points"], len(f["evidence"])) for f in inspection["findings"]] == [
        ("庭院干净整洁", "3.00", 1),
        ("垃圾分类投放", "1.00", 0),
    ]
    assert inspection["findings"][0]["evidence"][0]["content_type"] == "image/png"
    retry = seed.inspector_of_area1.post(
        f"rounds/{rid}/inspections/", {**visit, "evidence_0": photo()}, multipart=True, headers=KEY
    )
    assert assert_ok(retry, 200)["findings"] == inspection["findings"]  # recorded once, the photo too
    assert Evidence.objects.count() == 1
    mess, neighbours, posters = seed.item("乱堆乱放"), seed.item("邻里和睦"), seed.item("乱贴乱画")
    h3_visit = {
        "household": seed.h3.pk,
        "inspected_on": Q1_DAY.isoformat(),
        "findings": [
            {"item": mess.pk, "comment": "柴草堆在路边"},
            {"item": neighbours.pk},
            {"item": posters.pk},
        ],
    }
    assert_ok(seed.inspector_of_area1_b.post(f"rounds/{rid}/inspections/", h3_visit), 201)
    # Area 2, by panel 1: h2 with two bonuses, h4 with nothing to note.
    volunteer = seed.item("参加志愿服务活动")
    h2_visit = {
        "household": seed.h2.pk,
        "inspected_on": Q1_DAY.isoformat(),
        "findings": [{"item": volunteer.pk}, {"item": sorted_waste.pk}],
    }
    assert_ok(seed.inspector_of_area2.post(f"rounds/{rid}/inspections/", h2_visit), 201)
    h4_visit = {"household": seed.h4.pk, "inspected_on": Q1_DAY.isoformat(), "comment": "无"}
    assert_ok(seed.inspector_of_area2_b.post(f"rounds/{rid}/inspections/", h4_visit), 201)
    progress = assert_ok(seed.clerk.get(f"rounds/{rid}/progress/"))["results"]
    assert [(p["area_name"], p["inspected"], p["total"]) for p in progress] == [
        ("一组", 2, 2),
        ("二组", 2, 2),
    ]

    assert assert_ok(seed.clerk.move(rid, "start_panel_review"))["state"] == "panel_review"
    short = seed.panel_meeting(seed.inspector_of_area2, rid, rw.panel1, rw.members1[:3], Q1_DAY)
    assert short.status_code == 400 and "No quorum: 3 of 5" in short.json()["errors"]["attendees"][0]
    assert_ok(seed.panel_meeting(seed.inspector_of_area2, rid, rw.panel1, rw.members1, Q1_DAY), 201)
    better = seed.item("孝老爱亲")
    change = {
        "entry": seed.proposal(rid, seed.h3, "邻里和睦")["id"],
        "reason": "邻里反映其长期照顾老人",
        "new_item": better.pk,
    }
    meeting = seed.panel_meeting(seed.inspector_of_area1, rid, rw.panel2, rw.members2, Q1_DAY, [change])
    assert len(assert_ok(meeting, 201)["changes"]) == 1

    with time_machine.travel(POSTED, tick=False) as clock:
        on_notice = assert_ok(seed.clerk.move(rid, "open_notice"))
        ends = datetime.datetime.fromisoformat(on_notice["notice_ends_at"])
        assert (ends, on_notice["notice_running"]) == (NOTICE_END, True)
        assert (on_notice["notice_first_day"], on_notice["notice_last_day"]) == ("2026-12-06", "2026-12-09")
        objection = {"household": seed.h2.pk, "objector_name": "周二", "reason": "垃圾分类一项应再核实"}
        filed = assert_ok(seed.clerk.post(f"rounds/{rid}/objections/", objection), 201)
        early = seed.clerk.move(rid, "submit")
        assert (
            early.status_code == 400 and "only after it ends" in early.json()["errors"]["non_field_errors"][0]
        )
        dismissed = {"upheld": False, "outcome": "经复核，该户垃圾分类到位，维持原结果"}
        assert assert_ok(seed.inspector_of_area2.post(f"objections/{filed['id']}/resolve/", dismissed))[
            "state"
        ] == ("dismissed")

        clock.move_to(NOTICE_END)
        late = seed.clerk.post(f"rounds/{rid}/objections/", {**objection, "reason": "又有意见"})
        assert (
            late.status_code == 400 and "no longer accepted" in late.json()["errors"]["non_field_errors"][0]
        )
        assert assert_ok(seed.clerk.move(rid, "submit"))["state"] == "submitted"
        before_approval = annual_totals(seed.scheme)
        assert before_approval[seed.h1.pk] == D("140.00")  # nothing counts before the township approves
        approved = assert_ok(seed.admin.move(rid, "approve", comment="同意"))
        assert (approved["state"], approved["proposed"], approved["approved"], approved["withdrawn"]) == (
            "approved",
            0,
            7,  # h1: 2, h3: 2 + the changed one, h2: 2
            1,  # h3's 邻里和睦, changed at the panel meeting
        )
        entries = approved_snapshot(rid)
        again = seed.admin.move(rid, "approve")
        assert again.status_code == 400 and "cannot be moved" in again.json()["errors"]["non_field_errors"][0]
        assert approved_snapshot(rid) == entries
    assert [m["move"] for m in approved["trail"]] == [
        "open",
        "start_panel_review",
        "open_notice",
        "submit",
        "approve",
    ]
    assert RoundMove.objects.filter(round_id=rid, move="approve").count() == 1
    assert Entry.objects.filter(round_link__round_id=rid, state=EntryState.APPROVED).count() == 7

    # Base total 20 + 20 + 40 + 40 + 20 = 140.
    # h1: 环境整治 40 + 3 (庭院) + 1 (垃圾分类) = 44 → 144.
    # h3: 环境整治 40 − 2 (乱堆乱放) − 1 (乱贴乱画) = 37; 文明新风 40 + 2 (孝老爱亲, changed from 邻里和睦 +1)
    #             = 42 → 140 − 3 + 2 = 139.
    # h2: 文明新风 +1 (志愿服务), 环境整治 +1 (垃圾分类) → 142.  h4: nothing → 140.
    totals = annual_totals(seed.scheme)
    assert [totals[h.pk] for h in (seed.h1, seed.h3, seed.h2, seed.h4)] == [
        D("144.00"),
        D("139.00"),
        D("142.00"),
        D("140.00"),
    ]


def test_an_annual_round_through_the_api_with_declarations_meetings_a_false_claim_and_approval(seed):
    rw = seed.rw
    rid = seed.create_round("annual", "2026")["id"]
    assert_ok(seed.clerk.post(f"rounds/{rid}/rotation/"))
    assert_ok(seed.clerk.move(rid, "open"))

    def declare(household, item_start, **extra):
        body = {
            "household": household.pk,
            "item": seed.item(item_start).pk,
            "occurred_on": SUMMER_DAY.isoformat(),
            "place": "村部",
            "description": f"{household.number} 申报 {item_start}",
            **extra,
        }
        multipart = "evidence" in body
        return assert_ok(seed.clerk.post(f"rounds/{rid}/declarations/", body, multipart=multipart), 201)

    kept = declare(seed.h1, "参加主题党日", evidence=[photo("党日.png")])
    assert kept["evidence"][0]["original_name"] == "党日.png"
    adjusted = declare(seed.h1, "参加村民代表会议")
    false = declare(seed.h2, "主动调解邻里矛盾纠纷")
    on_behalf = declare(seed.h3, "按时足额缴纳", on_behalf=True)
    assert on_behalf["on_behalf"] is True
    # The on-site check of the annual review: panel 1 inspects h4 (area 2).
    check = {
        "household": seed.h4.pk,
        "inspected_on": SUMMER_DAY.isoformat(),
        "findings": [{"item": seed.item("参加法治宣传教育活动").pk, "comment": "参加普法讲座"}],
    }
    assert_ok(seed.inspector_of_area2.post(f"rounds/{rid}/inspections/", check), 201)
    too_early = seed.inspector_of_area1.post(f"declarations/{kept['id']}/decide/", {"decision": "accepted"})
    assert (
        too_early.status_code == 400 and "panel review" in too_early.json()["errors"]["non_field_errors"][0]
    )

    assert_ok(seed.clerk.move(rid, "start_panel_review"))
    # Cross-review: panel 2 decides about h1 and h3 (area 1), panel 1 about h2 (area 2).
    by_panel2, by_panel1 = seed.inspector_of_area1, seed.inspector_of_area2
    decisions = [
        (by_panel2, kept, {"decision": "accepted"}),
        (by_panel2, on_behalf, {"decision": "accepted"}),
        (
            by_panel2,
            adjusted,
            {"decision": "adjusted", "reason": "属担任志愿者", "adjusted_item": seed.item("担任网格员").pk},
        ),
        (by_panel1, false, {"decision": "false", "reason": "经核实当天未参与调解"}),
    ]
    for panel_member, declaration, body in decisions:
        assert (
            assert_ok(panel_member.post(f"declarations/{declaration['id']}/decide/", body))["state"]
            == (body["decision"])
        )
    pending = seed.clerk.move(rid, "to_representatives")
    assert pending.status_code == 400 and "quorum" in pending.json()["errors"]["non_field_errors"][0]
    assert_ok(seed.panel_meeting(seed.clerk, rid, rw.panel1, rw.members1, SUMMER_DAY), 201)
    assert_ok(seed.panel_meeting(seed.clerk, rid, rw.panel2, rw.members2, SUMMER_DAY), 201)
    skipping = seed.clerk.move(rid, "open_notice")
    assert (
        skipping.status_code == 400 and "representatives" in skipping.json()["errors"]["non_field_errors"][0]
    )
    assert assert_ok(seed.clerk.move(rid, "to_representatives"))["state"] == "representatives"
    representatives = {
        "kind": "representatives",
        "held_on": SUMMER_DAY.isoformat(),
        "attendee_names": "党员代表8人、村民代表12人",
        "township_staff": "镇驻村干部李明",
        "changes": [
            {
                "entry": seed.proposal(rid, seed.h4, "参加法治宣传教育活动")["id"],
                "reason": "全年无违法违纪，按此项计分",
                "new_item": seed.item("家庭成员全年无违法违纪").pk,
            }
        ],
    }
    assert_ok(seed.clerk.post(f"rounds/{rid}/meetings/", representatives), 201)

    with time_machine.travel(POSTED, tick=False) as clock:
        assert_ok(seed.clerk.move(rid, "open_notice"))
        early = seed.clerk.move(rid, "submit")
        assert (
            early.status_code == 400 and "only after it ends" in early.json()["errors"]["non_field_errors"][0]
        )
        clock.move_to(NOTICE_END)
        assert_ok(seed.clerk.move(rid, "submit"))
        approved = assert_ok(seed.admin.move(rid, "approve"))
        entries = approved_snapshot(rid)
        assert seed.admin.move(rid, "approve").status_code == 400
        assert approved_snapshot(rid) == entries
    # Approved: h1 参加主题党日 and 担任网格员 (adjusted), h3 缴纳保险, h2's −4 penalty, h4 全年无违法违纪.
    # Withdrawn: h1 参加村民代表会议 (adjusted), h2's false +2, h4 参加法治宣传 (changed by the representatives).
    assert (approved["approved"], approved["withdrawn"], approved["proposed"]) == (5, 3, 0)
    assert sorted(Declaration.objects.filter(round_id=rid).values_list("state", flat=True)) == [
        "accepted",
        "accepted",
        "adjusted",
        "false",
    ]

    # h1: 党的建设 20 + 1 (主题党日) + 2 (担任网格员, adjusted from 村民代表会议 +1) = 23 → 143.
    # h2: 遵纪守法 20; the false +2 is withdrawn and costs double: 20 − 4 = 16 → 136.
    # h3: 民生保障 20 + 2 (缴纳保险) → 142.
    # h4: 遵纪守法 20 + 2 (全年无违法违纪, changed from 法治宣传 +1) → 142.
    totals = annual_totals(seed.scheme)
    assert [totals[h.pk] for h in (seed.h1, seed.h2, seed.h3, seed.h4)] == [
        D("143.00"),
        D("136.00"),
        D("142.00"),
        D("142.00"),
    ]
