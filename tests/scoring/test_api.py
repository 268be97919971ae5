"""The scoring API under /api/v1/t/<township>/: catalogue, ledger, passbook, scores, alerts; permissions, tenancy."""

import datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.tenancy import dangerously_all_townships
from households.models import Household, Participation
from scoring import services
from scoring.models import Category, Entry, EntryState, Evidence, Item, RoleRule, Scheme, ThresholdAlert
from tests.api_errors import error, fields, invalid, refusal
from tests.contract import member
from tests.households import test_api as roster_api
from tests.households.test_api import HUGE, count_queries, grow
from tests.notices import approve_through_notice

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 3, 10)
PNG = bytes.fromhex(  # a valid 1×1 PNG: evidence photos must open as images
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8"
    "cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)
ROLES = ["admin", "clerk", "panel", "supervisor", "county"]

api = roster_api.api  # the roster tests' fixture (an API client logged in as a user): pytest finds it here


SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def url(name, township, *args, **query):
    slug = township if isinstance(township, str) else township.slug
    kwargs = {"township_slug": slug}
    if args:
        kwargs["household_id" if name == "household-passbook" else "pk"] = args[0]
    path = reverse(f"scoring_api:{name}", kwargs=kwargs)
    return f"{path}?{urlencode(query)}" if query else path


def ledger_snapshot():
    """Everything a scoring write could change, in every township."""
    with dangerously_all_townships():
        return (
            list(Scheme.objects.order_by("pk").values_list("pk", "name", "year", "state")),
            list(Category.objects.order_by("pk").values_list("pk", "scheme_id", "name", "base_score")),
            list(Item.objects.order_by("pk").values_list("pk", "category_id", "name", "points", "active")),
            list(
                RoleRule.objects.order_by("pk").values_list("pk", "scheme_id", "code", "penalty_multiplier")
            ),
            list(
                Entry.objects.order_by("pk").values_list(
                    "pk", "household_id", "points", "state", "approved_by_id", "decided_reason"
                )
            ),
            Evidence.objects.count(),
            list(ThresholdAlert.objects.order_by("pk").values_list("pk", "acknowledged_by_id")),
        )


def build_catalogue(township, user, *, name="村规", activate=True):
    """Base total 60: 环境整治 40 (quarterly, floor 0) + 遵纪守法 20 (annual, ceiling 25)."""
    office = member(user)
    scheme = services.create_scheme(membership=office, township=township, name=name, year=2026)
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
    items = {
        "clean": services.add_item(
            membership=office, category=env, name="参加义务劳动", kind="bonus", points=D("1.5"), cap_count=3
        ),
        "mess": services.add_item(
            membership=office,
            category=env,
            name="乱堆乱放",
            kind="penalty",
            points=D("2"),
            threshold_count=2,
            threshold_consequence="约谈",
        ),
        "hero": services.add_item(
            membership=office,
            category=law,
            name="见义勇为",
            kind="bonus",
            points=D("4"),
            evidence_required=True,
        ),
        "mediate": services.add_item(
            membership=office, category=law, name="调解纠纷", kind="bonus", points=D("0.5")
        ),
    }
    party = services.add_role_rule(membership=office, scheme=scheme, code="party", name="党员户")
    if activate:
        services.activate_scheme(membership=office, scheme=scheme)
    return type("Catalogue", (), {"scheme": scheme, "env": env, "law": law, "party": party, **items})


@pytest.fixture
def catalogue(world):
    return build_catalogue(world.a.township, world.a.admin)


@pytest.fixture
def catalogue_b(world):
    return build_catalogue(world.b.township, world.b.admin)


@pytest.fixture
def ledger(world, catalogue):
    """On A-001: a proposal (by the clerk), an approved penalty, a second penalty that raised an alert; a draft."""
    h0, clerk = world.a.households[0], world.a.clerk
    proposed = services.record_entry(
        membership=member(clerk), household=h0, item=catalogue.clean, occurred_on=DAY
    )
    approved = services.record_entry(
        membership=member(clerk), household=h0, item=catalogue.mess, occurred_on=DAY
    )
    approve_through_notice([approved], membership=member(world.a.admin))
    services.record_entry(membership=member(clerk), household=h0, item=catalogue.mess, occurred_on=DAY)
    draft = services.create_scheme(
        membership=member(world.a.admin), township=world.a.township, name="草案", year=2026
    )
    services.add_category(
        membership=member(world.a.admin), scheme=draft, name="党的建设", base_score=D("20"), cadence="annual"
    )
    return type(
        "Ledger",
        (),
        {"proposed": proposed, "approved": approved, "alert": ThresholdAlert.objects.get(), "draft": draft},
    )


def post(client, name, township, body, *args, **headers):
    return client.post(url(name, township, *args), body, format="json", headers=headers)


def totals(client, township, scheme, **query):
    response = client.get(url("score-list", township, scheme=scheme.pk, **query))
    assert response.status_code == 200, response.content
    return {row["number"]: row["total"] for row in response.json()["results"]}


# Recording, approving, withdrawing, correcting: the totals ------------------------------------------------------


def test_recorded_entries_count_once_approved_and_corrections_reverse_them(world, catalogue, api):
    clerk, admin = api(world.a.clerk), api(world.a.admin)
    a, h0 = world.a.township, world.a.households[0]

    def record(item):
        body = {"household": h0.pk, "item": item.pk, "occurred_on": "2026-03-10", "reason": "村口清扫"}
        response = post(clerk, "entry-list", a, body)
        assert response.status_code == 201, response.content
        return response.json()

    first, second, mess = record(catalogue.clean), record(catalogue.clean), record(catalogue.mess)
    assert (first["state"], first["points"], first["item_name"], first["period"]) == (
        "proposed",
        "1.50",
        "参加义务劳动",
        "2026-Q1",
    )
    assert (mess["points"], mess["item_kind"], mess["recorded_by"]) == (
        "-2.00",
        "penalty",
        world.a.clerk.username,
    )
    assert totals(admin, a, catalogue.scheme) == {
        "A-001": "60.00",
        "A-002": "60.00",
    }  # proposals do not count

    # No shortcut: approving them straight from the ledger is refused, and nothing changes.
    before = ledger_snapshot()
    refused = post(admin, "entry-approve", a, {"ids": [first["id"], second["id"], mess["id"]]})
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "notice_required"
    assert refused.json()["field"] is None and "公示" in refused.json()["detail"]
    assert refused.json() == refusal("notice_required", refused.json()["detail"])
    assert ledger_snapshot() == before

    # The route: the clerk posts them on a notice batch; it runs three whole days; the township approves.
    rounds = "/api/v1/t/town-a/rounds/"
    with time_machine.travel(datetime.datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI), tick=False):
        batch = clerk.post(f"{rounds}batch/", {"village": h0.village_id, "scheme": catalogue.scheme.pk})
        assert batch.status_code == 201, batch.content
        batch = batch.json()
        assert (batch["kind"], batch["period"], batch["state"], batch["proposed"]) == (
            "batch",
            "2026-B01",
            "on_notice",
            3,
        )
        again = clerk.post(f"{rounds}batch/", {"village": h0.village_id, "scheme": catalogue.scheme.pk})
        assert (again.status_code, again.json()["code"]) == (400, "nothing_to_post")
        early = clerk.post(f"{rounds}{batch['id']}/move/", {"move": "submit"})
        assert (early.status_code, early.json()["code"]) == (400, "notice_running")
    # Posted on 20 March: 21, 22 and 23 March are its three days; it ends at midnight of the 23rd.
    with time_machine.travel(datetime.datetime(2026, 3, 24, 0, 1, tzinfo=SHANGHAI), tick=False):
        assert totals(admin, a, catalogue.scheme) == {"A-001": "60.00", "A-002": "60.00"}
        assert clerk.post(f"{rounds}{batch['id']}/move/", {"move": "submit"}).status_code == 200
        assert post(clerk, "entry-approve", a, {"ids": [first["id"]]}).status_code in (400, 403)
        approved = admin.post(f"{rounds}{batch['id']}/move/", {"move": "approve"})
        assert (approved.status_code, approved.json()["state"], approved.json()["approved"]) == (
            200,
            "approved",
            3,
        )
    # 环境整治 40 + 1.5 + 1.5 − 2 = 41; 遵纪守法 20 → 61.
    assert totals(admin, a, catalogue.scheme) == {"A-001": "61.00", "A-002": "60.00"}

    third = record(catalogue.clean)
    withdrawn = post(clerk, "entry-withdraw", a, {"reason": "记重复了"}, third["id"])
    assert (withdrawn.status_code, withdrawn.json()["state"]) == (200, "withdrawn")
    assert withdrawn.json()["decided_reason"] == "记重复了"

    corrected = post(admin, "entry-correct", a, {"reason": "复核：并未乱堆"}, mess["id"])
    assert corrected.status_code == 201, corrected.content
    assert (corrected.json()["points"], corrected.json()["state"], corrected.json()["corrects"]) == (
        "2.00",
        "approved",
        mess["id"],
    )
    # 环境整治 41 + 2 = 43 → 63; the withdrawn proposal counts nothing.
    assert totals(admin, a, catalogue.scheme) == {"A-001": "63.00", "A-002": "60.00"}

    book = admin.get(url("household-passbook", a, h0.pk, scheme=catalogue.scheme.pk)).json()
    assert (book["number"], book["year"], book["base_total"], book["total"]) == (
        "A-001",
        2026,
        "60.00",
        "63.00",
    )
    assert book["categories"] == [
        {"category": catalogue.env.pk, "name": "环境整治", "score": "43.00"},
        {"category": catalogue.law.pk, "name": "遵纪守法", "score": "20.00"},
    ]
    assert [(row["entry"]["id"], row["entry"]["state"], row["running_total"]) for row in book["rows"]] == [
        (first["id"], "approved", "61.50"),
        (second["id"], "approved", "63.00"),
        (mess["id"], "approved", "61.00"),
        (third["id"], "withdrawn", "61.00"),
        (corrected.json()["id"], "approved", "63.00"),
    ]
    assert book["rows"][0]["entry"]["approved_by"] == world.a.admin.username


