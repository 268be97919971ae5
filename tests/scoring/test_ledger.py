"""The ledger's rules, checked with hand-computed numbers."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import translation

from core.errors import DomainError
from core.tenancy import no_township_scope, township_scope
from households.models import Household, Participation
from scoring import services
from scoring.models import Entry, EntrySource, EntryState, LedgerViolation, ThresholdAlert, TransferState
from scoring.selectors import annual_totals, household_scores, passbook
from tests.contract import member
from tests.notices import approve_through_notice
from tests.scoring.oracle import with_scores

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english():
    """These tests match the English messages; the Chinese catalog translates them for users."""
    with translation.override("en"):
        yield


DAY = datetime.date(2026, 3, 10)
PNG = bytes.fromhex(  # a valid 1×1 PNG: evidence photos must open as images
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8"
    "cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


@pytest.fixture
def scheme(world):
    township, office = world.a.township, member(world.a.admin)
    scheme = services.create_scheme(membership=office, township=township, name="村规", year=2026)
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
            points=D("20"),
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
        "good": services.add_item(
            membership=office, category=law, name="调解纠纷", kind="bonus", points=D("2"), cap_points=D("3")
        ),
    }
    officer = services.add_role_rule(
        membership=office,
        scheme=scheme,
        code="officer",
        name="干部户",
        base_score=D("70"),
        penalty_multiplier=D("2"),
    )
    services.activate_scheme(membership=office, scheme=scheme)
    return type("S", (), {"scheme": scheme, "env": env, "law": law, "officer": officer, **items})


def _record(world, household, item, **kwargs):
    """Recorded by the clerk of the household's village (village 1), else by the township office."""
    kwargs.setdefault("occurred_on", DAY)
    recorder = world.a.clerk if household.village_id == world.a.villages[0].pk else world.a.admin
    return services.record_entry(membership=member(recorder), household=household, item=item, **kwargs)


def _approve(world, *entries):
    approve_through_notice(entries, membership=member(world.a.admin))


def test_scores_clamp_halves_and_role_multiplier(world, scheme):
    h1, h2 = world.a.households
    # h1: 1.5 + 1.5 bonus on 环境整治 → 43; 调解纠纷 2 → 遵纪守法 22 (ceiling 25 not reached). Total 65.
    _approve(
        world,
        _record(world, h1, scheme.clean),
        _record(world, h1, scheme.clean),
        _record(world, h1, scheme.good),
    )
    # h2 is an officer household: base total 70 instead of 60, 乱堆乱放 −20 ×2 = −40 → 环境整治 40−40 = 0 (floor 0).
    services.assign_role(membership=member(world.a.admin), household=h2, role=scheme.officer)
    mess = _record(world, h2, scheme.mess)
    assert mess.points == D("-40.00") and mess.multiplier == D("2")
    _approve(world, mess)
    # A second 乱堆乱放 would take 环境整治 to −40; the floor keeps it at 0. Total = 0 + 20 + (70 − 60) = 30.
    _approve(world, _record(world, h2, scheme.mess, occurred_on=datetime.date(2026, 3, 11)))
    totals = annual_totals(scheme.scheme)
    assert totals[h1.pk] == D("65.00")
    assert totals[h2.pk] == D("30.00")


def test_proposed_entries_do_not_count_until_approved(world, scheme):
    h1 = world.a.households[0]
    entry = _record(world, h1, scheme.clean)
    assert entry.state == EntryState.PROPOSED
    assert annual_totals(scheme.scheme)[h1.pk] == D("60.00")
    _approve(world, entry)
    assert annual_totals(scheme.scheme)[h1.pk] == D("61.50")


def test_ceiling_clamps_the_category(world, scheme):
    h1 = world.a.households[0]
    heroes = [
        _record(
            world,
            h1,
            scheme.hero,
            occurred_on=datetime.date(2026, 1, d),
            evidence=[SimpleUploadedFile(f"p{d}.png", PNG)],
        )
        for d in (5, 6)
    ]
    _approve(world, *heroes)
    scored = household_scores(scheme.scheme, Household.objects.filter(pk=h1.pk))[h1.pk]
    assert scored.categories[scheme.law.pk] == D("25.00")  # 20 + 8 clamped to the ceiling 25
    assert scored.total == D("65.00")


def test_cap_by_count_is_refused_with_a_message_naming_the_cap(world, scheme):
    h1 = world.a.households[0]
    for _ in range(3):
        _record(world, h1, scheme.clean)
    with pytest.raises(DomainError) as excinfo:
        _record(world, h1, scheme.clean)
    assert "3" in str(excinfo.value.message) and "first quarter of 2026" in str(excinfo.value.message)
    assert Entry.objects.filter(household=h1).count() == 3
    # The next quarter is a new period.
    assert _record(world, h1, scheme.clean, occurred_on=datetime.date(2026, 4, 2)).period == "2026-Q2"


