"""The scoring pages: who may see and do what, that recording and deciding change exactly what they should, and
that the lists stay cheap.

The `world` fixture (tests/conftest.py) gives townships A and B, each with villages v0/v1, households X-001
(village 0) and X-002 (village 1), and one user per role; the clerk and the panel member work in village 0 only.
`catalogue` adds to each township an active 2026 scheme (环境整治 base 40 quarterly, floor 0; 遵纪守法 base 20
annual, ceiling 25; base total 60), a draft 2027 scheme, and for X-001 one approved and one proposed entry, an
evidence file and a threshold alert. The clock is fixed at 2026-06-15 so dates and quarters are hand-computable.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring import services
from scoring.models import (
    Category,
    Entry,
    EntrySource,
    Evidence,
    Item,
    RoleRule,
    Scheme,
    SchemeState,
    ThresholdAlert,
)
from tests.contract import member
from tests.factories import HouseholdFactory, ResidentFactory
from tests.notices import approve_through_notice

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = 2026
DAY = datetime.date(2026, 3, 10)  # Q1
NEXT_DAY = datetime.date(2026, 3, 11)  # Q1
LATER = datetime.date(2026, 5, 4)  # Q2
NOW = datetime.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PNG = bytes.fromhex(  # a valid 1×1 PNG: evidence photos must open as images
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8"
    "cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def fixed_clock():
    with time_machine.travel(NOW, tick=True):
        yield


# Fixtures ------------------------------------------------------------------------------------------------------


def _catalogue_of(t):
    office = member(t.admin)
    scheme = services.create_scheme(membership=office, township=t.township, name="村规民约", year=YEAR)
    env = services.add_category(
        membership=office,
        scheme=scheme,
        name="环境整治",
        base_score=D("40"),
        cadence="quarterly",
        floor=D("0"),
        order=1,
    )
    law = services.add_category(
        membership=office,
        scheme=scheme,
        name="遵纪守法",
        base_score=D("20"),
        cadence="annual",
        ceiling=D("25"),
        order=2,
    )
    clean = services.add_item(
        membership=office, category=env, name="参加义务劳动", kind="bonus", points=D("1.5"), cap_count=2
    )
    mess = services.add_item(
        membership=office,
        category=env,
        name="乱堆乱放",
        kind="penalty",
        points=D("2"),
        threshold_count=2,
        threshold_consequence="约谈户主",
    )
    hero = services.add_item(
        membership=office, category=law, name="见义勇为", kind="bonus", points=D("4"), evidence_required=True
    )
    services.activate_scheme(membership=office, scheme=scheme)
    draft = services.create_scheme(membership=office, township=t.township, name="草案", year=YEAR + 1)
    services.add_category(
        membership=office, scheme=draft, name="党的建设", base_score=D("20"), cadence="annual"
    )

    h1 = t.households[0]
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    approved = services.record_entry(
        membership=office, household=h1, item=hero, occurred_on=DAY, reason="救起落水儿童", evidence=[photo]
    )
    approve_through_notice([approved], membership=office)
    services.record_entry(membership=office, household=h1, item=mess, occurred_on=DAY)
    # The second 乱堆乱放 of the quarter reaches the item's threshold: an alert.
    proposed = services.record_entry(membership=office, household=h1, item=mess, occurred_on=NEXT_DAY)
    return type(
        "C",
        (),
        {
            "scheme": scheme,
            "draft": draft,
            "env": env,
            "law": law,
            "clean": clean,
            "mess": mess,
            "hero": hero,
            "approved": approved,
            "proposed": proposed,
            "evidence": approved.evidence.get(),
            "alert": ThresholdAlert.objects.get(household=h1, item=mess),
        },
    )


@pytest.fixture
def catalogue(world):
    world.a.c = _catalogue_of(world.a)
    world.b.c = _catalogue_of(world.b)
    return world


def url(name: str, township, **kwargs) -> str:
    return reverse(f"scoring:{name}", kwargs={"township_slug": township.slug, **kwargs})


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot() -> dict:
    """Everything a scoring page could change, in both townships."""

    def rows(model, *fields):
        return sorted(model.objects.values_list("pk", *fields))

    return {
        "schemes": rows(Scheme, "name", "year", "state"),
        "categories": rows(Category, "name", "base_score"),
        "items": rows(Item, "name", "points", "active", "cap_count"),
        "roles": rows(RoleRule, "code"),
        "entries": rows(Entry, "state", "points", "approved_by_id", "decided_reason"),
        "evidence": rows(Evidence, "entry_id"),
        "alerts": rows(ThresholdAlert, "acknowledged_by_id"),
    }


def record_form(household, item, **extra) -> dict:
    return {
        "household": household.pk,
        "item": item.pk,
        "source": EntrySource.CLERK,
        "occurred_on": DAY.isoformat(),
        "reason": "",
        "idempotency_key": extra.pop("key", "0" * 31 + "1"),
        **extra,
    }


def passbook_total(response) -> str:
    match = re.search(r'id="passbook-total">([^<]+)<', response.content.decode())
    assert match, "the passbook shows no total"
    return match.group(1)


# Every page, every role ----------------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    needs: str  # "view", "edit" (EDIT_SCHEME), "record" (RECORD_ENTRY) or "approve" (APPROVE_ENTRY)
    kwargs: callable = None  # ids in the URL
    query: callable = None  # ids in the query string
    post: callable = None  # a POST that would change something if it were allowed
    chinese: str = ""  # text the page shows in Chinese
    get_ok: bool = True  # False for POST-only actions
    body_ids: bool = False  # the POST names objects by id (households, entries, a scheme to copy)

    @property
    def writes(self) -> bool:
        return self.needs != "view"

    def url(self, township, t) -> str:
        target = url(self.name, township, **(self.kwargs(t) if self.kwargs else {}))
        if self.query:
            target += "?" + "&".join(f"{k}={v}" for k, v in self.query(t).items())
        return target

    def has_ids(self) -> bool:
        return bool(self.kwargs or self.body_ids)


PAGES = [
    Page("scheme-list", "view", chinese="积分方案"),
    Page("scheme-create", "edit", post=lambda t: {"name": "新方案", "year": YEAR + 2}, get_ok=False),
    Page(
        "scheme-load-template",
        "edit",
        post=lambda t: {"template": "village-2026", "year": YEAR + 2},
        get_ok=False,
    ),
    Page(
        "scheme-copy",
        "edit",
        post=lambda t: {"scheme": t.c.scheme.pk, "year": YEAR + 3},
        get_ok=False,
        body_ids=True,
    ),
    Page("scheme-detail", "view", lambda t: {"pk": t.c.scheme.pk}, chinese="类别与项目"),
    Page(
        "category-create",
        "edit",
        lambda t: {"pk": t.c.scheme.pk},
        post=lambda t: {"name": "文明新风", "base_score": "40", "cadence": "quarterly", "order": 3},
        get_ok=False,
    ),
    Page(
        "item-create",
        "edit",
        lambda t: {"pk": t.c.scheme.pk},
        post=lambda t: {
            "category": t.c.env.pk,
            "name": "清理河道",
            "kind": "bonus",
            "points": "1",
            "by_clerk": "on",
            "order": 5,
        },
        get_ok=False,
    ),
    Page(
        "role-rule-create",
        "edit",
        lambda t: {"pk": t.c.scheme.pk},
        post=lambda t: {"code": "officer", "name": "干部户", "penalty_multiplier": "2"},
        get_ok=False,
    ),
    Page("scheme-activate", "edit", lambda t: {"pk": t.c.draft.pk}, post=lambda t: {}, get_ok=False),
    Page("scheme-close", "edit", lambda t: {"pk": t.c.scheme.pk}, post=lambda t: {}, get_ok=False),
    Page(
        "item-edit",
        "edit",
        lambda t: {"pk": t.c.clean.pk},
        post=lambda t: {"name": "参加义务劳动", "kind": "bonus", "points": "3", "by_clerk": "on", "order": 0},
        chinese="修改项目",
    ),
    Page("entry-list", "view", chinese="积分台账"),
    Page(
        "entry-record",
        "record",
        query=lambda t: {"household": t.households[0].pk},
        post=lambda t: record_form(t.households[0], t.c.clean),
        chinese="记录积分",
        body_ids=True,
    ),
    Page("entry-household-search", "record", query=lambda t: {"q": "00"}),
    Page(
        "entry-bulk",
        "record",
        query=lambda t: {"village": t.villages[0].pk},
        post=lambda t: {
            "village": t.villages[0].pk,
            "households": [t.households[0].pk],
            "item": t.c.clean.pk,
            "occurred_on": DAY.isoformat(),
            "idempotency_key": "0" * 31 + "2",
        },
        chinese="批量记录",
        body_ids=True,
    ),
    Page(
        "entry-withdraw",
        "approve",
        lambda t: {"pk": t.c.proposed.pk},
        post=lambda t: {"reason": "记错了户"},
        chinese="撤回",
    ),
    Page(
        "entry-correct",
        "approve",
        lambda t: {"pk": t.c.approved.pk},
        post=lambda t: {"reason": "核实不属实"},
        chinese="更正",
    ),
    Page("passbook", "view", lambda t: {"household_pk": t.households[0].pk}, chinese="行为银行存折"),
    Page("alert-list", "view", chinese="预警"),
    Page("alert-acknowledge", "record", lambda t: {"pk": t.c.alert.pk}, post=lambda t: {}, get_ok=False),
    Page("evidence-download", "view", lambda t: {"pk": t.c.evidence.pk}),
]
ALLOWED = {
    "view": ["admin", "clerk", "panel", "supervisor", "county"],
    "edit": ["admin"],
    "record": ["admin", "clerk"],
    "approve": ["admin"],
}


@pytest.mark.parametrize("page", [p for p in PAGES if p.get_ok], ids=lambda p: p.name)
def test_page_renders_for_every_role_allowed(catalogue, page):
    t = catalogue.a
    for role in ALLOWED[page.needs]:
        if role == "county" and page.name in ("passbook", "evidence-download"):
            continue  # a household's own records: not found for county viewers (tests/oversight)
        response = client_for(getattr(t, role)).get(page.url(t.township, t))
        assert response.status_code == 200, (role, response.status_code)
        if page.chinese:
            assert page.chinese in response.content.decode(), role


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_user_of_another_township_gets_404_by_slug_and_by_id_and_nothing_changes(catalogue, page):
    a, b = catalogue.a, catalogue.b
    outsider = client_for(b.admin)
    before = snapshot()
    # A's slug with A's ids: the township itself is not found.
    assert outsider.get(page.url(a.township, a)).status_code == 404
    if page.post:
        assert outsider.post(page.url(a.township, a), page.post(a)).status_code == 404
    # B's slug (where the outsider is admin) with A's ids: the objects are not found.
    if page.has_ids():
        if page.get_ok:
            assert outsider.get(page.url(b.township, a)).status_code == 404
        if page.post:
            target = url(page.name, b.township, **(page.kwargs(a) if page.kwargs else {}))
            assert outsider.post(target, page.post(a)).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("page", [p for p in PAGES if p.writes], ids=lambda p: p.name)
def test_roles_that_may_not_write_get_403_and_nothing_changes(catalogue, page):
    t = catalogue.a
    before = snapshot()
    for role in ("admin", "clerk", "panel", "supervisor", "county"):
        if role in ALLOWED[page.needs]:
            continue
        client = client_for(getattr(t, role))
        assert client.get(page.url(t.township, t)).status_code == 403, role
        if page.post:
            assert client.post(page.url(t.township, t), page.post(t)).status_code == 403, role
    assert snapshot() == before


@pytest.mark.parametrize("page", [p for p in PAGES if p.post], ids=lambda p: p.name)
def test_allowed_write_changes_something(catalogue, page):
    """The POSTs the denial tests send are real changes: the denial tests would catch a leak."""
    t = catalogue.a
    before = snapshot()
    response = client_for(t.admin).post(page.url(t.township, t), page.post(t))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert snapshot() != before


def test_clerk_of_village_0_gets_404_for_a_household_of_village_1(catalogue):
    t = catalogue.a
    other = t.households[1]
    clerk = client_for(t.clerk)
    before = snapshot()
    assert clerk.get(url("entry-record", t.township) + f"?household={other.pk}").status_code == 404
    assert clerk.post(url("entry-record", t.township), record_form(other, t.c.clean)).status_code == 404
    assert clerk.post(url("entry-record", t.township), {"choose": other.pk}).status_code == 404
    assert clerk.get(url("passbook", t.township, household_pk=other.pk)).status_code == 404
    assert clerk.get(url("entry-bulk", t.township) + f"?village={t.villages[1].pk}").status_code == 404
    bulk = {
        "village": t.villages[0].pk,
        "households": [other.pk],
        "item": t.c.clean.pk,
        "occurred_on": DAY.isoformat(),
        "idempotency_key": "f" * 32,
    }
    assert clerk.post(url("entry-bulk", t.township), bulk).status_code == 404
    assert snapshot() == before


def test_evidence_of_another_village_or_township_is_not_found(catalogue):
    a, b = catalogue.a, catalogue.b
    other_village = services.record_entry(
        membership=member(a.admin),
        household=a.households[1],
        item=a.c.hero,
        occurred_on=DAY,
        evidence=[SimpleUploadedFile("x.png", PNG)],
    ).evidence.get()
    clerk = client_for(a.clerk)
    assert clerk.get(url("evidence-download", a.township, pk=a.c.evidence.pk)).status_code == 200
    assert clerk.get(url("evidence-download", a.township, pk=other_village.pk)).status_code == 404
    outsider = client_for(b.admin)
    assert outsider.get(url("evidence-download", b.township, pk=a.c.evidence.pk)).status_code == 404


def test_ids_that_cannot_exist_are_not_found_never_an_error(catalogue):
    t = catalogue.a
    admin = client_for(t.admin)
    huge = "9" * 30
    assert admin.get(url("entry-record", t.township) + f"?household={huge}").status_code == 404
    assert admin.get(url("entry-record", t.township) + "?household=abc").status_code == 404
    assert (
        admin.get(
            url("passbook", t.township, household_pk=t.households[0].pk) + f"?scheme={huge}"
        ).status_code
        == 404
    )
    assert (
        admin.get(url("entry-list", t.township) + f"?scheme={huge}&village=x&number=%00").status_code == 200
    )


# Recording -----------------------------------------------------------------------------------------------------


def test_clerk_records_a_proposed_entry_with_the_items_points(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    response = client_for(t.clerk).post(
        url("entry-record", t.township), record_form(h1, t.c.clean, reason="村口大扫除", key="a" * 32)
    )
    assert response.status_code == 302
    entry = Entry.objects.get(idempotency_key="a" * 32)
    assert (entry.household, entry.item, entry.points, entry.state) == (h1, t.c.clean, D("1.50"), "proposed")
    assert (entry.recorded_by, entry.source, entry.reason, entry.period) == (
        t.clerk,
        "clerk",
        "村口大扫除",
        "2026-Q1",
    )
    page = client_for(t.clerk).get(response["Location"]).content.decode()
    assert "已记录，待审核" in page and "参加义务劳动" in page and "+1.5" in page


def test_the_same_idempotency_key_twice_records_once(catalogue):
    t = catalogue.a
    client = client_for(t.clerk)
    form = record_form(t.households[0], t.c.clean, key="b" * 32)
    first = client.post(url("entry-record", t.township), form)
    second = client.post(url("entry-record", t.township), form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Entry.objects.filter(idempotency_key="b" * 32).count() == 1


def test_the_record_form_carries_a_fresh_idempotency_key_each_time(catalogue):
    t = catalogue.a
    client = client_for(t.clerk)
    keys = [
        re.search(
            r'name="idempotency_key" value="([0-9a-f]{32})"',
            client.get(url("entry-record", t.township)).content.decode(),
        ).group(1)
        for _ in range(2)
    ]
    assert keys[0] != keys[1]


def test_capped_item_shows_the_cap_and_writes_nothing(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    client = client_for(t.clerk)
    for key in ("1" * 32, "2" * 32):
        assert (
            client.post(url("entry-record", t.township), record_form(h1, t.c.clean, key=key)).status_code
            == 302
        )
    before = snapshot()
    response = client.post(
        url("entry-record", t.township), record_form(h1, t.c.clean, key="3" * 32, reason="第三次劳动")
    )
    assert response.status_code == 200
    page = response.content.decode()
    # The cap is 2 per quarter and the item is named; what was typed is still there.
    assert "已达上限" in page and "参加义务劳动" in page and "2026年第一季度" in page
    assert "第三次劳动" in page and f'value="{t.c.clean.pk}" selected' in page
    assert snapshot() == before


def test_evidence_is_required_by_the_item_and_checked_by_content(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    client = client_for(t.admin)
    before = snapshot()
    missing = client.post(url("entry-record", t.township), record_form(h1, t.c.hero, key="4" * 32))
    assert missing.status_code == 200 and "需要证明材料" in missing.content.decode()
    fake = SimpleUploadedFile("photo.png", b"not really a picture", content_type="image/png")
    wrong = client.post(
        url("entry-record", t.township), record_form(h1, t.c.hero, key="5" * 32, evidence=[fake])
    )
    assert wrong.status_code == 200 and "不是照片" in wrong.content.decode()
    assert snapshot() == before

    files = [SimpleUploadedFile("现场.png", PNG), SimpleUploadedFile("证明.pdf", PDF)]
    ok = client.post(url("entry-record", t.township), record_form(h1, t.c.hero, key="6" * 32, evidence=files))
    assert ok.status_code == 302
    entry = Entry.objects.get(idempotency_key="6" * 32)
    stored = {e.original_name: e for e in entry.evidence.all()}
    assert {name: e.content_type for name, e in stored.items()} == {
        "现场.png": "image/png",
        "证明.pdf": "application/pdf",
    }
    photo = client.get(url("evidence-download", t.township, pk=stored["现场.png"].pk))
    assert photo["Content-Type"] == "image/png" and photo["X-Content-Type-Options"] == "nosniff"
    assert not photo.get("Content-Disposition", "").startswith("attachment")
    assert b"".join(photo.streaming_content) == PNG
    pdf = client.get(url("evidence-download", t.township, pk=stored["证明.pdf"].pk))
    assert pdf["Content-Type"] == "application/pdf" and pdf["X-Content-Type-Options"] == "nosniff"
    assert pdf["Content-Disposition"].startswith("attachment")


def test_the_record_form_has_a_camera_file_input_for_several_files(catalogue):
    t = catalogue.a
    page = (
        client_for(t.clerk)
        .get(url("entry-record", t.township) + f"?household={t.households[0].pk}")
        .content.decode()
    )
    file_input = re.search(r'<input type="file"[^>]*>', page).group(0)
    for attribute in (
        'accept="image/*,application/pdf"',
        'capture="environment"',
        "multiple",
        'name="evidence"',
    ):
        assert attribute in file_input
    assert 'enctype="multipart/form-data"' in page


def test_household_search_finds_by_number_or_head_and_only_the_clerks_villages(catalogue):
    t = catalogue.a
    clerk = client_for(t.clerk)
    by_number = clerk.get(url("entry-household-search", t.township) + "?q=00").content.decode()
    assert "A-001" in by_number and "A-002" not in by_number  # A-002 is in village 1
    by_head = clerk.get(url("entry-household-search", t.township) + "?q=张三").content.decode()
    assert "A-001" in by_head
    # Searching and choosing inside the form keeps what was typed.
    searching = clerk.post(
        url("entry-record", t.township),
        {"q": "A-00", "search": "1", "reason": "打扫卫生", "item": t.c.clean.pk},
    ).content.decode()
    assert 'name="choose"' in searching and "打扫卫生" in searching
    chosen = clerk.post(
        url("entry-record", t.township),
        {"choose": t.households[0].pk, "reason": "打扫卫生", "idempotency_key": "c" * 32},
    ).content.decode()
    assert f'name="household" value="{t.households[0].pk}"' in chosen and "打扫卫生" in chosen
    assert 'value="' + "c" * 32 + '"' in chosen


def test_recording_without_a_household_asks_for_one(catalogue):
    t = catalogue.a
    before = snapshot()
    form = record_form(t.households[0], t.c.clean)
    del form["household"]
    response = client_for(t.clerk).post(url("entry-record", t.township), form)
    assert response.status_code == 200 and "请先选择农户" in response.content.decode()
    assert snapshot() == before


def test_bulk_records_for_every_ticked_household(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    h3 = HouseholdFactory(area=t.areas[0], number="A-003")
    ResidentFactory(household=h3, name="王五", is_head=True)
    client = client_for(t.clerk)
    listing = client.get(url("entry-bulk", t.township) + f"?village={t.villages[0].pk}").content.decode()
    assert "A-001" in listing and "A-003" in listing and "A-002" not in listing
    ticked_all = client.post(
        url("entry-bulk", t.township), {"village": t.villages[0].pk, "select_all": "1"}
    ).content.decode()
    assert ticked_all.count("checked") == 2
    form = {
        "village": t.villages[0].pk,
        "households": [h1.pk, h3.pk],
        "item": t.c.clean.pk,
        "occurred_on": DAY.isoformat(),
        "reason": "全村大扫除",
        "idempotency_key": "d" * 32,
    }
    response = client.post(url("entry-bulk", t.township), form)
    assert response.status_code == 302
    again = client.post(url("entry-bulk", t.township), form)  # a double submit records nothing more
    assert again.status_code == 302
    entries = Entry.objects.filter(idempotency_key__startswith="d" * 32)
    assert sorted(entries.values_list("household__number", "points", "state")) == [
        ("A-001", D("1.50"), "proposed"),
        ("A-003", D("1.50"), "proposed"),
    ]
    assert "A-003" in client.get(response["Location"]).content.decode()


def test_bulk_records_none_when_one_household_is_refused(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    h3 = HouseholdFactory(area=t.areas[0], number="A-003")
    for _ in range(2):  # h3 reaches the cap of 2 per quarter
        services.record_entry(membership=member(t.admin), household=h3, item=t.c.clean, occurred_on=DAY)
    before = snapshot()
    form = {
        "village": t.villages[0].pk,
        "households": [h1.pk, h3.pk],
        "item": t.c.clean.pk,
        "occurred_on": DAY.isoformat(),
        "reason": "全村大扫除",
        "idempotency_key": "e" * 32,
    }
    response = client_for(t.clerk).post(url("entry-bulk", t.township), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "已达上限" in page and "全村大扫除" in page
    assert snapshot() == before


# Deciding: approve, withdraw, correct -----------------------------------------------------------------------------


def test_approve_through_a_batch_withdraw_and_correct_change_exactly_what_they_should(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    admin = client_for(t.admin)
    passbook_url = url("passbook", t.township, household_pk=h1.pk)
    # Start: 见义勇为 +4 approved (遵纪守法 24), 乱堆乱放 −2 twice proposed. Total 40 + 24 = 64.
    assert passbook_total(admin.get(passbook_url)) == "64"
    first_mess = Entry.objects.get(household=h1, item=t.c.mess, occurred_on=DAY)
    clean = services.record_entry(membership=member(t.clerk), household=h1, item=t.c.clean, occurred_on=LATER)

    approve_through_notice(
        [first_mess, clean], membership=member(t.admin)
    )  # the ledger page has no approve: the batch does
    states = dict(Entry.objects.filter(household=h1).values_list("pk", "state"))
    assert states == {
        t.c.approved.pk: "approved",
        first_mess.pk: "approved",
        t.c.proposed.pk: "proposed",
        clean.pk: "approved",
    }
    # 环境整治 40 − 2 + 1.5 = 39.5; 遵纪守法 24. Total 63.5.
    assert passbook_total(admin.get(passbook_url)) == "63.5"

    response = admin.post(url("entry-withdraw", t.township, pk=t.c.proposed.pk), {"reason": "重复记录"})
    assert response.status_code == 302
    withdrawn = Entry.objects.get(pk=t.c.proposed.pk)
    assert (withdrawn.state, withdrawn.decided_reason, withdrawn.approved_by) == (
        "withdrawn",
        "重复记录",
        t.admin,
    )
    assert passbook_total(admin.get(passbook_url)) == "63.5"

    response = admin.post(url("entry-correct", t.township, pk=first_mess.pk), {"reason": "经核实已清理"})
    assert response.status_code == 302
    correction = Entry.objects.get(corrects=first_mess)
    assert (correction.points, correction.state, correction.source) == (D("2.00"), "approved", "correction")
    assert Entry.objects.get(pk=first_mess.pk).state == "approved"  # the corrected entry is untouched
    # 环境整治 39.5 + 2 = 41.5; total 65.5. Both entries show on the passbook and in the ledger.
    page = admin.get(passbook_url)
    assert passbook_total(page) == "65.5"
    html = page.content.decode()
    assert f'id="entry-{first_mess.pk}"' in html and f'id="entry-{correction.pk}"' in html
    assert "经核实已清理" in html
    ledger = admin.get(url("entry-list", t.township)).content.decode()
    assert f'id="entry-{first_mess.pk}"' in ledger and f'id="entry-{correction.pk}"' in ledger


def test_withdrawing_without_a_reason_or_an_approved_entry_is_refused(catalogue):
    t = catalogue.a
    admin = client_for(t.admin)
    before = snapshot()
    no_reason = admin.post(url("entry-withdraw", t.township, pk=t.c.proposed.pk), {"reason": "  "})
    assert no_reason.status_code == 200 and "errors" in no_reason.content.decode()
    approved = admin.post(url("entry-withdraw", t.township, pk=t.c.approved.pk), {"reason": "不算"})
    assert approved.status_code == 200 and "只有待审核的记录才能撤回" in approved.content.decode()
    assert snapshot() == before


def test_correcting_twice_is_refused_with_a_message(catalogue):
    t = catalogue.a
    admin = client_for(t.admin)
    assert (
        admin.post(url("entry-correct", t.township, pk=t.c.approved.pk), {"reason": "不属实"}).status_code
        == 302
    )
    before = snapshot()
    again = admin.post(url("entry-correct", t.township, pk=t.c.approved.pk), {"reason": "不属实"})
    assert again.status_code == 200 and "已经更正过" in again.content.decode()
    assert snapshot() == before


# The passbook --------------------------------------------------------------------------------------------------


def test_passbook_lists_every_entry_with_running_total_and_quarters(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    approve_through_notice([t.c.proposed], membership=member(t.admin))  # 乱堆乱放 −2 in Q2 now counts
    response = client_for(t.supervisor).get(url("passbook", t.township, household_pk=h1.pk))
    page = response.content.decode()
    # Running totals: base 60 → +4 (64) → −2 proposed (64, not counting) → −2 approved on 03-11 (62).
    rows = re.findall(r'<td class="total">([^<]+)</td>', page)
    assert rows[:2] == ["38", "24"]  # category scores: 环境整治 40 − 2, 遵纪守法 20 + 4
    assert passbook_total(response) == "62"
    assert re.findall(r'<td class="total" data-label="累计">([^<]+)</td>', page) == ["64", "64", "62"]
    # Quarterly breakdown of 环境整治: −2 in Q1 (one of its two entries is approved), nothing after.
    quarter_row = re.search(r"<tr><td>环境整治</td>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'<td class="points">([^<]+)</td>', quarter_row) == ["−2", "—", "—", "—"]
    assert "救起落水儿童" in page and "photo.png" in page
    css = (
        settings.BASE_DIR / "static" / "css" / "jifen.css"
    ).read_text()  # print styles: no inline <style> (CSP)
    assert "@media print" in css and "size: A4" in css and 'class="passbook"' in page
    assert "a-township_admin" in page  # who recorded and who approved


def test_passbook_shows_another_scheme_on_request_and_defaults_to_this_years_active_one(catalogue):
    t = catalogue.a
    client = client_for(t.admin)
    h1 = t.households[0]
    default = client.get(url("passbook", t.township, household_pk=h1.pk)).content.decode()
    assert "2026 · 村规民约" in default
    draft = client.get(
        url("passbook", t.township, household_pk=h1.pk) + f"?scheme={t.c.draft.pk}"
    ).content.decode()
    assert "2027 · 草案" in draft and "本年度暂无积分记录" in draft


# The scheme editor ----------------------------------------------------------------------------------------------


def test_admin_builds_a_scheme_from_scratch_and_activates_it(catalogue):
    t = catalogue.a
    admin = client_for(t.admin)
    response = admin.post(url("scheme-create", t.township), {"name": "新村规", "year": 2028})
    scheme = Scheme.objects.get(name="新村规")
    assert response["Location"] == url("scheme-detail", t.township, pk=scheme.pk)
    early = admin.post(url("scheme-activate", t.township, pk=scheme.pk), follow=True).content.decode()
    assert "请先添加至少一个类别" in early
    assert Scheme.objects.get(pk=scheme.pk).state == SchemeState.DRAFT
    admin.post(
        url("category-create", t.township, pk=scheme.pk),
        {
            "name": "文明新风",
            "base_score": "40",
            "cadence": "quarterly",
            "floor": "0",
            "ceiling": "50",
            "order": 1,
        },
    )
    category = scheme.categories.get()
    admin.post(
        url("item-create", t.township, pk=scheme.pk),
        {"category": category.pk, "name": "孝老爱亲", "kind": "bonus", "points": "0.5", "cap_points": "2",
         "by_inspection": "on", "order": 1},
    )  # fmt: skip
    admin.post(
        url("role-rule-create", t.township, pk=scheme.pk),
        {"code": "officer", "name": "干部户", "base_score": "85", "penalty_multiplier": "2"},
    )
    admin.post(url("scheme-activate", t.township, pk=scheme.pk))
    scheme.refresh_from_db()
    assert scheme.state == SchemeState.ACTIVE
    item = Item.objects.get(category=category)
    assert (item.name, item.points, item.cap_points, item.by_inspection, item.by_clerk) == (
        "孝老爱亲", D("0.50"), D("2.00"), True, False,
    )  # fmt: skip
    assert scheme.role_rules.get().penalty_multiplier == D("2.00")
    page = admin.get(url("scheme-detail", t.township, pk=scheme.pk)).content.decode()
    assert "孝老爱亲" in page and "+0.5" in page and "最多2分" in page and "×2" in page and "干部户" in page


def test_scheme_editor_errors_keep_what_was_typed(catalogue):
    t = catalogue.a
    admin = client_for(t.admin)
    before = snapshot()
    bad_points = admin.post(
        url("item-create", t.township, pk=t.c.scheme.pk),
        {
            "category": t.c.env.pk,
            "name": "清理沟渠",
            "kind": "bonus",
            "points": "0.125",
            "by_clerk": "on",
            "order": 1,
        },
    )
    page = bad_points.content.decode()
    assert bad_points.status_code == 200 and "清理沟渠" in page and "errors" in page
    no_recorder = admin.post(
        url("item-create", t.township, pk=t.c.scheme.pk),
        {"category": t.c.env.pk, "name": "清理沟渠", "kind": "bonus", "points": "1", "order": 1},
    )
    assert "至少勾选一种记录方式" in no_recorder.content.decode()
    duplicate = admin.post(url("scheme-create", t.township), {"name": "村规民约", "year": YEAR})
    assert duplicate.status_code == 200 and "村规民约" in duplicate.content.decode()
    taken_name = admin.post(
        url("category-create", t.township, pk=t.c.scheme.pk),
        {"name": "环境整治", "base_score": "40", "cadence": "quarterly", "order": 1},
    )
    assert taken_name.status_code == 200  # the name is taken in this scheme
    assert snapshot() == before


def test_editing_an_item_says_past_entries_keep_the_old_rule_and_they_do(catalogue):
    t = catalogue.a
    admin = client_for(t.admin)
    page = admin.get(url("item-edit", t.township, pk=t.c.mess.pk)).content.decode()
    assert "记录时的规则" in page and "2 条" in page
    response = admin.post(
        url("item-edit", t.township, pk=t.c.mess.pk),
        {"name": "乱堆乱放杂物", "kind": "penalty", "points": "3", "by_clerk": "on", "by_inspection": "on",
         "threshold_count": 2, "role_multiplier_applies": "on", "order": 0, "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    item = Item.objects.get(pk=t.c.mess.pk)
    assert (item.name, item.points) == ("乱堆乱放杂物", D("3.00"))
    past = Entry.objects.get(pk=t.c.proposed.pk)
    assert (past.item_name, past.points, past.item_points) == ("乱堆乱放", D("-2.00"), D("2.00"))


def test_loading_a_template_and_copying_a_scheme(catalogue):
    t = catalogue.a
    admin = client_for(t.admin)
    response = admin.post(url("scheme-load-template", t.township), {"template": "village-2026", "year": 2030})
    loaded = Scheme.objects.get(year=2030)
    assert response["Location"] == url("scheme-detail", t.township, pk=loaded.pk)
    assert loaded.template == "village-2026" and loaded.state == SchemeState.DRAFT
    assert sum(c.base_score for c in loaded.categories.all()) == D("140")
    listing = admin.get(url("scheme-list", t.township)).content.decode()
    assert "140" in listing and "草稿" in listing
    again = admin.post(url("scheme-load-template", t.township), {"template": "village-2026", "year": 2030})
    assert again.status_code == 200 and "本次未载入任何内容" in again.content.decode()

    response = admin.post(url("scheme-copy", t.township), {"scheme": t.c.scheme.pk, "year": 2031, "name": ""})
    copy = Scheme.objects.get(year=2031)
    assert response["Location"] == url("scheme-detail", t.township, pk=copy.pk)
    assert (copy.name, copy.state, copy.copied_from) == ("村规民约", SchemeState.DRAFT, t.c.scheme)
    assert sorted(Item.objects.filter(category__scheme=copy).values_list("name", flat=True)) == [
        "乱堆乱放", "参加义务劳动", "见义勇为",
    ]  # fmt: skip


# Alerts ---------------------------------------------------------------------------------------------------------


def test_alerts_list_unacknowledged_first_and_can_be_acknowledged(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    # A second alert, already acknowledged, in another quarter.
    for day in (datetime.date(2026, 5, 9), datetime.date(2026, 5, 10)):
        services.record_entry(membership=member(t.admin), household=h1, item=t.c.mess, occurred_on=day)
    done = ThresholdAlert.objects.filter(household=h1).exclude(pk=t.c.alert.pk).get()
    services.acknowledge_alert(membership=member(t.admin), alert=done)
    clerk = client_for(t.clerk)
    page = clerk.get(url("alert-list", t.township)).content.decode()
    assert page.index(f'id="alert-{t.c.alert.pk}"') < page.index(f'id="alert-{done.pk}"')
    assert "约谈户主" in page
    response = clerk.post(url("alert-acknowledge", t.township, pk=t.c.alert.pk))
    assert response.status_code == 302
    assert ThresholdAlert.objects.get(pk=t.c.alert.pk).acknowledged_by == t.clerk


def test_recording_the_threshold_hit_shows_the_alert(catalogue):
    t = catalogue.a
    h3 = HouseholdFactory(area=t.areas[0], number="A-003")
    client = client_for(t.clerk)
    client.post(url("entry-record", t.township), record_form(h3, t.c.mess, key="7" * 32))
    response = client.post(url("entry-record", t.township), record_form(h3, t.c.mess, key="8" * 32))
    page = client.get(response["Location"]).content.decode()
    assert "预警" in page and "约谈户主" in page and "第 2 次" in page


# Lists stay cheap --------------------------------------------------------------------------------------------------


def _entries(t, count: int):
    households = [HouseholdFactory(area=t.areas[0]) for _ in range(count)]
    for household in households:
        photo = SimpleUploadedFile("p.png", PNG)
        entry = services.record_entry(
            membership=member(t.admin), household=household, item=t.c.hero, occurred_on=DAY, evidence=[photo]
        )
        approve_through_notice([entry], membership=member(t.admin))
        services.correct_entry(membership=member(t.admin), entry=entry, reason="测试")
    return households


def _count_queries(client, target) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(target).status_code == 200
    return len(queries)


def test_entry_list_costs_the_same_queries_for_2_or_20_entries(catalogue, django_assert_num_queries):
    t = catalogue.a
    admin = client_for(t.admin)
    _entries(t, 1)
    few = _count_queries(admin, url("entry-list", t.township))
    _entries(t, 9)
    with django_assert_num_queries(few):
        admin.get(url("entry-list", t.township))
    assert Entry.objects.filter(household__area=t.areas[0]).count() >= 20


def test_passbook_costs_the_same_queries_for_2_or_20_entries(catalogue, django_assert_num_queries):
    t = catalogue.a
    admin = client_for(t.admin)
    household = HouseholdFactory(area=t.areas[0])

    def add(count):
        for _ in range(count):
            entry = services.record_entry(
                membership=member(t.admin),
                household=household,
                item=t.c.hero,
                occurred_on=DAY,
                evidence=[SimpleUploadedFile("p.png", PNG)],
            )
            approve_through_notice([entry], membership=member(t.admin))

    add(2)
    target = url("passbook", t.township, household_pk=household.pk)
    few = _count_queries(admin, target)
    add(18)
    assert Entry.objects.filter(household=household).count() == 20
    with django_assert_num_queries(few):
        admin.get(target)


def test_household_that_does_not_take_part_gets_a_message_naming_it(catalogue):
    t = catalogue.a
    h1 = t.households[0]
    h1.participation = "opted_out"
    h1.participation_reason = "外出务工"
    h1.save()
    before = snapshot()
    response = client_for(t.clerk).post(url("entry-record", t.township), record_form(h1, t.c.clean))
    assert response.status_code == 200
    assert "A-001 户不参与积分（自愿退出）" in response.content.decode()
    assert snapshot() == before


def test_a_forged_idempotency_key_is_refused(catalogue):
    t = catalogue.a
    before = snapshot()
    form = record_form(t.households[0], t.c.clean, key="x" * 500)
    response = client_for(t.clerk).post(url("entry-record", t.township), form)
    assert response.status_code == 200 and "请刷新页面" in response.content.decode()
    assert snapshot() == before


def test_scheme_list_costs_the_same_queries_for_few_or_many_schemes(catalogue, django_assert_num_queries):
    t = catalogue.a
    admin = client_for(t.admin)
    target = url("scheme-list", t.township)
    few = _count_queries(admin, target)
    for year in range(2030, 2048):
        scheme = services.create_scheme(
            membership=member(t.admin), township=t.township, name="村规民约", year=year
        )
        services.add_category(
            membership=member(t.admin), scheme=scheme, name="环境整治", base_score=D("40"), cadence="annual"
        )
    with django_assert_num_queries(few):
        admin.get(target)


def test_alert_list_costs_the_same_queries_for_2_or_20_alerts(catalogue, django_assert_num_queries):
    t = catalogue.a
    clerk = client_for(t.clerk)

    def alerts(count):
        for _ in range(count):
            household = HouseholdFactory(area=t.areas[0])
            for day in (DAY, NEXT_DAY):
                services.record_entry(
                    membership=member(t.admin), household=household, item=t.c.mess, occurred_on=day
                )

    alerts(1)
    target = url("alert-list", t.township)
    few = _count_queries(clerk, target)
    alerts(18)
    assert ThresholdAlert.objects.filter(household__village=t.villages[0]).count() == 20
    with django_assert_num_queries(few):
        clerk.get(target)
