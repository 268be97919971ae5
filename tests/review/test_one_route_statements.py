"""The ledger's database rules hold for a statement of many rows (review 0011, scoring 0022): one row that breaks
the one route or names another household's account refuses the whole statement, naming that row; the rows that
keep the rules pass together."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from review.models import ReviewRound, RoundKind, RoundState
from scoring.models import Entry, EntryState
from scoring.selectors import annual_totals
from tests.notices import approve_through_notice
from tests.review.test_one_route import _direct, checksum

pytestmark = pytest.mark.django_db
D = Decimal
FIELDS = {f.column: f.attname for f in Entry._meta.concrete_fields if not f.primary_key}
COLUMNS = list(FIELDS)


def _approved_batch(rw):
    """h1's 庭院整洁 (+2) approved through its notice batch, and that batch (approved after its notice closed)."""
    entry = _direct(rw)
    approve_through_notice([entry], membership=rw.membership(rw.admin))
    batch = ReviewRound.objects.get(kind=RoundKind.BATCH, state=RoundState.APPROVED)
    return Entry.objects.get(pk=entry.pk), batch


def _new_ids(cursor, n):
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence('scoring_entry', 'id')) FROM generate_series(1, %s)", [n]
    )
    return [row[0] for row in cursor.fetchall()]


def _link(cursor, batch, ids):
    cursor.execute(
        "INSERT INTO review_roundentry (township_id, round_id, entry_id) SELECT %s, %s, unnest(%s::bigint[])",
        [batch.township_id, batch.pk, ids],
    )


def _insert_approved_copies(cursor, template, ids, changes=None):
    """One INSERT of approved copies of `template` under `ids`; `changes` maps an id to {column: value}."""
    rows = []
    for pk in ids:
        values = {column: getattr(template, attname) for column, attname in FIELDS.items()}
        values.update(state=EntryState.APPROVED, idempotency_key="", **(changes or {}).get(pk, {}))
        rows.append([pk, *(values[c] for c in COLUMNS)])
    placeholders = ", ".join(["(" + ", ".join(["%s"] * (len(COLUMNS) + 1)) + ")"] * len(rows))
    cursor.execute(
        f"INSERT INTO scoring_entry (id, {', '.join(COLUMNS)}) VALUES {placeholders}",
        [value for row in rows for value in row],
    )


def _refusal(run):
    """Run `run(cursor)` in its own transaction; return the database's refusal (constraint name, message)."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), connection.cursor() as cursor:
        run(cursor)
    cause = refused.value.__cause__
    return cause.diag.constraint_name, cause.diag.message_primary


def test_one_entry_off_the_notice_refuses_the_whole_insert_and_names_it(rw):
    template, batch = _approved_batch(rw)
    before = checksum()
    ids = []

    def insert(cursor):
        ids[:] = _new_ids(cursor, 3)
        _link(cursor, batch, [ids[0], ids[2]])  # the middle one was never on a notice
        _insert_approved_copies(cursor, template, ids)

    assert _refusal(insert) == (
        "entry_counts_after_notice",
        f"scoring_entry {ids[1]}: an entry counts only after the public notice of its round or notice batch",
    )
    assert checksum() == before
    with transaction.atomic(), connection.cursor() as cursor:
        linked = _new_ids(cursor, 2)
        _link(cursor, batch, linked)
        _insert_approved_copies(cursor, template, linked)
    # h1: 环境整治 40 + 2 × 3 (the first entry and its two copies) + 党的建设 20 = 66; h2: 40 + 20 = 60.
    assert annual_totals(rw.scheme)[rw.h1.pk] == D("66")
    assert annual_totals(rw.scheme)[rw.h2.pk] == D("60")


def test_one_proposal_off_the_notice_refuses_the_whole_approval_and_names_it(rw):
    _template, batch = _approved_batch(rw)
    proposals = [_direct(rw), _direct(rw, rw.mess, rw.h2), _direct(rw, household=rw.h2)]
    with connection.cursor() as cursor:
        _link(cursor, batch, [proposals[0].pk, proposals[2].pk])
    before = checksum()

    def approve(ids):
        def run(cursor):
            cursor.execute(
                "UPDATE scoring_entry SET state = 'approved', approved_by_id = %s, approved_at = now() "
                "WHERE id = ANY(%s)",
                [rw.admin.pk, ids],
            )

        return run

    assert _refusal(approve([p.pk for p in proposals])) == (
        "entry_counts_after_notice",
        f"scoring_entry {proposals[1].pk}: an entry counts only after the public notice of its round or notice batch",
    )
    assert checksum() == before
    with transaction.atomic(), connection.cursor() as cursor:
        approve([proposals[0].pk, proposals[2].pk])(cursor)
    # h1: 40 + 2 + 2 + 20 = 64; h2: 40 + 2 + 20 = 62 (its penalty, never posted, still proposed).
    assert annual_totals(rw.scheme)[rw.h1.pk] == D("64")
    assert annual_totals(rw.scheme)[rw.h2.pk] == D("62")
    assert Entry.objects.get(pk=proposals[1].pk).state == EntryState.PROPOSED


def test_a_correction_that_reverses_nothing_refuses_the_statement_it_is_in(rw):
    template, batch = _approved_batch(rw)
    before = checksum()
    ids = []

    def insert(cursor):
        ids[:] = _new_ids(cursor, 3)
        _link(cursor, batch, [ids[0], ids[2]])
        wrong = {"source": "correction", "corrects_id": template.pk, "reason": "伪造更正", "points": D("2")}
        _insert_approved_copies(cursor, template, ids, {ids[1]: wrong})  # adds, instead of reversing

    assert _refusal(insert) == (
        "entry_counts_after_notice",
        f"scoring_entry {ids[1]}: a correction reverses an approved entry of the same account exactly",
    )
    assert checksum() == before


def test_one_entry_naming_another_households_account_refuses_the_whole_statement(rw):
    template, batch = _approved_batch(rw)
    proposals = [_direct(rw), _direct(rw, household=rw.h2)]
    before = checksum()
    ids = []

    def insert(cursor):
        ids[:] = _new_ids(cursor, 3)
        _link(cursor, batch, ids)
        _insert_approved_copies(cursor, template, ids, {ids[2]: {"household_id": rw.h2.pk}})  # h1's account

    def move(cursor):
        cursor.execute(
            "UPDATE scoring_entry SET household_id = %s WHERE id = ANY(%s)",
            [rw.h2.pk, [p.pk for p in proposals]],  # the first is h1's, on h1's account
        )

    message = "its household must be its account's (none for a villager or a unit)"
    assert _refusal(insert) == ("entry_household_is_the_accounts", f"scoring_entry {ids[2]}: {message}")
    assert _refusal(move) == (
        "entry_household_is_the_accounts",
        f"scoring_entry {proposals[0].pk}: {message}",
    )
    assert checksum() == before