def test_scores_clamp_to_the_floor_and_filter_by_village_and_period(world, catalogue, api):
    h0, h1 = world.a.households
    entries = [
        services.record_entry(
            membership=member(world.a.admin),
            household=h1,
            item=catalogue.mediate,
            occurred_on=DAY,
            reason=str(n),
        )
        for n in range(3)
    ]
    services.assign_role(
        membership=member(world.a.admin), household=h0, role=catalogue.party
    )  # no base, no multiplier
    approve_through_notice(entries, membership=member(world.a.admin))
    client = api(world.a.supervisor)

    response = client.get(url("score-list", world.a.township, scheme=catalogue.scheme.pk))

    # 遵纪守法 20 + 3 × 0.5 = 21.5 → 61.5, ranked first.
    assert [(row["number"], row["total"]) for row in response.json()["results"]] == [
        ("A-002", "61.50"),
        ("A-001", "60.00"),
    ]
    first = response.json()["results"][0]
    assert (first["household"], first["village"], first["area"]) == (h1.pk, h1.village_id, h1.area_id)
    assert [c["score"] for c in first["categories"]] == ["40.00", "21.50"]
    v1 = world.a.villages[1].pk
    assert totals(client, world.a.township, catalogue.scheme, village=v1) == {"A-002": "61.50"}
    assert totals(client, world.a.township, catalogue.scheme, period="2026-Q2") == {
        "A-001": "60.00",
        "A-002": "60.00",
    }


def test_households_not_taking_part_are_not_scored(world, catalogue, api):
    h1 = world.a.households[1]
    h1.participation, h1.participation_reason = Participation.OPTED_OUT, "外出务工"
    h1.save()

    assert totals(api(world.a.admin), world.a.township, catalogue.scheme) == {"A-001": "60.00"}


def test_scores_and_passbook_need_a_scheme_of_this_township(world, catalogue, catalogue_b, api):
    client = api(world.a.admin)
    a, h0 = world.a.township, world.a.households[0]
    b_scheme = catalogue_b.scheme.pk

    assert client.get(url("score-list", a)).json() == invalid(
        {"scheme": ["This field is required."]}, code="required"
    )
    assert client.get(url("score-list", a, scheme=b_scheme)).json() == invalid(
        {"scheme": [f'Invalid pk "{b_scheme}" - object does not exist.']}, code="does_not_exist"
    )
    assert client.get(url("household-passbook", a, h0.pk)).status_code == 400
    assert client.get(url("household-passbook", a, h0.pk, scheme=b_scheme)).status_code == 400


# Bad input writes nothing ---------------------------------------------------------------------------------------


def test_an_item_of_another_townships_scheme_is_400_and_nothing_is_written(
    world, catalogue, catalogue_b, api
):
    before = ledger_snapshot()
    body = {"household": world.a.households[0].pk, "item": catalogue_b.clean.pk, "occurred_on": "2026-03-10"}

    response = post(api(world.a.admin), "entry-list", world.a.township, body)

    assert (response.status_code, response.json()) == (
        400,
        invalid(
            {"item": [f'Invalid pk "{catalogue_b.clean.pk}" - object does not exist.']}, code="does_not_exist"
        ),
    )
    assert ledger_snapshot() == before