def test_a_corrected_entry_no_longer_counts_towards_the_cap(world, scheme):
    """Found by the ledger-invariant review: an entry and its correction used to count as two hits."""
    h1 = world.a.households[0]
    entries = [_record(world, h1, scheme.clean) for _ in range(3)]
    _approve(world, *entries)
    services.correct_entry(membership=member(world.a.admin), entry=entries[0], reason="记错了户")
    again = _record(world, h1, scheme.clean)  # 3 recorded, 1 corrected away: room for one more
    assert again.period == "2026-Q1"
    with pytest.raises(DomainError, match="already recorded 3 times"):
        _record(world, h1, scheme.clean)


def test_cap_by_points_is_refused(world, scheme):
    h1 = world.a.households[0]
    _record(world, h1, scheme.good)
    with pytest.raises(DomainError, match="3"):
        _record(world, h1, scheme.good)  # 2 + 2 > 3


def test_threshold_raises_one_alert_at_the_nth_hit(world, scheme):
    h1 = world.a.households[0]
    _record(world, h1, scheme.mess)
    assert not ThresholdAlert.objects.exists()
    second = _record(world, h1, scheme.mess, occurred_on=datetime.date(2026, 3, 12))
    alert = ThresholdAlert.objects.get()
    assert (alert.hits, alert.period, alert.entry_id) == (2, "2026-Q1", second.pk)
    _record(world, h1, scheme.mess, occurred_on=datetime.date(2026, 3, 13))
    assert ThresholdAlert.objects.count() == 1


def test_same_idempotency_key_records_once(world, scheme):
    h1 = world.a.households[0]
    first = _record(world, h1, scheme.clean, idempotency_key="form-7f3a")
    second = _record(world, h1, scheme.clean, idempotency_key="form-7f3a")
    assert first.pk == second.pk
    assert Entry.objects.filter(household=h1).count() == 1


def test_entry_keeps_the_rule_as_it_was(world, scheme):
    h1 = world.a.households[0]
    entry = _record(world, h1, scheme.clean)
    services.update_item(
        membership=member(world.a.admin), item=scheme.clean, name="义务劳动（新）", points=D("3")
    )
    entry.refresh_from_db()
    assert (entry.item_name, entry.item_points, entry.points) == ("参加义务劳动", D("1.50"), D("1.50"))


def test_bad_input_is_refused_and_writes_nothing(world, scheme):
    h1 = world.a.households[0]
    other = services.create_scheme(
        membership=member(world.b.admin), township=world.b.township, name="B", year=2026
    )
    cat_b = services.add_category(
        membership=member(world.b.admin), scheme=other, name="x", base_score=D("10"), cadence="annual"
    )
    item_b = services.add_item(
        membership=member(world.b.admin), category=cat_b, name="y", kind="bonus", points=D("1")
    )
    services.activate_scheme(membership=member(world.b.admin), scheme=other)
    with pytest.raises(DomainError, match="another township"):
        _record(world, h1, item_b)
    with pytest.raises(DomainError, match="evidence"):
        _record(world, h1, scheme.hero)
    with pytest.raises(DomainError, match="photo"):
        _record(world, h1, scheme.hero, evidence=[SimpleUploadedFile("x.png", b"MZ\x90\x00 not an image")])
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 1))
    with pytest.raises(DomainError, match="MB"):
        _record(world, h1, scheme.hero, evidence=[big])
    with pytest.raises(DomainError, match="two decimals"):
        services.add_item(
            membership=member(world.a.admin), category=scheme.env, name="z", kind="bonus", points=D("0.125")
        )
    h1.participation, h1.participation_reason = Participation.OPTED_OUT, "外出务工"
    h1.save()
    with pytest.raises(DomainError, match="does not take part"):
        _record(world, h1, scheme.clean)
    draft = services.create_scheme(
        membership=member(world.a.admin), township=world.a.township, name="草稿", year=2026
    )
    cat = services.add_category(
        membership=member(world.a.admin), scheme=draft, name="x", base_score=D("10"), cadence="annual"
    )
    item = services.add_item(
        membership=member(world.a.admin), category=cat, name="y", kind="bonus", points=D("1")
    )
    with pytest.raises(DomainError, match="not active"):
        _record(world, world.a.households[1], item)
    assert not Entry.objects.exists()


