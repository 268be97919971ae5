"""The database connection dropped in the middle of an approval: the approval is complete or absent, never half.

A second connection holds a lock the approving transaction meets halfway (after some of its rows are written);
once the approval waits on it, its backend is terminated with pg_terminate_backend, as when PostgreSQL restarts
or the network drops. Afterwards, on a fresh connection, nothing of the approval is there, and approving again
completes it.
"""

import datetime
import threading
from decimal import Decimal

import psycopg
import pytest
import time_machine
from django.db import connection
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone

from core.tenancy import township_scope
from review import services as review
from review.models import RoundKind, RoundMove, RoundState
from scoring import services as scoring
from scoring.models import Entry, EntryState
from scoring.selectors import annual_totals
from tests.conftest import wait_for
from tests.factories import HouseholdFactory
from tests.notices import run_out
from tests.review.conftest import Q1_DAY
from tests.review.test_rounds import _move, _quarterly, _through_panel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def blocker():
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )


def waiting_backend(query_start: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND wait_event_type = 'Lock' AND query ILIKE %s",
            [query_start + "%"],
        )
        return [pid for (pid,) in cursor.fetchall()]


def killed_halfway(township, approve, *, hold: str, params=(), waits_with: str) -> list:
    """Run `approve` in a thread of its own (its own connection) while `hold` is held elsewhere; when the approval
    waits on that lock, terminate its backend. Returns what the approval ended with."""
    outcome = []

    def run():
        try:
            with township_scope(township):  # a thread starts with no scope of its own
                approve()
            outcome.append("completed")
        except Exception as exc:
            outcome.append(exc)
        finally:
            connection.close()

    holder = blocker()
    thread = threading.Thread(target=run)
    try:
        holder.execute(hold, params)
        thread.start()
        [pid] = wait_for(lambda: waiting_backend(waits_with), timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        holder.rollback()
        holder.close()
        thread.join(timeout=30)
    return outcome


def submitted_round(rw):
    """A quarterly round with two proposals (h1 +2, h2 −2), its notice ended, submitted to the township."""
    round_ = _quarterly(rw)
    _through_panel(rw, round_)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=5), tick=True):
        _move(rw, round_, "open_notice")
    _move(rw, round_, "submit")
    return round_


def assert_round_untouched(rw, round_):
    round_.refresh_from_db()
    assert round_.state == RoundState.SUBMITTED and round_.approved_at is None
    proposals = Entry.objects.filter(round_link__round=round_)
    assert proposals.count() == 2 and not proposals.exclude(state=EntryState.PROPOSED).exists()
    assert not RoundMove.objects.filter(round=round_, move="approve").exists()
    totals = annual_totals(rw.scheme)
    assert (totals[rw.h1.pk], totals[rw.h2.pk]) == (D("60.00"), D("60.00"))  # base 40 + 20, nothing counted


def assert_round_approved_once(rw, round_):
    round_.refresh_from_db()
    assert round_.state == RoundState.APPROVED and round_.approved_at is not None
    proposals = Entry.objects.filter(round_link__round=round_)
    assert proposals.filter(state=EntryState.APPROVED).count() == 2 == proposals.count()
    assert RoundMove.objects.filter(round=round_, move="approve").count() == 1
    # h1: 环境整治 40 + 2 = 42, 党的建设 20 → 62; h2: 40 − 2 = 38, + 20 → 58.
    totals = annual_totals(rw.scheme)
    assert (totals[rw.h1.pk], totals[rw.h2.pk]) == (D("62.00"), D("58.00"))


@pytest.mark.parametrize(
    ("hold", "waits_with"),
    [
        # Halfway through posting the proposals: the first is updated, the second is locked elsewhere.
        ("SELECT id FROM scoring_entry WHERE id = %s FOR UPDATE", 'UPDATE "scoring_entry"'),
        # At the very end: entries posted and the round marked approved, only the move's record left to write.
        ("LOCK TABLE review_roundmove IN SHARE MODE", 'INSERT INTO "review_roundmove"'),
    ],
    ids=["while-posting-entries", "before-recording-the-move"],
)
def test_a_dropped_connection_during_round_approval_leaves_it_unapproved_and_it_can_be_approved_again(
    rw, hold, waits_with
):
    round_ = submitted_round(rw)
    last = Entry.objects.filter(round_link__round=round_).order_by("-id").first()
    params = [last.pk] if "%s" in hold else []
    outcome = killed_halfway(
        rw.township,
        lambda: _move(rw, round_, "approve", user=rw.admin, comment="同意"),
        hold=hold,
        params=params,
        waits_with=waits_with,
    )
    assert len(outcome) == 1 and isinstance(outcome[0], OperationalError | InterfaceError), outcome
    assert_round_untouched(rw, round_)

    _move(rw, round_, "approve", user=rw.admin, comment="同意")  # the office clicks again: all of it, once
    assert_round_approved_once(rw, round_)


def test_a_dropped_connection_during_bulk_approval_approves_none_of_the_entries(rw):
    """Twenty bulk-recorded entries on one notice batch: the township's approval of the batch is cut off halfway
    through posting them. None counts, the batch is still waiting for the township, and approving again posts all
    twenty, once."""
    households = [HouseholdFactory(area=rw.area1, number=f"A-3{n:02d}") for n in range(20)]
    entries = scoring.record_bulk(
        membership=rw.membership(rw.admin), households=households, item=rw.clean, occurred_on=Q1_DAY
    )
    ids = sorted(e.pk for e in entries)
    office = rw.membership(rw.admin)
    batch = review.post_notice_batch(membership=office, village=rw.village, scheme=rw.scheme, only=ids)
    assert batch.kind == RoundKind.BATCH and batch.state == RoundState.ON_NOTICE
    assert sorted(batch.round_entries.values_list("entry_id", flat=True)) == ids
    run_out(batch)
    _move(rw, batch, "submit", user=rw.admin)
    middle = ids[10]  # ten are updated before the approval meets this one
    outcome = killed_halfway(
        rw.township,
        lambda: _move(rw, batch, "approve", user=rw.admin, comment="审核通过"),
        hold="SELECT id FROM scoring_entry WHERE id = %s FOR UPDATE",
        params=[middle],
        waits_with='UPDATE "scoring_entry"',
    )
    assert len(outcome) == 1 and isinstance(outcome[0], OperationalError | InterfaceError), outcome
    batch.refresh_from_db()
    assert batch.state == RoundState.SUBMITTED and batch.approved_at is None
    assert not RoundMove.objects.filter(round=batch, move="approve").exists()
    assert Entry.objects.filter(pk__in=ids, state=EntryState.PROPOSED).count() == 20
    assert not Entry.objects.filter(pk__in=ids, approved_at__isnull=False).exists()
    totals = annual_totals(rw.scheme)
    assert {totals[h.pk] for h in households} == {D("60.00")}  # 40 + 20, nothing counted

    _move(rw, batch, "approve", user=rw.admin, comment="审核通过")  # the office clicks again: all of it, once
    batch.refresh_from_db()
    assert batch.state == RoundState.APPROVED and batch.approved_at is not None
    assert RoundMove.objects.filter(round=batch, move="approve").count() == 1
    assert Entry.objects.filter(pk__in=ids, state=EntryState.APPROVED).count() == 20
    totals = annual_totals(rw.scheme)
    assert {totals[h.pk] for h in households} == {D("62.00")}  # 40 + 2 (庭院整洁) + 20
