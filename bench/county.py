"""A county of 20 townships × 20,000 households (20 villages of 10 areas each) and 30 approved entries per household
(12 M entries), built by SQL through each village's approved notice batch (the one route to the ledger), then
ANALYZEd. Three readings, each against its hand-written SQL floor in the same run (target: each ratio ≤ 2):

- `county-compare`: the county view's figures (`oversight.views.county_dashboard`: every township's dashboard in its
  own scope, compared) for a county viewer of all townships, against bench/dashboard.py's hand-written statements
  run for every township;
- `county-dashboard`: one township's dashboard (`oversight.selectors.township_dashboard`, whole township) against
  the same statements for that township;
- `county-stars`: one township's star rating (`rewards.services.stars.rate_stars`, a fresh run each time: the
  township's runs are deleted, untimed, before each) against bench/stars.py's one window-function query.

The build is a bulk load, honest about what it skips: every trigger and constraint of the ledger stays in force
(the one route, the account check, the balances, the stars' staleness, every foreign key; no trigger disabled, no
UNLOGGED table). The entries go in by INSERT … SELECT through bench/common.py `insert_through_rounds`, a chunk of
`BENCH_CHUNK_HOUSEHOLDS` households at a time (one transaction each, so the deferred foreign-key checks and the
statement's transition tables stay bounded), `BENCH_LOADERS` townships at the same time (2, the machine's cores;
one connection each, as two clerks' approvals would run), with progress in entries/s. The one bulk-load technique:
scoring_entry's secondary indexes (neither unique nor behind a constraint) are dropped before the ledger is loaded
and created again after it from their own definitions (`secondary_indexes_built_after`), then the table ANALYZEd:
one sort per index instead of 12 M insertions into each. The readings run on the same indexes as
production's.

Also prints `BENCH county-build seconds=… entries=… entries_per_s=… peak_mb=…` (the build) and
`BENCH county seconds=… peak_mb=…` (the whole benchmark; peak resident memory of this process). Develop on a small
county: `BENCH_COUNTY_TOWNSHIPS=2 BENCH_HOUSEHOLDS=2000 make bench ONLY=county`.
"""

import os
import resource
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import (
    approved_rounds,
    best_of,
    fresh_database,
    insert_through_rounds,
    report,
    secondary_indexes_built_after,
    seed1_items,
    seed1_scheme,
    setup_django,
)

TOWNSHIPS = int(os.environ.get("BENCH_COUNTY_TOWNSHIPS", "20"))
HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "20000"))  # per township
ENTRIES_EACH = int(os.environ.get("BENCH_ENTRIES_EACH", "30"))
VILLAGES = int(os.environ.get("BENCH_VILLAGES", "20"))  # per township, 10 areas each
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
CHUNK = int(os.environ.get("BENCH_CHUNK_HOUSEHOLDS", "5000"))  # households per INSERT (≈ 140,000 entries)
LOADERS = int(os.environ.get("BENCH_LOADERS", "2"))  # townships loaded at the same time, one connection each
YEAR = 2026

ENTRY_COLUMNS = """township_id, household_id, village_id, scheme_id, category_id, item_id, category_name, item_name,
    item_kind, item_points, multiplier, points, year, period, occurred_on, source, reason, state, idempotency_key,
    recorded_by_id, recorded_at, approved_by_id, approved_at, decided_reason"""

HOUSEHOLDS_SQL = """
WITH areas AS (SELECT id, village_id, row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS m
               FROM households_area WHERE township_id = %(township)s)
INSERT INTO households_household (township_id, village_id, area_id, number, address, status, participation,
    participation_reason, created_at, updated_at)
SELECT %(township)s, a.village_id, a.id, 'B' || lpad(k::text, 6, '0'), '', 'active',
    CASE WHEN k %% 25 = 3 THEN 'not_eligible' WHEN k %% 40 = 5 THEN 'opted_out'
         WHEN k %% 60 = 7 THEN 'elderly_opted_in' ELSE 'taking_part' END, '', now(), now()
FROM generate_series(0, %(households)s - 1) AS k JOIN areas a ON a.n = k %% a.m
"""