def test_an_item_of_a_scheme_that_is_not_active_is_400(world, api):
    draft = build_catalogue(world.a.township, world.a.admin, name="草案", activate=False)
    before = ledger_snapshot()
    body = {"household": world.a.households[0].pk, "item": draft.clean.pk, "occurred_on": "2026-03-10"}

    response = post(api(world.a.admin), "entry-list", world.a.township, body)

    assert (response.status_code, response.json()) == (
        400,
        invalid({"item": ["The scheme 2026 草案 is not active: it takes no entries."]}),
    )
    assert ledger_snapshot() == before


def test_a_household_that_does_not_take_part_is_400(world, catalogue, api):
    h0 = world.a.households[0]
    h0.participation, h0.participation_reason = Participation.OPTED_OUT, "外出务工"
    h0.save()
    before = ledger_snapshot()
    body = {"household": h0.pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"}

    response = post(api(world.a.clerk), "entry-list", world.a.township, body)

    assert (response.status_code, response.json()) == (
        400,
        invalid({"household": ["Household A-001 does not take part in the scheme (Opted out)."]}),
    )
    assert ledger_snapshot() == before


def test_a_date_outside_the_schemes_year_and_a_direct_correction_source_are_400(world, catalogue, api):
    client = api(world.a.clerk)
    before = ledger_snapshot()
    body = {"household": world.a.households[0].pk, "item": catalogue.clean.pk}

    wrong_year = post(client, "entry-list", world.a.township, {**body, "occurred_on": "2025-12-31"})
    correction = post(
        client, "entry-list", world.a.township, {**body, "occurred_on": "2026-03-10", "source": "correction"}
    )

    assert wrong_year.json() == invalid({"occurred_on": ["The date must fall in the scheme's year 2026."]})
    assert fields(correction) == {"source"}
    assert (wrong_year.status_code, correction.status_code) == (400, 400)
    assert ledger_snapshot() == before


def test_an_entry_over_the_cap_is_refused_naming_the_cap(world, catalogue, api):
    client = api(world.a.clerk)
    body = {"household": world.a.households[0].pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"}
    assert [post(client, "entry-list", world.a.township, body).status_code for _ in range(3)] == [201] * 3
    before = ledger_snapshot()

    response = post(client, "entry-list", world.a.township, body)

    assert (response.status_code, response.json()) == (
        400,
        invalid(
            {
                "item": [
                    "Cap reached: 参加义务劳动 counts at most 3 times per period (first quarter of 2026) and is already recorded 3 times."
                ]
            }
        ),
    )
    assert ledger_snapshot() == before


def test_points_with_more_than_two_decimals_are_400_when_creating_an_item(world, catalogue, api):
    before = ledger_snapshot()
    body = {"category": catalogue.env.pk, "name": "庭院整洁", "kind": "bonus", "points": "0.125"}

    response = post(api(world.a.admin), "item-list", world.a.township, body)

    assert (response.status_code, response.json()) == (
        400,
        invalid(
            {"points": ["Ensure that there are no more than 2 decimal places."]}, code="max_decimal_places"
        ),
    )
    assert ledger_snapshot() == before


def evidence_body(world, catalogue, *files):
    return {
        "household": world.a.households[0].pk,
        "item": catalogue.hero.pk,
        "occurred_on": "2026-03-10",
        "evidence": list(files),
    }


def test_evidence_is_uploaded_as_multipart_and_listed_on_the_entry(world, catalogue, api):
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")

    response = api(world.a.clerk).post(
        url("entry-list", world.a.township), evidence_body(world, catalogue, photo), format="multipart"
    )

    assert response.status_code == 201, response.content
    [evidence] = response.json()["evidence"]
    assert (evidence["original_name"], evidence["content_type"], evidence["size"]) == (
        "photo.png",
        "image/png",
        70,  # the valid 1×1 PNG above
    )
    assert Evidence.objects.get().entry_id == response.json()["id"]


def test_an_item_that_needs_evidence_refuses_an_entry_without_it(world, catalogue, api):
    before = ledger_snapshot()

    response = api(world.a.clerk).post(
        url("entry-list", world.a.township), evidence_body(world, catalogue), format="multipart"
    )

    assert (response.status_code, response.json()) == (
        400,
        invalid({"evidence": ["The item 见义勇为 needs evidence (a photo or a document)."]}),
    )
    assert ledger_snapshot() == before


def test_evidence_of_the_wrong_type_is_400_on_the_evidence_field(world, catalogue, api):
    text = SimpleUploadedFile("photo.jpg", b"hello, this is not a photo", content_type="image/jpeg")
    before = ledger_snapshot()

    response = api(world.a.clerk).post(
        url("entry-list", world.a.township), evidence_body(world, catalogue, text), format="multipart"
    )

    assert (response.status_code, response.json()) == (
        400,
        invalid({"evidence": ["photo.jpg is not a photo (JPEG, PNG, WebP) or a PDF document."]}),
    )
    assert ledger_snapshot() == before


def test_evidence_that_is_too_large_is_400_on_the_evidence_field(world, catalogue, api, settings):
    settings.JIFEN_EVIDENCE_MAX_BYTES = 1_048_576
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1_048_576 - len(PNG) + 1), content_type="image/png")
    before = ledger_snapshot()

    response = api(world.a.clerk).post(
        url("entry-list", world.a.township), evidence_body(world, catalogue, big), format="multipart"
    )

    assert (response.status_code, response.json()) == (
        400,
        invalid({"evidence": ["big.png is 1.0 MB; evidence files may be at most 1 MB."]}),
    )
    assert ledger_snapshot() == before


# Idempotency ----------------------------------------------------------------------------------------------------


