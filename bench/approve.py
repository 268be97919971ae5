"""approve-1000: the township approves a notice batch of 1,000 entries (review.services.move_round "approve": the
permission checks, the one-route trigger checking each entry against its approved batch, and the balances kept
with the ledger by the statement-level trigger), against bare INSERTs of the same 1,000 rows into the ledger (one
INSERT … SELECT, committed). Median of 5 batches after a warm-up, each on its own 1,000 proposals. Target: ratio
≤ 2.5 (issue 19)."""

import os
import statistics
import time

from bench.common import fresh_database, report, seed1_scheme, setup_django

ENTRIES = int(os.environ.get("BENCH_APPROVE_ENTRIES", "1000"))
BATCHES = 6  # the first warms up

COLUMNS = """township_id, account_id, household_id, village_id, scheme_id, category_id, item_id, category_name,
    item_name, item_kind, item_points, multiplier, points, year, period, occurred_on, source, reason, state,
    idempotency_key, recorded_by_id, recorded_at, decided_reason"""

PROPOSALS = f"""
INSERT INTO scoring_entry ({COLUMNS})
SELECT h.township_id, a.id, h.id, h.village_id, c.scheme_id, c.id, i.id, c.name, i.name, i.kind, i.points, 1,
    i.points, 2026, '2026', DATE '2026-03-01', 'clerk', '', 'proposed', '', %(user)s, now(), ''
FROM households_household h
JOIN scoring_account a ON a.household_id = h.id
CROSS JOIN generate_series(1, %(batches)s) AS k
JOIN scoring_item i ON i.id = %(item)s
JOIN scoring_category c ON c.id = i.category_id
WHERE h.township_id = %(township)s
"""  # noqa: S608


def main() -> None:
    setup_django()
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from core.tenancy import township_scope
    from households.models import Area, Household, Membership, Role, Township, Village
    from review import services as review
    from scoring import services
    from scoring.accounts import open_accounts
    from scoring.models import Balance, Entry, EntryState

    fresh_database()
    user = get_user_model().objects.create_user("bench")
    township = Township.objects.create(slug="bench", name="基准镇")
    with township_scope(township):
        office = Membership.objects.create(township=township, user=user, role=Role.TOWNSHIP_ADMIN)
        scheme, categories = seed1_scheme(membership=office, township=township)
        item = services.add_item(
            membership=office, category=categories[2], name="门前三包", kind="bonus", points=Decimal("2")
        )
        services.activate_scheme(membership=office, scheme=scheme)
        village = Village.objects.create(township=township, name="一村")
        area = Area.objects.create(township=township, village=village, name="一组")
        households = Household.objects.bulk_create(
            Household(township=township, village=village, area=area, number=f"A{i:05d}")
            for i in range(ENTRIES)
        )
        open_accounts(households)
        with connection.cursor() as cursor:
            params = {"user": user.pk, "batches": BATCHES, "item": item.pk, "township": township.pk}
            cursor.execute(PROPOSALS, params)
            cursor.execute("ANALYZE")
        ids = list(
            Entry.objects.filter(state=EntryState.PROPOSED).order_by("id").values_list("pk", flat=True)
        )
        batches = []
        for k in range(BATCHES):
            batch = review.post_notice_batch(
                membership=office, village=village, scheme=scheme, only=ids[k * ENTRIES : (k + 1) * ENTRIES]
            )
            _run_out(batch)
            review.move_round(membership=office, round=batch, move="submit")
            batches.append(batch)

        times = []
        for batch in batches:
            started = time.perf_counter()
            review.move_round(membership=office, round=batch, move="approve")
            times.append(time.perf_counter() - started)
        ours = statistics.median(times[1:])
        approved = Entry.objects.filter(state=EntryState.APPROVED).count()
        kept = sum(b.points for b in Balance.objects.filter(scheme=scheme))

    baseline_times = []
    with connection.cursor() as cursor:
        # The same rows as a batch's, as bare proposals (an approved row needs its approved batch: the one route).
        cursor.execute(f"CREATE TEMP TABLE bench_rows AS SELECT {COLUMNS} FROM scoring_entry LIMIT {ENTRIES}")  # noqa: S608
        cursor.execute("UPDATE bench_rows SET state = 'proposed'")
        for _ in range(BATCHES):
            started = time.perf_counter()
            with transaction.atomic():
                cursor.execute(f"INSERT INTO scoring_entry ({COLUMNS}) SELECT {COLUMNS} FROM bench_rows")  # noqa: S608
            baseline_times.append(time.perf_counter() - started)
    baseline = statistics.median(baseline_times[1:])
    print(
        f"approved {approved} entries in {BATCHES} batches; balances kept: {kept} points (expected {approved * 2})"
    )
    report("approve-1000", ours, baseline)


def _run_out(batch) -> None:
    """The batch's notice days have passed (the clock moved into the past, as tests/notices.py does)."""
    import datetime

    from django.utils import timezone

    from review.models import ReviewRound

    now = timezone.now()
    days = datetime.timedelta(days=batch.notice_days + 1)
    ReviewRound.objects.filter(pk=batch.pk).update(
        notice_opened_at=now - days - datetime.timedelta(minutes=1),
        notice_ends_at=now - datetime.timedelta(minutes=1),
    )
    batch.refresh_from_db()


BENCHMARKS = {"approve-1000": main}