ENTRIES_SQL = """
SELECT h.township_id, h.id, h.village_id, %(scheme)s, i.category_id, i.id, i.category_name, i.name, i.kind,
    abs(i.points), 1, i.points, 2026, '2026', DATE '2026-01-01' + ((k * 5 + h.id) %% 330)::int, 'clerk', '',
    'approved', '', %(user)s, now(), %(user)s, now(), ''
FROM households_household h
CROSS JOIN generate_series(0, %(each)s - 1) AS k
JOIN bench_items i ON i.township_id = h.township_id
    AND i.n = (h.id * 7919 + k * 104729 + (h.id / 3) * k) %% %(items)s
WHERE h.township_id = %(township)s AND h.participation IN ('taking_part', 'elderly_opted_in')
    AND h.id BETWEEN %(first)s AND %(last)s
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def township(n: int, office_user, county_user, villages: int = VILLAGES):
    """One township through the services: its scheme (seed 1's categories, three bonuses and two penalties each),
    villages and areas; the county viewer's membership."""
    from core.tenancy import township_scope
    from households.models import Area, Membership, Role, Township, Village
    from scoring import services

    place = Township.objects.create(slug=f"t{n:02d}", name=f"基准{n:02d}镇")
    office = Membership.objects.create(township=place, user=office_user, role=Role.TOWNSHIP_ADMIN)
    Membership.objects.create(township=place, user=county_user, role=Role.COUNTY_VIEWER)
    with township_scope(place):
        scheme, categories = seed1_scheme(membership=office, township=place)
        seed1_items(membership=office, categories=categories)
        services.activate_scheme(membership=office, scheme=scheme)
        created = Village.objects.bulk_create(
            Village(township=place, name=f"村{i:02d}") for i in range(villages)
        )
        Area.objects.bulk_create(
            Area(township=place, village=v, name=f"{j}组") for v in created for j in range(10)
        )
    return place, office, scheme


def seed_township(cursor, place, scheme, user, households: int) -> dict:
    """`households` households spread over the township's areas (one in 25 not eligible, one in 40 opted out, one
    in 60 elderly opted in), every village's annual round approved (the village is rated) and its notice batch
    approved after its notice, which the clerk's entries are posted on. Returns what `seed_entries` needs."""
    from core.tenancy import township_scope
    from scoring.models import Item

    with township_scope(place):
        items = list(Item.objects.filter(category__scheme=scheme).select_related("category").order_by("id"))
    params = {"township": place.pk, "scheme": scheme.pk, "user": user.pk, "items": len(items)}
    cursor.execute(HOUSEHOLDS_SQL, {**params, "households": households})
    cursor.execute("SELECT min(id), count(*) FROM households_household WHERE township_id = %s", [place.pk])
    first, count = cursor.fetchone()
    assert count == households
    approved_rounds(cursor, township=place, scheme=scheme, user=user, kind="annual", period="2026")
    approved_rounds(cursor, township=place, scheme=scheme, user=user)
    return {
        "params": params,
        "first": first,
        "households": households,
        "items": [
            [place.pk, n, i.pk, i.category_id, i.category.name, i.name, i.kind, i.signed_points]
            for n, i in enumerate(items)
        ],
    }


class Progress:
    """Entries loaded so far and their rate, printed after each chunk (from every loading thread)."""

    def __init__(self, households: int) -> None:
        self.households, self.done, self.entries, self.started = households, 0, 0, time.perf_counter()
        self.lock = threading.Lock()

    def chunk(self, label: str, households: int, entries: int, seconds: float) -> None:
        with self.lock:
            self.done += households
            self.entries += entries
            elapsed = time.perf_counter() - self.started
            print(
                f"{label}: {entries} entries in {seconds:.1f}s ({entries / seconds:.0f}/s); "
                f"{self.done}/{self.households} households, {self.entries} entries in {elapsed:.0f}s "
                f"({self.entries / elapsed:.0f}/s)",
                flush=True,
            )


def seed_entries(township: dict, each: int, label: str, progress: Progress) -> None:
    """`load_entries` on this thread's own connection (closed at the end): a loader of `build`."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            load_entries(cursor, township, each, label, progress)
    finally:
        connection.close()


def load_entries(cursor, township: dict, each: int, label: str, progress: Progress | None = None) -> None:
    """`each` approved entries per household taking part (of a township `seed_township` returned), spread over the
    year and the items, posted on the village's notice batch: one INSERT … SELECT per chunk of CHUNK households (by
    id), each in a transaction of its own (a savepoint inside the caller's, as tests/test_query_plans.py calls it)."""
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS bench_items (township_id bigint, n int, id bigint, category_id bigint, "
        "category_name text, name text, kind text, points numeric)"
    )
    cursor.executemany("INSERT INTO bench_items VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", township["items"])
    households, first = township["households"], township["first"]
    for start in range(0, households, CHUNK):
        last = first + min(start + CHUNK, households) - 1
        chunk = {**township["params"], "each": each, "first": first + start, "last": last}
        began = time.perf_counter()
        entries = insert_through_rounds(cursor, ENTRY_COLUMNS, ENTRIES_SQL, chunk)
        size = last - first - start + 1
        if progress is not None:
            progress.chunk(
                f"{label} households {start + 1}–{start + size}", size, entries, time.perf_counter() - began
            )


def build():
    from django.contrib.auth import get_user_model
    from django.db import connection

    fresh_database()
    started = time.perf_counter()
    users = get_user_model().objects
    office_user, county_user = users.create_user("bench"), users.create_user("county")
    places = [township(n, office_user, county_user) for n in range(TOWNSHIPS)]
    with connection.cursor() as cursor:
        seeded = [
            seed_township(cursor, place, scheme, office_user, HOUSEHOLDS) for place, _o, scheme in places
        ]
        ledger = time.perf_counter()
        progress = Progress(TOWNSHIPS * HOUSEHOLDS)
        with (
            secondary_indexes_built_after(cursor, "scoring_entry"),
            ThreadPoolExecutor(max_workers=LOADERS) as pool,
        ):
            labels = [f"township {n + 1}/{TOWNSHIPS}" for n in range(TOWNSHIPS)]
            list(pool.map(seed_entries, seeded, [ENTRIES_EACH] * TOWNSHIPS, labels, [progress] * TOWNSHIPS))
        ledger = time.perf_counter() - ledger
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM households_household")
        households = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM scoring_entry")
        entries = cursor.fetchone()[0]
    seconds = time.perf_counter() - started
    print(
        f"built {TOWNSHIPS} townships, {households} households, {entries} entries in {seconds:.1f}s "
        f"(the ledger through the notice batches by {LOADERS} connections, its indexes and ANALYZE: {ledger:.1f}s, "
        f"{entries / ledger:.0f} entries/s)",
        flush=True,
    )
    print(
        f"BENCH county-build seconds={seconds:.1f} entries={entries} entries_per_s={entries / seconds:.0f} "
        f"peak_mb={peak_mb():.0f}",
        flush=True,
    )
    return county_user, places


def dashboard_floor(place, scheme, cursor) -> list:
    """bench/dashboard.py's hand-written statements for one township (no star run yet: none counted)."""
    from bench.dashboard import baseline_sql
    from core.tenancy import township_scope

    with township_scope(place):
        categories = list(scheme.categories.all())
    results = []
    for sql in baseline_sql(categories):
        cursor.execute(sql, {"township": place.pk, "scheme": scheme.pk, "run": -1})
        results.append(cursor.fetchall())
    return results


def main() -> None:
    started = time.perf_counter()
    setup_django()
    from django.db import connection

    from bench.stars import baseline_sql as stars_sql
    from core.tenancy import township_scope
    from households.models import Village
    from oversight.selectors import one_decimal, township_dashboard
    from oversight.views import county_dashboard
    from rewards.models import StarResult
    from rewards.services import rate_stars
    from scoring.selectors import base_total

    county_user, places = build()

    # The county comparison: every township, compared.
    def county():
        return county_dashboard(county_user, YEAR)

    def county_by_hand():
        with connection.cursor() as cursor:
            return [dashboard_floor(place, scheme, cursor) for place, _office, scheme in places]

    ours, (board, villages) = best_of(county, REPEAT)
    floor, by_hand = best_of(county_by_hand, REPEAT)
    by_sql = {row[0]: (row[2], one_decimal(row[3])) for each in by_hand for row in each[1] if row[1] is None}
    by_page = {row.key: (row.scores.n, row.scores.average) for _name, row in villages}
    print(
        f"county: {len(board.rows)} townships, {len(villages)} villages; villages whose taking-part count or average "
        f"differ from the floor's: {sum(1 for k, v in by_sql.items() if by_page.get(k) != v)}",
        flush=True,
    )
    report("county-compare", ours, floor)

    # One township's dashboard.
    place, office, scheme = places[len(places) // 2]

    def dashboard():
        with township_scope(place):
            return township_dashboard(Village.objects.all(), YEAR, name=place.name, whole_township=True)

    def dashboard_by_hand():
        with connection.cursor() as cursor:
            return dashboard_floor(place, scheme, cursor)

    ours, _board = best_of(dashboard, REPEAT)
    floor, _rows = best_of(dashboard_by_hand, REPEAT)
    report("county-dashboard", ours, floor)

    # One township's star rating, a fresh run each time.
    def forget_runs():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE rewards_starresult, rewards_starrun CASCADE")  # only this township rates

    def stars():
        forget_runs()
        start = time.perf_counter()
        with township_scope(place):
            run, created, _changes = rate_stars(membership=office, scheme=scheme)
        assert created
        return time.perf_counter() - start, run

    times = [stars()[0] for _ in range(REPEAT + 1)][1:]
    ours = sorted(times)[len(times) // 2]
    with township_scope(place):
        params = {"scheme": scheme.pk, "township": place.pk, "floor": base_total(scheme)}
        text = stars_sql(list(scheme.categories.order_by("pk")))
        stored = dict(StarResult.objects.values_list("household_id", "stars"))

    def stars_by_hand():
        with connection.cursor() as cursor:
            cursor.execute(text, params)
            return dict(cursor.fetchall())

    floor, expected = best_of(stars_by_hand, REPEAT)
    mismatches = sum(1 for h, s in expected.items() if stored.get(h) != s) + len(set(stored) - set(expected))
    print(f"households rated: {len(stored)}; stars differing from the floor: {mismatches}", flush=True)
    report("county-stars", ours, floor)
    print(f"BENCH county seconds={time.perf_counter() - started:.1f} peak_mb={peak_mb():.0f}", flush=True)


if __name__ == "__main__":
    main()