def test_approved_entries_cannot_be_updated_or_deleted_through_the_orm(world, scheme):
    entry = _record(world, world.a.households[0], scheme.clean)
    _approve(world, entry)
    entry.refresh_from_db()
    entry.points = D("100")
    with pytest.raises(LedgerViolation):
        entry.save()
    with pytest.raises(LedgerViolation):
        entry.delete()
    with pytest.raises(LedgerViolation):
        Entry.objects.filter(pk=entry.pk).update(points=D("100"))
    with pytest.raises(LedgerViolation):
        Entry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.points == D("1.50")


@pytest.mark.postgres
def test_postgres_trigger_refuses_raw_sql_on_approved_entries(world, scheme):
    entry = _record(world, world.a.households[0], scheme.clean)
    _approve(world, entry)
    for sql in (
        "UPDATE scoring_entry SET points = 100 WHERE id = %s",
        "DELETE FROM scoring_entry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="never"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.points == D("1.50") and entry.state == EntryState.APPROVED


def test_correction_reverses_and_both_stay_visible(world, scheme):
    h1 = world.a.households[0]
    entry = _record(world, h1, scheme.clean)
    _approve(world, entry)
    correction = services.correct_entry(membership=member(world.a.admin), entry=entry, reason="记错了户")
    assert correction.points == D("-1.50") and correction.source == EntrySource.CORRECTION
    assert annual_totals(scheme.scheme)[h1.pk] == D("60.00")
    book = passbook(h1, scheme.scheme)
    assert [row["running_total"] for row in book["rows"]] == [D("61.50"), D("60.00")]
    with pytest.raises(DomainError, match="already been corrected"):
        services.correct_entry(membership=member(world.a.admin), entry=entry, reason="again")


def test_withdrawn_proposal_stays_visible_and_does_not_count(world, scheme):
    h1 = world.a.households[0]
    entry = _record(world, h1, scheme.clean)
    services.withdraw_entry(membership=member(world.a.admin), entry=entry, reason="重复录入")
    assert Entry.objects.get(pk=entry.pk).state == EntryState.WITHDRAWN
    approve_through_notice(
        [entry], membership=member(world.a.admin)
    )  # approving a withdrawn one does nothing
    assert annual_totals(scheme.scheme)[h1.pk] == D("60.00")


def test_bulk_recording_is_all_or_nothing(world, scheme):
    h1, h2 = world.a.households
    h2.participation, h2.participation_reason = Participation.NOT_ELIGIBLE, "户籍不在本村"
    h2.save()
    with pytest.raises(DomainError):
        services.record_bulk(
            membership=member(world.a.admin), households=[h1, h2], item=scheme.clean, occurred_on=DAY
        )
    assert not Entry.objects.exists()
    h2.participation = Participation.TAKING_PART
    h2.save()
    entries = services.record_bulk(
        membership=member(world.a.admin),
        households=[h1, h2],
        item=scheme.clean,
        occurred_on=DAY,
        idempotency_key="cleanup",
    )
    again = services.record_bulk(
        membership=member(world.a.admin),
        households=[h1, h2],
        item=scheme.clean,
        occurred_on=DAY,
        idempotency_key="cleanup",
    )
    assert [e.pk for e in entries] == [e.pk for e in again]
    assert Entry.objects.count() == 2


def test_transfer_counts_only_when_both_villages_approve(world, scheme):
    scheme.scheme.allows_transfers = True
    scheme.scheme.save()
    h1, h2 = world.a.households
    transfer = services.transfer_points(
        membership=member(world.a.admin),
        scheme=scheme.scheme,
        from_household=h1,
        to_household=h2,
        category=scheme.law,
        points=D("2.5"),
        reason="家庭内部转让",
    )
    assert annual_totals(scheme.scheme) == {h1.pk: D("60.00"), h2.pk: D("60.00")}
    services.approve_transfer_side(membership=member(world.a.clerk), transfer=transfer, side="from")
    assert annual_totals(scheme.scheme)[h2.pk] == D("60.00")
    # One village's consent is not enough: the transfer's entries cannot even go on a notice yet.
    with pytest.raises(DomainError) as refused:
        approve_through_notice([transfer.debit, transfer.credit])
    assert refused.value.code == "nothing_to_post"
    services.approve_transfer_side(membership=member(world.a.admin), transfer=transfer, side="to")
    transfer.refresh_from_db()
    assert transfer.state == TransferState.APPROVED
    # Both villages agree, but nothing counts before the villages' public notices.
    assert set(
        Entry.objects.filter(pk__in=[transfer.debit_id, transfer.credit_id]).values_list("state", flat=True)
    ) == {EntryState.PROPOSED}
    assert annual_totals(scheme.scheme) == {h1.pk: D("60.00"), h2.pk: D("60.00")}
    assert approve_through_notice([transfer.debit, transfer.credit]) == 2
    # 遵纪守法 (base 20, ceiling 25): h1 gives 2.5 → 40 + 17.5 = 57.5; h2 receives them → 40 + 22.5 = 62.5.
    assert annual_totals(scheme.scheme) == {h1.pk: D("57.50"), h2.pk: D("62.50")}


def test_scores_query_needs_the_township_scope(world, scheme):
    with no_township_scope(), pytest.raises(Exception, match="scope"):
        annual_totals(scheme.scheme)
    with no_township_scope(), township_scope(world.b.township):
        assert annual_totals(scheme.scheme) == {}


def test_job_totals_agree_with_the_page_scores(world, scheme):
    """The statement (annual_totals, household_scores) and the ORM oracle agree, and with the hand-computed sums."""
    h1, h2 = world.a.households
    extra = Household.objects.create(
        township=world.a.township, village=h1.village, area=h1.area, number="A-003"
    )
    services.assign_role(membership=member(world.a.admin), household=h2, role=scheme.officer)
    hero = _record(world, h1, scheme.hero, evidence=[SimpleUploadedFile("p.png", PNG)])
    hero2 = _record(
        world,
        h1,
        scheme.hero,
        occurred_on=datetime.date(2026, 2, 1),
        evidence=[SimpleUploadedFile("q.png", PNG)],
    )
    _approve(world, hero, hero2, _record(world, h2, scheme.mess), _record(world, h2, scheme.clean))
    _record(world, h1, scheme.clean)  # proposed: not counted
    page = dict(
        with_scores(Household.objects.filter(township=world.a.township), scheme.scheme).values_list(
            "pk", "total"
        )
    )
    # h1: 环境整治 40, 遵纪守法 min(20 + 8, 25) = 25 → 65; h2 (officer, base 70): 环境整治 max(40 − 40 + 1.5, 0) = 1.5,
    # 遵纪守法 20, + 10 → 31.5; the new household stands at its base 60.
    assert page == {h1.pk: D("65.00"), h2.pk: D("31.50"), extra.pk: D("60.00")}
    assert annual_totals(scheme.scheme) == page
    households = Household.objects.filter(township=world.a.township)
    assert {pk: s.total for pk, s in household_scores(scheme.scheme, households).items()} == page


def test_a_false_declaration_costs_double_its_value(world, scheme):
    h1 = world.a.households[0]
    scheme.good.by_declaration = True
    scheme.good.save()
    declared = _record(world, h1, scheme.good, source=EntrySource.DECLARATION)
    _approve(world, declared)
    penalty = services.penalise_false_declaration(
        membership=member(world.a.admin), entry=declared, reason="经核实无此事"
    )
    assert penalty.points == D("-4.00") and penalty.state == EntryState.PROPOSED
    assert annual_totals(scheme.scheme)[h1.pk] == D(
        "60.00"
    )  # reversed at once; the penalty waits for approval
    _approve(world, penalty)
    # The +2 declaration is reversed (−2) and costs double (−4): 遵纪守法 20 + 2 − 2 − 4 = 16 → total 56.
    assert annual_totals(scheme.scheme)[h1.pk] == D("56.00")
    with pytest.raises(DomainError, match="already"):
        services.penalise_false_declaration(membership=member(world.a.admin), entry=declared, reason="again")


def test_item_snapshot_prints_without_scientific_notation(world, scheme):
    assert str(scheme.mess) == "乱堆乱放 −20"
    assert str(scheme.clean) == "参加义务劳动 +1.5"


def test_the_admin_cannot_change_or_delete_ledger_entries(world, scheme, client):
    from django.contrib.auth import get_user_model

    entry = _record(world, world.a.households[0], scheme.clean)
    _approve(world, entry)
    root = get_user_model().objects.create_superuser("root", password="x-very-long-password-1")
    client.force_login(root)
    assert client.get(f"/admin/scoring/entry/{entry.pk}/change/").status_code == 200  # read-only view
    assert client.post(f"/admin/scoring/entry/{entry.pk}/change/", {"points": "100"}).status_code == 403
    assert client.post(f"/admin/scoring/entry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.points == D("1.50") and entry.state == EntryState.APPROVED


def test_next_years_scheme_copies_the_catalogue(world, scheme):
    copy = services.copy_scheme(membership=member(world.a.admin), scheme=scheme.scheme, year=2027)
    assert (copy.year, copy.state, copy.copied_from_id) == (2027, "draft", scheme.scheme.pk)
    assert sorted(copy.categories.values_list("name", flat=True)) == ["环境整治", "遵纪守法"]
    assert copy.categories.get(name="环境整治").items.count() == 2
