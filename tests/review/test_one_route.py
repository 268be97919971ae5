"""Issue 12: one route to the ledger. An entry reaches "approved" only with its round or notice batch, after the
notice ended; the database refuses any other way; a quarter counts at its notice's end where the scheme says so;
corrections count at once and are listed on the village's next notice."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from rest_framework.test import APIClient

from core.errors import DomainError
from review import selectors, services
from review.models import ObjectionState, ReviewRound, RoundEntry, RoundKind, RoundMove, RoundState
from scoring import services as scoring
from scoring.models import Entry, EntryState
from scoring.selectors import annual_totals
from tests.notices import approve_through_notice, run_out
from tests.review.conftest import Q1_DAY
from tests.review.test_rounds import _move, _quarterly, _through_panel

pytestmark = pytest.mark.django_db
D = Decimal
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def checksum():
    """Every row that the route could change: entries, rounds, links and the trail."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT md5(string_agg(e::text, ',' ORDER BY e.id)) FROM scoring_entry e),"
            " (SELECT md5(string_agg(r::text, ',' ORDER BY r.id)) FROM review_reviewround r),"
            " (SELECT md5(string_agg(l::text, ',' ORDER BY l.id)) FROM review_roundentry l),"
            " (SELECT count(*) FROM review_roundmove)"
        )
        return cursor.fetchone()


def ours(rw):
    """The annual totals of the round's village's two households (h1, h2)."""
    totals = annual_totals(rw.scheme)
    return totals[rw.h1.pk], totals[rw.h2.pk]


def _direct(rw, item=None, household=None, day=Q1_DAY):
    return scoring.record_entry(
        membership=rw.membership(rw.clerk),
        household=household or rw.h1,
        item=item or rw.clean,
        occurred_on=day,
    )


def test_a_clerks_direct_entry_cannot_be_approved_without_a_notice(rw):
    entry = _direct(rw)
    before = checksum()

    with pytest.raises(DomainError) as refused:
        scoring.approve_entries(membership=rw.membership(rw.admin), entries=[entry])

    assert refused.value.code == "notice_required"
    assert "notice" in str(refused.value.message)
    assert checksum() == before


def test_the_database_refuses_raw_sql_and_inserts_that_skip_the_notice(rw):
    entry = _direct(rw)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scoring_entry SET state = 'approved', approved_by_id = %s, approved_at = now() WHERE id = %s",
            [rw.admin.pk, entry.pk],
        )
    copy = Entry.objects.get(pk=entry.pk)
    copy.pk, copy.state, copy.approved_by, copy.approved_at = (
        None,
        EntryState.APPROVED,
        rw.admin,
        timezone.now(),
    )
    copy.idempotency_key = "copy"
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    assert Entry.objects.get(pk=entry.pk).state == EntryState.PROPOSED


def test_a_rounds_proposals_are_refused_while_its_notice_runs(rw):
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(datetime.datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        _move(rw, round_, "open_notice")
        proposals = list(Entry.objects.filter(round_link__round=round_))
        before = checksum()
        with pytest.raises(DomainError) as refused:
            scoring.approve_entries(membership=rw.membership(rw.admin), entries=proposals)
        assert refused.value.code == "notice_required"
        with pytest.raises(DomainError) as early:
            _move(rw, round_, "submit")
        assert early.value.code == "notice_running"
        assert checksum() == before


def test_a_notice_batch_runs_its_days_then_the_township_approves_it(rw):
    first, second = _direct(rw), _direct(rw, rw.mess, rw.h2)
    clerk, admin = rw.membership(rw.clerk), rw.membership(rw.admin)
    with time_machine.travel(datetime.datetime(2026, 4, 2, 23, 50, tzinfo=SHANGHAI), tick=False):
        batch = services.post_notice_batch(membership=clerk, village=rw.village, scheme=rw.scheme)
        assert (batch.kind, batch.period, batch.state, batch.notice_number) == (
            RoundKind.BATCH,
            "2026-B01",
            RoundState.ON_NOTICE,
            1,
        )
        assert set(Entry.objects.filter(round_link__round=batch).values_list("pk", flat=True)) == {
            first.pk,
            second.pk,
        }
        with pytest.raises(DomainError) as nothing:
            services.post_notice_batch(membership=clerk, village=rw.village, scheme=rw.scheme)
        assert nothing.value.code == "nothing_to_post"
    # Posted late on 2 April: 3, 4 and 5 April are its days; still running at 23:59 on the 5th.
    with time_machine.travel(datetime.datetime(2026, 4, 5, 23, 59, tzinfo=SHANGHAI), tick=False):
        assert selectors.notice_is_running(batch)
        with pytest.raises(DomainError):
            _move(rw, batch, "submit")
    with time_machine.travel(datetime.datetime(2026, 4, 6, 0, 0, 1, tzinfo=SHANGHAI), tick=False):
        with pytest.raises(DomainError) as not_without_township:
            _move(rw, batch, "finish")
        assert not_without_township.value.code == "township_approval_needed"
        _move(rw, batch, "submit")
        with pytest.raises(DomainError) as no_return:
            services.move_round(membership=admin, round=batch, move="return", comment="不同意")
        assert no_return.value.code == "illegal_move"
        services.move_round(membership=admin, round=batch, move="approve")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.approved_by, second.state) == (
        EntryState.APPROVED,
        rw.admin,
        EntryState.APPROVED,
    )
    # 环境整治 40 + 2 + 党的建设 20 = 62 for h1; 40 − 2 + 20 = 58 for h2.
    assert ours(rw) == (D("62"), D("58"))
    assert list(RoundMove.objects.filter(round=batch).values_list("move", flat=True)) == [
        "post_batch",
        "open_notice",
        "submit",
        "approve",
    ]