def test_the_same_idempotency_key_twice_records_one_entry(world, catalogue, api):
    client = api(world.a.clerk)
    body = {"household": world.a.households[0].pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"}

    first = post(client, "entry-list", world.a.township, body, **{"Idempotency-Key": "tablet-7-0001"})
    after_first = ledger_snapshot()
    again = post(client, "entry-list", world.a.township, body, **{"Idempotency-Key": "tablet-7-0001"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert ledger_snapshot() == after_first
    assert Entry.objects.filter(household=world.a.households[0]).count() == 1


def test_an_idempotency_key_reused_for_another_entry_or_malformed_is_400(world, catalogue, api):
    client = api(world.a.admin)
    h0, h1 = world.a.households
    body = {"household": h0.pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"}
    assert post(client, "entry-list", world.a.township, body, **{"Idempotency-Key": "k1"}).status_code == 201
    before = ledger_snapshot()

    other = post(
        client, "entry-list", world.a.township, {**body, "household": h1.pk}, **{"Idempotency-Key": "k1"}
    )
    malformed = post(client, "entry-list", world.a.township, body, **{"Idempotency-Key": "k1:" + "x" * 70})

    assert (other.status_code, fields(other)) == (400, {"Idempotency-Key"})
    assert (malformed.status_code, fields(malformed)) == (400, {"Idempotency-Key"})
    assert ledger_snapshot() == before


def test_a_retried_bulk_recording_and_correction_write_once(world, ledger, catalogue, api):
    client = api(world.a.admin)
    body = {
        "item": catalogue.mediate.pk,
        "households": [h.pk for h in world.a.households],
        "occurred_on": "2026-03-10",
    }

    first = post(client, "entry-bulk", world.a.township, body, **{"Idempotency-Key": "cleanup-0310"})
    again = post(client, "entry-bulk", world.a.township, body, **{"Idempotency-Key": "cleanup-0310"})
    correction = post(
        client,
        "entry-correct",
        world.a.township,
        {"reason": "复核"},
        ledger.approved.pk,
        **{"Idempotency-Key": "c1"},
    )
    retried = post(
        client,
        "entry-correct",
        world.a.township,
        {"reason": "复核"},
        ledger.approved.pk,
        **{"Idempotency-Key": "c1"},
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert [e["id"] for e in again.json()] == [e["id"] for e in first.json()]
    assert (correction.status_code, retried.status_code) == (201, 200)
    assert retried.json()["id"] == correction.json()["id"]
    assert Entry.objects.filter(item=catalogue.mediate).count() == 2
    assert Entry.objects.filter(corrects=ledger.approved).count() == 1


# The ledger is append-only --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_an_approved_entry_cannot_be_changed_or_deleted_through_the_api(world, ledger, api, method):
    path = url("entry-detail", world.a.township, ledger.approved.pk)
    body = {"points": "100", "state": "withdrawn"}
    before = ledger_snapshot()

    statuses = [getattr(api(getattr(world.a, role)), method)(path, body, format="json") for role in ROLES]
    outsider = getattr(api(world.b.admin), method)(path, body, format="json")

    # A county viewer never sees a household's ledger (issue 7): for them the entry is "not found".
    expected = [404 if role == "county" else 405 for role in ROLES]
    assert [response.status_code for response in statuses] == expected
    assert statuses[0].json() == error(
        "method_not_allowed",
        "Entries are never changed or deleted: withdraw a proposal or record a correction.",
    )
    assert outsider.status_code == 404
    assert ledger_snapshot() == before


def test_only_a_proposal_can_be_withdrawn_and_only_an_approved_entry_corrected(world, ledger, api):
    client = api(world.a.admin)
    before = ledger_snapshot()

    withdraw = post(client, "entry-withdraw", world.a.township, {"reason": "x"}, ledger.approved.pk)
    correct = post(client, "entry-correct", world.a.township, {"reason": "x"}, ledger.proposed.pk)
    no_reason = post(client, "entry-withdraw", world.a.township, {"reason": ""}, ledger.proposed.pk)

    assert withdraw.json() == invalid(
        {"non_field_errors": ["Only a proposed entry can be withdrawn; an approved one needs a correction."]}
    )
    assert correct.json() == invalid(
        {"non_field_errors": ["Only an approved entry needs a correction; withdraw a proposal instead."]}
    )
    assert fields(no_reason) == {"reason"}
    assert {withdraw.status_code, correct.status_code, no_reason.status_code} == {400}
    assert ledger_snapshot() == before


def test_a_clerk_withdraws_only_the_proposals_they_recorded(world, catalogue, api):
    by_admin = services.record_entry(
        membership=member(world.a.admin),
        household=world.a.households[0],
        item=catalogue.clean,
        occurred_on=DAY,
    )
    before = ledger_snapshot()

    response = post(api(world.a.clerk), "entry-withdraw", world.a.township, {"reason": "x"}, by_admin.pk)

    assert response.status_code == 403
    assert ledger_snapshot() == before


# Approving ------------------------------------------------------------------------------------------------------


def test_approving_ids_of_another_township_changes_nothing(world, ledger, catalogue_b, api):
    b_entry = services.record_entry(
        membership=member(world.b.clerk),
        household=world.b.households[0],
        item=catalogue_b.clean,
        occurred_on=DAY,
    )
    client = api(world.a.admin)
    before = ledger_snapshot()

    only_b = post(client, "entry-approve", world.a.township, {"ids": [b_entry.pk]})
    mixed = post(client, "entry-approve", world.a.township, {"ids": [ledger.proposed.pk, b_entry.pk]})

    assert (only_b.status_code, only_b.json()) == (
        400,
        invalid({"ids": [f"These entries do not exist: {b_entry.pk}."]}),
    )
    assert mixed.status_code == 400
    assert ledger_snapshot() == before
    b_entry.refresh_from_db()
    assert b_entry.state == EntryState.PROPOSED


def test_approving_from_the_ledger_is_refused_and_changes_nothing(world, ledger, api):
    """Issue 12: no shortcut around the notice. Approving proposals straight from the ledger is a 400 that says
    to post them on a notice batch, whatever else the ids name; the database is unchanged."""
    client = api(world.a.admin)
    ids = {"ids": [ledger.proposed.pk, ledger.approved.pk], "reason": "镇审核"}
    before = ledger_snapshot()

    response = post(client, "entry-approve", world.a.township, ids)

    assert response.status_code == 400
    assert response.json()["code"] == "notice_required"
    assert ledger_snapshot() == before
    # Already approved entries alone: nothing to do, nothing refused.
    only_approved = post(client, "entry-approve", world.a.township, {"ids": [ledger.approved.pk]})
    assert only_approved.json() == {"approved": 0}


# Bulk -----------------------------------------------------------------------------------------------------------


def test_bulk_records_one_item_for_many_households_or_for_none(world, catalogue, api):
    client = api(world.a.admin)
    h0, h1 = world.a.households
    body = {"item": catalogue.mediate.pk, "households": [h0.pk, h1.pk], "occurred_on": "2026-03-10"}
    h1.participation, h1.participation_reason = Participation.OPTED_OUT, "外出务工"
    h1.save()
    before = ledger_snapshot()

    refused = post(client, "entry-bulk", world.a.township, body)
    assert (refused.status_code, fields(refused)) == (400, {"household"})
    assert ledger_snapshot() == before

    h1.participation = Participation.TAKING_PART
    h1.save()
    recorded = post(client, "entry-bulk", world.a.township, body)
    assert recorded.status_code == 201, recorded.content
    assert [(e["household"], e["points"], e["state"]) for e in recorded.json()] == [
        (h0.pk, "0.50", "proposed"),
        (h1.pk, "0.50", "proposed"),
    ]


def test_bulk_refuses_duplicates_and_households_the_clerk_cannot_see(world, catalogue, api):
    h0, h1 = world.a.households
    body = {"item": catalogue.mediate.pk, "occurred_on": "2026-03-10"}
    before = ledger_snapshot()

    twice = post(api(world.a.admin), "entry-bulk", world.a.township, {**body, "households": [h0.pk, h0.pk]})
    unseen = post(api(world.a.clerk), "entry-bulk", world.a.township, {**body, "households": [h0.pk, h1.pk]})
    empty = post(api(world.a.admin), "entry-bulk", world.a.township, {**body, "households": []})

    assert twice.json() == invalid({"households": ["Each household may be listed only once."]})
    assert unseen.json() == invalid({"households": [f"These households do not exist: {h1.pk}."]})
    assert empty.json() == invalid({"households": ["List at least one household."]})
    assert {twice.status_code, unseen.status_code, empty.status_code} == {400}
    assert ledger_snapshot() == before


# The catalogue --------------------------------------------------------------------------------------------------


def test_admin_builds_activates_copies_and_closes_a_scheme(world, api):
    client = api(world.a.admin)
    a = world.a.township

    created = post(client, "scheme-list", a, {"name": "村规民约", "year": 2026})
    assert created.status_code == 201, created.content
    scheme = created.json()
    assert (scheme["state"], scheme["base_total"], scheme["false_declaration_multiplier"]) == (
        "draft",
        "0.00",
        "2.00",
    )
    category = post(
        client,
        "category-list",
        a,
        {
            "scheme": scheme["id"],
            "name": "环境整治",
            "base_score": "40",
            "cadence": "quarterly",
            "floor": "0",
        },
    )
    assert category.status_code == 201, category.content
    item = post(
        client,
        "item-list",
        a,
        {"category": category.json()["id"], "name": "庭院整洁", "kind": "bonus", "points": "0.5"},
    )
    assert (item.status_code, item.json()["points"], item.json()["scheme"]) == (201, "0.50", scheme["id"])
    rule = post(
        client,
        "role-rule-list",
        a,
        {"scheme": scheme["id"], "code": "officer", "name": "干部户", "penalty_multiplier": "2"},
    )
    assert rule.status_code == 201, rule.content

    activated = post(client, "scheme-activate", a, {}, scheme["id"])
    assert (activated.json()["state"], activated.json()["base_total"]) == ("active", "40.00")
    copied = post(client, "scheme-copy", a, {"year": 2027}, scheme["id"])
    assert copied.status_code == 201, copied.content
    assert (copied.json()["name"], copied.json()["year"], copied.json()["state"]) == (
        "村规民约",
        2027,
        "draft",
    )
    assert copied.json()["copied_from"] == scheme["id"]
    new = Scheme.objects.get(pk=copied.json()["id"])
    assert [(c.name, [i.name for i in c.items.all()]) for c in new.categories.all()] == [
        ("环境整治", ["庭院整洁"])
    ]
    assert list(new.role_rules.values_list("code", "penalty_multiplier")) == [("officer", D("2.00"))]

    closed = post(client, "scheme-close", a, {}, scheme["id"])
    assert closed.json()["state"] == "closed"
    late = post(
        client,
        "item-list",
        a,
        {"category": category.json()["id"], "name": "迟到", "kind": "penalty", "points": "1"},
    )
    assert late.json() == invalid(
        {"non_field_errors": ["The scheme of 2026 is closed; start next year's scheme instead."]}
    )


def test_a_duplicate_scheme_or_category_name_is_400(world, catalogue, api):
    client = api(world.a.admin)
    before = ledger_snapshot()

    scheme = post(client, "scheme-list", world.a.township, {"name": "村规", "year": 2026})
    category = post(
        client,
        "category-list",
        world.a.township,
        {"scheme": catalogue.scheme.pk, "name": "环境整治", "base_score": "1", "cadence": "annual"},
    )

    assert (scheme.status_code, category.status_code) == (400, 400)
    assert ledger_snapshot() == before


def test_admin_loads_a_template_and_lists_the_templates(world, api):
    client = api(world.a.admin)

    listed = client.get(url("scheme-templates", world.a.township))
    loaded = post(
        client, "scheme-load-template", world.a.township, {"template": "village-2026", "year": 2026}
    )
    again = post(client, "scheme-load-template", world.a.township, {"template": "village-2026", "year": 2026})
    unknown = post(client, "scheme-load-template", world.a.township, {"template": "../etc", "year": 2026})

    # A township lists a township's templates (a school's, the class template, runs for a term: issue 15).
    assert [t["name"] for t in listed.json()["results"]] == ["social-governance", "village-2026"]
    assert loaded.status_code == 201, loaded.content
    assert (loaded.json()["template"], loaded.json()["state"], loaded.json()["base_total"]) == (
        "village-2026",
        "draft",
        "140.00",
    )
    assert Category.objects.filter(scheme_id=loaded.json()["id"]).count() == 5
    assert (again.status_code, fields(again)) == (400, {"template"})
    assert (unknown.status_code, fields(unknown)) == (400, {"template"})


def test_editing_an_item_keeps_the_rule_recorded_on_earlier_entries_and_retiring_it_stops_new_ones(
    world, ledger, catalogue, api
):
    client = api(world.a.admin)
    path = url("item-detail", world.a.township, catalogue.clean.pk)

    edited = client.patch(path, {"points": "3", "name": "义务劳动"}, format="json")
    retired = client.patch(path, {"active": False}, format="json")
    moved = client.patch(path, {"category": catalogue.law.pk}, format="json")
    body = {"household": world.a.households[0].pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-11"}
    refused = post(api(world.a.clerk), "entry-list", world.a.township, body)

    assert (edited.status_code, edited.json()["points"], retired.json()["active"]) == (200, "3.00", False)
    assert moved.json() == invalid(
        {"category": ["An item cannot move to another category; retire it and add a new one."]}
    )
    assert refused.json() == invalid({"item": ["The item 义务劳动 is retired."]})
    entry = client.get(url("entry-detail", world.a.township, ledger.proposed.pk)).json()
    assert (entry["item_name"], entry["item_points"], entry["points"]) == ("参加义务劳动", "1.50", "1.50")


def test_the_catalogue_cannot_be_deleted(world, ledger, catalogue, api):
    client = api(world.a.admin)
    a = world.a.township
    before = ledger_snapshot()

    statuses = [
        client.delete(url("scheme-detail", a, catalogue.scheme.pk)).status_code,
        client.delete(url("category-detail", a, catalogue.env.pk)).status_code,
        client.delete(url("item-detail", a, catalogue.clean.pk)).status_code,
        client.delete(url("role-rule-detail", a, catalogue.party.pk)).status_code,
        client.patch(url("scheme-detail", a, catalogue.scheme.pk), {"name": "x"}, format="json").status_code,
        client.post(url("score-list", a), {}, format="json").status_code,
        client.delete(url("alert-detail", a, ledger.alert.pk)).status_code,
    ]

    assert statuses == [405] * 7
    assert ledger_snapshot() == before


def test_items_filter_by_scheme_category_and_kind(world, catalogue, catalogue_b, api):
    client = api(world.a.clerk)

    def names(**query):
        response = client.get(url("item-list", world.a.township, **query))
        assert response.status_code == 200, response.content
        return [item["name"] for item in response.json()["results"]]

    assert names(scheme=catalogue.scheme.pk, kind="penalty") == ["乱堆乱放"]
    assert names(category=catalogue.law.pk) == ["见义勇为", "调解纠纷"]
    assert len(names()) == 4  # township B's items are not there
    assert client.get(url("item-list", world.a.township, scheme=catalogue_b.scheme.pk)).status_code == 400


# Alerts ---------------------------------------------------------------------------------------------------------


def test_a_clerk_sees_and_acknowledges_the_alert_of_their_village(world, ledger, api):
    client = api(world.a.clerk)

    listed = client.get(url("alert-list", world.a.township, acknowledged="false")).json()["results"]
    acknowledged = post(client, "alert-acknowledge", world.a.township, {}, ledger.alert.pk)

    assert [(a["household"], a["item_name"], a["consequence"], a["hits"], a["period"]) for a in listed] == [
        (world.a.households[0].pk, "乱堆乱放", "约谈", 2, "2026-Q1")
    ]
    assert (acknowledged.status_code, acknowledged.json()["acknowledged_by"]) == (200, world.a.clerk.username)
    assert client.get(url("alert-list", world.a.township, acknowledged="false")).json()["count"] == 0
    assert client.get(url("alert-list", world.a.township, acknowledged="true")).json()["count"] == 1


# Permissions: three users per case ------------------------------------------------------------------------------

CATALOGUE_READERS = ("clerk", "panel", "supervisor", "county")
LEDGER_READERS = ("panel", "supervisor")  # county viewers do not see the ledger at all (tests/oversight)


def write_requests(world, catalogue, ledger):
    """name: (method, path, body, who may, what they get, members refused with 403)."""
    slug, h0 = world.a.township.slug, world.a.households[0]
    scheme = catalogue.scheme.pk
    return {
        "create scheme": (
            "post",
            url("scheme-list", slug),
            {"name": "新方案", "year": 2027},
            "admin",
            201,
            CATALOGUE_READERS,
        ),
        "activate scheme": (
            "post",
            url("scheme-activate", slug, ledger.draft.pk),
            {},
            "admin",
            200,
            CATALOGUE_READERS,
        ),
        "close scheme": ("post", url("scheme-close", slug, scheme), {}, "admin", 200, CATALOGUE_READERS),
        "copy scheme": (
            "post",
            url("scheme-copy", slug, scheme),
            {"year": 2027},
            "admin",
            201,
            CATALOGUE_READERS,
        ),
        "load template": (
            "post",
            url("scheme-load-template", slug),
            {"template": "class", "year": 2027},
            "admin",
            201,
            CATALOGUE_READERS,
        ),
        "add category": (
            "post",
            url("category-list", slug),
            {"scheme": scheme, "name": "党的建设", "base_score": "20", "cadence": "annual"},
            "admin",
            201,
            CATALOGUE_READERS,
        ),
        "add item": (
            "post",
            url("item-list", slug),
            {"category": catalogue.env.pk, "name": "庭院整洁", "kind": "bonus", "points": "1"},
            "admin",
            201,
            CATALOGUE_READERS,
        ),
        "edit item": (
            "patch",
            url("item-detail", slug, catalogue.clean.pk),
            {"points": "2"},
            "admin",
            200,
            CATALOGUE_READERS,
        ),
        "add role rule": (
            "post",
            url("role-rule-list", slug),
            {"scheme": scheme, "code": "officer", "name": "干部户", "penalty_multiplier": "2"},
            "admin",
            201,
            CATALOGUE_READERS,
        ),
        "record entry": (
            "post",
            url("entry-list", slug),
            {"household": h0.pk, "item": catalogue.mediate.pk, "occurred_on": "2026-03-11"},
            "clerk",
            201,
            LEDGER_READERS,
        ),
        "record bulk": (
            "post",
            url("entry-bulk", slug),
            {"item": catalogue.mediate.pk, "households": [h0.pk], "occurred_on": "2026-03-11"},
            "clerk",
            201,
            LEDGER_READERS,
        ),
        "approve": (
            "post",
            url("entry-approve", slug),
            {"ids": [ledger.proposed.pk]},
            "admin",
            200,
            CATALOGUE_READERS,
        ),
        "withdraw": (
            "post",
            url("entry-withdraw", slug, ledger.proposed.pk),
            {"reason": "记错了"},
            "clerk",
            200,
            LEDGER_READERS,
        ),
        "correct": (
            "post",
            url("entry-correct", slug, ledger.approved.pk),
            {"reason": "复核有误"},
            "admin",
            201,
            CATALOGUE_READERS,
        ),
        "acknowledge": (
            "post",
            url("alert-acknowledge", slug, ledger.alert.pk),
            {},
            "clerk",
            200,
            LEDGER_READERS,
        ),
    }


WRITES = [
    "create scheme",
    "activate scheme",
    "close scheme",
    "copy scheme",
    "load template",
    "add category",
    "add item",
    "edit item",
    "add role rule",
    "record entry",
    "record bulk",
    "approve",
    "withdraw",
    "correct",
    "acknowledge",
]
DETAIL_WRITES = [
    "activate scheme",
    "close scheme",
    "copy scheme",
    "edit item",
    "withdraw",
    "correct",
    "acknowledge",
]


def send(client, method, path, body):
    return getattr(client, method)(path, body, format="json")


# Approving from the ledger is refused for everyone now (the one route: a round's or batch's approval after its
# notice); test_approving_from_the_ledger_is_refused_and_changes_nothing holds that. Readers and outsiders still
# get 403 and 404 on it.
@pytest.mark.parametrize("write", [w for w in WRITES if w != "approve"])
def test_the_member_who_may_write_succeeds(world, catalogue, ledger, api, write):
    method, path, body, role, expected, _readers = write_requests(world, catalogue, ledger)[write]
    before = ledger_snapshot()

    response = send(api(getattr(world.a, role)), method, path, body)

    assert response.status_code == expected, response.content
    assert ledger_snapshot() != before


@pytest.mark.parametrize("write", WRITES)
def test_members_who_may_only_read_get_403_and_nothing_changes(world, catalogue, ledger, api, write):
    method, path, body, _role, _expected, readers = write_requests(world, catalogue, ledger)[write]
    before = ledger_snapshot()

    statuses = [send(api(getattr(world.a, reader)), method, path, body).status_code for reader in readers]

    # County viewers do not see the ledger at all (issue 7): "not found" rather than "denied".
    assert all(s in ((403, 404) if r == "county" else (403,)) for r, s in zip(readers, statuses, strict=True))
    assert ledger_snapshot() == before


@pytest.mark.parametrize("write", WRITES)
def test_an_outsider_gets_404_on_every_write_through_the_other_townships_slug(
    world, catalogue, ledger, api, write
):
    method, path, body, *_rest = write_requests(world, catalogue, ledger)[write]
    before = ledger_snapshot()

    response = send(api(world.b.admin), method, path, body)

    assert response.status_code == 404
    assert ledger_snapshot() == before


@pytest.mark.parametrize("write", DETAIL_WRITES)
def test_an_outsider_gets_404_for_the_other_townships_ids_through_their_own_slug(
    world, catalogue, ledger, catalogue_b, api, write
):
    method, path, body, *_rest = write_requests(world, catalogue, ledger)[write]
    path = path.replace(f"/t/{world.a.township.slug}/", f"/t/{world.b.township.slug}/")
    before = ledger_snapshot()

    response = send(api(world.b.admin), method, path, body)

    assert response.status_code == 404
    assert ledger_snapshot() == before


def test_an_outsider_cannot_record_for_the_other_townships_household_through_their_own_slug(
    world, catalogue, catalogue_b, api
):
    client = api(world.b.admin)
    h0 = world.a.households[0]
    before = ledger_snapshot()

    single = post(
        client,
        "entry-list",
        world.b.township,
        {"household": h0.pk, "item": catalogue_b.mediate.pk, "occurred_on": "2026-03-10"},
    )
    bulk = post(
        client,
        "entry-bulk",
        world.b.township,
        {"households": [h0.pk], "item": catalogue_b.mediate.pk, "occurred_on": "2026-03-10"},
    )
    own_item = post(
        client,
        "entry-list",
        world.b.township,
        {"household": world.b.households[0].pk, "item": catalogue.mediate.pk, "occurred_on": "2026-03-10"},
    )

    assert single.json() == invalid(
        {"household": [f'Invalid pk "{h0.pk}" - object does not exist.']}, code="does_not_exist"
    )
    assert bulk.json() == invalid({"households": [f"These households do not exist: {h0.pk}."]})
    assert fields(own_item) == {"item"}
    assert {single.status_code, bulk.status_code, own_item.status_code} == {400}
    assert ledger_snapshot() == before


def read_paths(world, catalogue, ledger):
    slug, h0 = world.a.township.slug, world.a.households[0]
    scheme = catalogue.scheme.pk
    return [
        url("scheme-list", slug),
        url("scheme-detail", slug, scheme),
        url("scheme-templates", slug),
        url("category-list", slug, scheme=scheme),
        url("category-detail", slug, catalogue.env.pk),
        url("item-list", slug, scheme=scheme),
        url("item-detail", slug, catalogue.clean.pk),
        url("role-rule-list", slug),
        url("role-rule-detail", slug, catalogue.party.pk),
        url("entry-list", slug, scheme=scheme),
        url("entry-detail", slug, ledger.approved.pk),
        url("score-list", slug, scheme=scheme),
        url("household-passbook", slug, h0.pk, scheme=scheme),
        url("alert-list", slug),
        url("alert-detail", slug, ledger.alert.pk),
    ]


@pytest.mark.parametrize("role", [role for role in ROLES if role != "county"])  # county: tests/oversight
def test_every_member_reads_the_catalogue_and_the_ledger_they_may_see(world, catalogue, ledger, api, role):
    client = api(getattr(world.a, role))

    assert [client.get(path).status_code for path in read_paths(world, catalogue, ledger)] == [200] * 15


def test_an_outsider_gets_404_for_every_read_by_slug_and_by_id(world, catalogue, ledger, catalogue_b, api):
    client = api(world.b.admin)
    by_slug = read_paths(world, catalogue, ledger)
    by_id = [
        path.replace("/t/town-a/", "/t/town-b/")
        for path in by_slug
        if any(part.isdigit() for part in path.split("?")[0].split("/"))
    ]

    assert [client.get(path).status_code for path in by_slug] == [404] * 15
    assert len(by_id) == 7
    assert [client.get(path).status_code for path in by_id] == [404] * 7


def test_a_clerk_gets_404_for_the_entries_passbook_and_alerts_of_another_village(world, catalogue, api):
    h1 = world.a.households[1]
    other = services.record_entry(
        membership=member(world.a.admin), household=h1, item=catalogue.mess, occurred_on=DAY
    )
    services.record_entry(
        membership=member(world.a.admin), household=h1, item=catalogue.mess, occurred_on=DAY
    )
    alert = ThresholdAlert.objects.get(household=h1)
    client = api(world.a.clerk)
    a, scheme = world.a.township, catalogue.scheme.pk
    before = ledger_snapshot()

    assert client.get(url("entry-detail", a, other.pk)).status_code == 404
    assert client.get(url("household-passbook", a, h1.pk, scheme=scheme)).status_code == 404
    assert client.get(url("alert-detail", a, alert.pk)).status_code == 404
    assert post(client, "entry-withdraw", a, {"reason": "x"}, other.pk).status_code == 404
    assert post(client, "alert-acknowledge", a, {}, alert.pk).status_code == 404
    assert client.get(url("entry-list", a, household=h1.pk)).status_code == 400
    assert client.get(url("entry-list", a)).json()["count"] == 0
    assert client.get(url("alert-list", a)).json()["count"] == 0
    assert totals(client, a, catalogue.scheme) == {"A-001": "60.00"}
    body = {"household": h1.pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"}
    assert post(client, "entry-list", a, body).json() == invalid(
        {"household": [f'Invalid pk "{h1.pk}" - object does not exist.']}, code="does_not_exist"
    )
    assert ledger_snapshot() == before


def test_entries_filter_by_scheme_household_village_state_source_period_and_year(
    world, ledger, catalogue, api
):
    client = api(world.a.admin)
    h1 = world.a.households[1]
    later = services.record_entry(
        membership=member(world.a.admin),
        household=h1,
        item=catalogue.mediate,
        occurred_on=datetime.date(2026, 5, 2),
        source="inspection",
    )

    def ids(**query):
        response = client.get(url("entry-list", world.a.township, **query))
        assert response.status_code == 200, response.content
        return [entry["id"] for entry in response.json()["results"]]

    assert len(ids(scheme=catalogue.scheme.pk)) == 4
    assert ids(household=h1.pk) == [later.pk]
    assert ids(village=world.a.villages[1].pk) == [later.pk]
    assert ids(state="approved") == [ledger.approved.pk]
    assert ids(source="inspection") == [later.pk]
    assert ids(period="2026") == [later.pk]  # 调解纠纷 is an annual category
    assert len(ids(year=2026)) == 4
    assert ids(year=2027) == []


def test_huge_integers_and_nul_characters_are_400_or_404_never_500(world, ledger, catalogue, api):
    client = api(world.a.admin)
    a, scheme = world.a.township, catalogue.scheme.pk
    before = ledger_snapshot()

    assert client.get(url("entry-list", a, period="2026\x00")).status_code == 400
    assert client.get(url("entry-list", a, year=HUGE)).status_code == 400
    assert client.get(url("entry-list", a, household=HUGE)).status_code == 400
    assert client.get(url("score-list", a, scheme=HUGE)).status_code == 400
    assert client.get(url("score-list", a, scheme=scheme, period="Q\x00")).status_code == 400
    assert client.get(url("household-passbook", a, HUGE, scheme=scheme)).status_code == 404
    assert client.get(url("entry-detail", a, HUGE)).status_code == 404
    assert post(client, "entry-approve", a, {"ids": [HUGE]}).status_code == 400
    assert (
        post(
            client,
            "entry-bulk",
            a,
            {"item": catalogue.mediate.pk, "households": [HUGE], "occurred_on": "2026-03-10"},
        ).status_code
        == 400
    )
    assert (
        post(
            client,
            "entry-list",
            a,
            {"household": HUGE, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"},
        ).status_code
        == 400
    )
    body = {"household": world.a.households[0].pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"}
    assert post(client, "entry-list", a, {**body, "reason": "x\x00"}).status_code == 400
    assert post(client, "entry-withdraw", a, {"reason": "x\x00"}, ledger.proposed.pk).status_code == 400
    assert ledger_snapshot() == before


# Authentication -------------------------------------------------------------------------------------------------


def test_token_authentication_records_and_reads_without_csrf(world, catalogue):
    token = Token.objects.create(user=world.a.clerk)
    client = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")
    h0 = world.a.households[0]

    created = client.post(
        url("entry-list", world.a.township),
        {"household": h0.pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"},
        format="json",
    )
    book = client.get(url("household-passbook", world.a.township, h0.pk, scheme=catalogue.scheme.pk))

    assert created.status_code == 201, created.content
    assert [row["entry"]["id"] for row in book.json()["rows"]] == [created.json()["id"]]


def test_unauthenticated_requests_get_nothing_and_write_nothing(world, catalogue):
    client = APIClient()
    before = ledger_snapshot()

    read = client.get(url("entry-list", world.a.township))
    write = client.post(
        url("entry-list", world.a.township),
        {"household": world.a.households[0].pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"},
        format="json",
    )

    assert (read.status_code, write.status_code) == (401, 401)
    assert read["WWW-Authenticate"] == "Token"
    assert read.json() == write.json() == error("not_authenticated", "身份认证信息未提供。")
    assert ledger_snapshot() == before


def test_session_writes_need_the_csrf_token(world, catalogue):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.a.clerk)
    before = ledger_snapshot()

    refused = client.post(
        url("entry-list", world.a.township),
        {"household": world.a.households[0].pk, "item": catalogue.clean.pk, "occurred_on": "2026-03-10"},
        format="json",
    )

    assert refused.status_code == 403
    assert ledger_snapshot() == before


# Constant queries -----------------------------------------------------------------------------------------------


def record_approved(world, catalogue, households, *, days=range(1)):
    """One approved 调解纠纷 (+0.5) entry per household and day before DAY, each with a photo."""
    entries = [
        services.record_entry(
            membership=member(world.a.admin),
            household=household,
            item=catalogue.mediate,
            occurred_on=DAY - datetime.timedelta(days=day),
            evidence=[SimpleUploadedFile("p.png", PNG)],
        )
        for household in households
        for day in days
    ]
    approve_through_notice(entries, membership=member(world.a.admin))


def test_entry_list_makes_the_same_number_of_queries_for_2_and_20_entries(
    world, catalogue, api, django_assert_num_queries
):
    client = api(world.a.admin)
    path = url("entry-list", world.a.township, scheme=catalogue.scheme.pk)
    record_approved(world, catalogue, world.a.households)
    small, count = count_queries(client, path)
    assert count == 2
    grow(world, 18)
    record_approved(world, catalogue, Household.objects.filter(number__startswith="A-1"))

    with django_assert_num_queries(small):
        response = client.get(path)

    assert response.json()["count"] == 20
    assert all(len(entry["evidence"]) == 1 for entry in response.json()["results"])


def test_score_list_makes_the_same_number_of_queries_for_2_and_20_households(
    world, catalogue, api, django_assert_num_queries
):
    client = api(world.a.admin)
    path = url("score-list", world.a.township, scheme=catalogue.scheme.pk)
    record_approved(world, catalogue, world.a.households)
    small, count = count_queries(client, path)
    assert count == 2
    grow(world, 18)

    with django_assert_num_queries(small):
        response = client.get(path)

    assert response.json()["count"] == 20
    # the two with an entry first (60 + 0.5), then the 18 new ones at the base total
    assert [row["total"] for row in response.json()["results"]] == ["60.50"] * 2 + ["60.00"] * 18


def test_passbook_makes_the_same_number_of_queries_for_2_and_20_entries(
    world, catalogue, api, django_assert_num_queries
):
    client = api(world.a.admin)
    h0, h1 = world.a.households
    path = url("household-passbook", world.a.township, h0.pk, scheme=catalogue.scheme.pk)
    record_approved(world, catalogue, [h0], days=range(2))
    with CaptureQueriesContext(connection) as queries:
        assert len(client.get(path).json()["rows"]) == 2
    small = len(queries)
    record_approved(world, catalogue, [h0], days=range(2, 19))
    record_approved(world, catalogue, [h1], days=range(5))  # another household's: not in this passbook
    services.record_entry(
        membership=member(world.a.admin), household=h0, item=catalogue.clean, occurred_on=DAY
    )

    with django_assert_num_queries(small):
        response = client.get(path)

    book = response.json()
    assert len(book["rows"]) == 20
    # 19 approved × 0.5 = 9.5: 遵纪守法 20 + 9.5 = 29.5, clamped to its ceiling 25 → 40 + 25 = 65. The running total
    # is the plain sum (60 + 9.5); the last row, a proposal, does not move it.
    assert book["total"] == "65.00"
    assert [row["running_total"] for row in book["rows"][-2:]] == ["69.50", "69.50"]
    assert book["rows"][-1]["entry"]["state"] == "proposed"


# Language -------------------------------------------------------------------------------------------------------


def test_scoring_api_errors_are_in_chinese_by_default(world, ledger):
    client = APIClient()
    client.force_login(world.a.admin)

    changed = client.patch(url("entry-detail", world.a.township, ledger.approved.pk), {}, format="json")
    unknown = client.post(url("entry-approve", world.a.township), {"ids": [987654321]}, format="json")

    assert changed.json() == error(
        "method_not_allowed", "积分记录不能修改或删除：待审核的记录请撤回，已生效的记录请做更正。"
    )
    assert unknown.json() == invalid({"ids": ["以下积分记录不存在：987654321。"]})