def test_a_quarter_counts_at_its_notices_end_when_the_scheme_says_so(rw):
    rw.scheme.township_approves_quarterly = False
    rw.scheme.save(update_fields=["township_approves_quarterly"])
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(datetime.datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        _move(rw, round_, "open_notice")
    assert "finish" in services.possible_moves(round_)
    with time_machine.travel(datetime.datetime(2026, 4, 6, 0, 0, 1, tzinfo=SHANGHAI), tick=False):
        _move(rw, round_, "finish")
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED
    assert not Entry.objects.filter(round_link__round=round_, state=EntryState.PROPOSED).exists()
    # h1: 40 + 2 + 20 = 62; h2: 40 − 2 + 20 = 58 (the quarterly findings of _through_panel).
    assert ours(rw) == (D("62"), D("58"))


def test_an_upheld_objection_sends_the_quarter_to_the_township(rw):
    rw.scheme.township_approves_quarterly = False
    rw.scheme.save(update_fields=["township_approves_quarterly"])
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(datetime.datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        _move(rw, round_, "open_notice")
        round_.refresh_from_db()
        objection = services.file_public_objection(
            round=round_, household=rw.h2, objector_name="周二", reason="没有乱堆乱放"
        )
        services.resolve_objection(
            membership=rw.membership(rw.clerk),
            objection=objection,
            upheld=True,
            outcome="核实属实，但分数不变",
        )
    assert objection.__class__.objects.get(pk=objection.pk).state == ObjectionState.UPHELD
    with time_machine.travel(datetime.datetime(2026, 4, 6, 0, 0, 1, tzinfo=SHANGHAI), tick=False):
        before = checksum()
        with pytest.raises(DomainError) as refused:
            _move(rw, round_, "finish")
        assert refused.value.code == "objection_upheld"
        assert checksum() == before
        _move(rw, round_, "submit")
    assert ReviewRound.objects.get(pk=round_.pk).state == RoundState.SUBMITTED


def test_the_annual_review_needs_the_township_whatever_the_quarters_do(rw):
    rw.scheme.township_approves_quarterly = False
    rw.scheme.save(update_fields=["township_approves_quarterly"])
    annual = services.create_round(
        membership=rw.membership(rw.clerk),
        village=rw.village,
        scheme=rw.scheme,
        kind=RoundKind.ANNUAL,
        period="2026",
    )
    assert selectors.township_approval_needed(annual)
    quarterly = _quarterly(rw)
    assert not selectors.township_approval_needed(quarterly)


def test_a_correction_counts_at_once_and_is_listed_on_the_villages_next_notice(rw):
    entry = _direct(rw)
    approve_through_notice([entry], membership=rw.membership(rw.admin))
    correction = scoring.correct_entry(
        membership=rw.membership(rw.admin), entry=entry, reason="复核：并未清扫"
    )
    assert correction.state == EntryState.APPROVED
    assert annual_totals(rw.scheme)[rw.h1.pk] == D("60")
    _direct(rw, rw.mess, rw.h2)
    batch = services.post_notice_batch(
        membership=rw.membership(rw.clerk), village=rw.village, scheme=rw.scheme
    )
    assert RoundEntry.objects.filter(round=batch, entry=correction).exists()
    run_out(batch)
    _move(rw, batch, "submit")
    services.move_round(membership=rw.membership(rw.admin), round=batch, move="approve")
    # The correction was counted once: h1 back to 60; h2 40 − 2 + 20 = 58.
    assert ours(rw) == (D("60"), D("58"))


def test_a_transfer_waits_for_both_villages_then_goes_on_their_batches(rw, world):
    rw.scheme.allows_transfers = True
    rw.scheme.save(update_fields=["allows_transfers"])
    other = world.a.households[1]  # the township's second village
    transfer = scoring.transfer_points(
        membership=rw.membership(rw.admin),
        scheme=rw.scheme,
        from_household=rw.h1,
        to_household=other,
        category=rw.clean.category,
        points=D("1"),
        reason="转让",
    )
    assert not selectors.direct_proposals(rw.village, rw.scheme).exists()
    scoring.approve_transfer_side(membership=rw.membership(rw.admin), transfer=transfer, side="from")
    scoring.approve_transfer_side(membership=rw.membership(rw.admin), transfer=transfer, side="to")
    assert Entry.objects.get(pk=transfer.debit_id).state == EntryState.PROPOSED
    assert list(selectors.direct_proposals(rw.village, rw.scheme)) == [transfer.debit]
    assert approve_through_notice([transfer.debit, transfer.credit], membership=rw.membership(rw.admin)) == 2


def test_only_the_township_office_corrects_and_a_refusal_changes_nothing(rw):
    entry = _direct(rw)
    approve_through_notice([entry], membership=rw.membership(rw.admin))
    before = checksum()
    for user in (rw.clerk, rw.supervisor, rw.members1[0].user):
        with pytest.raises(PermissionDenied):
            scoring.correct_entry(membership=rw.membership(user), entry=entry, reason="复核")
    assert checksum() == before


def test_a_quarter_finishes_through_the_api_when_its_notice_ends(rw):
    rw.scheme.township_approves_quarterly = False
    rw.scheme.save(update_fields=["township_approves_quarterly"])
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    clerk = APIClient()
    clerk.force_authenticate(rw.clerk)
    move = f"/api/v1/t/{rw.township.slug}/rounds/{round_.pk}/move/"
    with time_machine.travel(datetime.datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        opened = clerk.post(move, {"move": "open_notice"}, format="json")
        assert opened.status_code == 200, opened.content
        assert "finish" in opened.json()["possible_moves"]
        assert "submit" in opened.json()["possible_moves"]
        early = clerk.post(move, {"move": "finish"}, format="json")
        assert (early.status_code, early.json()["code"]) == (400, "notice_running")
    with time_machine.travel(datetime.datetime(2026, 4, 6, 0, 0, 1, tzinfo=SHANGHAI), tick=False):
        done = clerk.post(move, {"move": "finish"}, format="json")
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["proposed"], done.json()["approved"]) == ("approved", 0, 2)
    assert ours(rw) == (D("62"), D("58"))


def test_the_clerk_posts_a_batch_from_the_page_and_the_worklist_says_what_waits(rw, world):
    from django.test import Client
    from django.urls import reverse

    _direct(rw)
    _direct(rw, rw.mess, rw.h2)
    clerk = Client()
    clerk.force_login(rw.clerk)
    work = clerk.get(reverse("review:worklist", kwargs={"township_slug": rw.township.slug}))
    assert "等待公示的直接录入记录" in work.content.decode()
    page_url = reverse("review:batch-post", kwargs={"township_slug": rw.township.slug})
    page = clerk.get(page_url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "2 条直接录入的记录等待公示" in page.content.decode()

    # A supervisor reads but may not post; nothing changes.
    supervisor = Client()
    supervisor.force_login(rw.supervisor)
    before = checksum()
    body = {"scheme": rw.scheme.pk, "village": rw.village.pk, "notice_days": 3}
    assert supervisor.post(page_url, body).status_code == 403
    # A notice shorter than three days is a form error; nothing changes.
    assert clerk.post(page_url, {**body, "notice_days": 2}).status_code == 200
    assert checksum() == before

    response = clerk.post(page_url, body)
    batch = ReviewRound.objects.get(kind=RoundKind.BATCH)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/rounds/{batch.pk}/")
    detail = clerk.get(response["Location"]).content.decode()
    assert "公示批次" in detail and "2026年第1批" in detail
    # The public page lists the batch's entries and the households concerned only.
    public = Client().get(reverse("publicity:public-notice", kwargs={"token": batch.notice_token}))
    html = public.content.decode()
    assert public.status_code == 200
    assert "本次公示的积分记录" in html and "庭院整洁" in html and "乱堆乱放" in html
    assert world.a.households[1].number not in html  # the other village's household is not on it


def test_a_village_of_another_township_cannot_be_posted(rw, world):
    from django.test import Client
    from django.urls import reverse

    b_entry_village = world.b.villages[0]
    clerk = Client()
    clerk.force_login(rw.clerk)
    before = checksum()
    page_url = reverse("review:batch-post", kwargs={"township_slug": rw.township.slug})
    response = clerk.post(page_url, {"scheme": rw.scheme.pk, "village": b_entry_village.pk, "notice_days": 3})
    assert response.status_code == 404
    api = APIClient()
    api.force_authenticate(rw.clerk)
    answer = api.post(
        f"/api/v1/t/{rw.township.slug}/rounds/batch/",
        {"village": b_entry_village.pk, "scheme": rw.scheme.pk},
        format="json",
    )
    assert (answer.status_code, answer.json()["field"]) == (400, "village")
    assert checksum() == before


def test_the_sweeper_makes_a_quarter_count_at_its_notices_end_and_leaves_the_rest(rw):
    """Seed 1: nobody has to press a button for a quarter to count when its notice ends quietly; a round with an
    open objection, or one the township approves, waits for people."""
    rw.scheme.township_approves_quarterly = False
    rw.scheme.save(update_fields=["township_approves_quarterly"])
    quiet = _quarterly(rw)
    _through_panel(rw, quiet)
    batch_entry = _direct(rw, rw.clean, rw.h2, day=datetime.date(2026, 3, 20))
    with time_machine.travel(datetime.datetime(2026, 4, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        _move(rw, quiet, "open_notice")
        batch = services.post_notice_batch(
            membership=rw.membership(rw.clerk), village=rw.village, scheme=rw.scheme
        )
    with time_machine.travel(datetime.datetime(2026, 4, 5, 23, 0, tzinfo=SHANGHAI), tick=False):
        assert services.close_ended_notices() == 0  # not yet
    with time_machine.travel(datetime.datetime(2026, 4, 6, 0, 5, tzinfo=SHANGHAI), tick=False):
        assert services.close_ended_notices() == 2
        assert services.close_ended_notices() == 0  # twice changes nothing
    quiet.refresh_from_db()
    batch.refresh_from_db()
    assert (quiet.state, batch.state) == (
        RoundState.APPROVED,
        RoundState.ON_NOTICE,
    )  # a batch waits for the township
    finish = quiet.moves.get(move="finish")
    assert finish.actor == rw.clerk  # who opened the notice
    assert Entry.objects.get(pk=batch_entry.pk).state == EntryState.PROPOSED
    assert {e.approved_by for e in Entry.objects.filter(round_link__round=quiet)} == {rw.clerk}
    assert ours(rw) == (D("62"), D("58"))


def test_a_correction_that_does_not_reverse_an_approved_entry_exactly_is_refused_by_the_database(rw):
    """A correction counts at once only because it reverses one approved entry: one that adds points of its own,
    names a proposal, or another household's entry would be points without a notice."""
    entry = _direct(rw)
    approve_through_notice([entry], membership=rw.membership(rw.admin))
    proposal = _direct(rw, rw.mess)
    before = checksum()

    def insert(corrects, points, household):
        copy = Entry.objects.get(pk=entry.pk)
        copy.pk, copy.idempotency_key = None, ""
        copy.source, copy.reason, copy.corrects_id = "correction", "伪造更正", corrects.pk
        copy.points, copy.household = points, household
        copy.approved_by, copy.approved_at = rw.admin, timezone.now()
        with transaction.atomic():
            copy.save()

    for corrects, points, household in (
        (entry, D("5"), rw.h1),  # more than it reverses
        (proposal, D("2"), rw.h1),  # a proposal never counted
        (entry, D("-2"), rw.h2),  # another household
    ):
        with pytest.raises(IntegrityError):
            insert(corrects, points, household)
    assert checksum() == before
    insert(entry, -entry.points, rw.h1)  # the exact reversal is what correct_entry writes
    assert ours(rw) == (D("60"), D("60"))
