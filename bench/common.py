"""Shared set-up for benchmarks: Django on the bench database, a fresh schema, a timer."""

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

# The Redis of the served benchmarks (sessions and cache, as production keeps them): gunicorn's in bench/load.py,
# the in-process server's in bench/redeem.py.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def setup_django(*, served: bool = False) -> None:
    """Django on the bench database; `served`: with sessions and the cache in Redis, and the garbage collector set
    as a gunicorn worker sets it (config/gunicorn.py), as production serves requests (config/settings/bench.py)."""
    if served:
        os.environ.setdefault("REDIS_URL", REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    import django

    django.setup()
    if served:
        from config.gunicorn import post_worker_init

        post_worker_init(None)


def fresh_database() -> None:
    """Drop and re-create the bench database, then migrate it."""
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    db = settings.DATABASES["default"]
    connections.close_all()
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def best_of(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time of `repeat` runs (after one warm-up), and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def report(name: str, ours: float, baseline: float) -> None:
    print(f"BENCH {name} ours={ours:.4f} baseline={baseline:.4f} ratio={ours / baseline:.2f}", flush=True)


SEED1_CATEGORIES = [
    ("党的建设", "20", "annual"),
    ("民生保障", "20", "annual"),
    ("环境整治", "40", "quarterly"),
    ("文明新风", "40", "quarterly"),
    ("遵纪守法", "20", "annual"),
]


def seed1_scheme(*, membership, township, floor: str | None = "0"):
    """A draft scheme with seed 1's five categories (base 140); call inside the township scope. Returns
    (scheme, categories); the benchmark adds its own items and activates it."""
    from decimal import Decimal

    from scoring import services

    scheme = services.create_scheme(membership=membership, township=township, name="基准", year=2026)
    categories = [
        services.add_category(
            membership=membership,
            scheme=scheme,
            name=name,
            base_score=Decimal(base),
            cadence=cadence,
            floor=None if floor is None else Decimal(floor),
            order=order,
        )
        for order, (name, base, cadence) in enumerate(SEED1_CATEGORIES)
    ]
    return scheme, categories


def seed1_items(*, membership, categories, bonuses=("1", "2", "3"), penalties=("1", "2")) -> None:
    """In every category (in order): a bonus item worth each of `bonuses`, then a penalty item worth each of
    `penalties` (named 文明新风加1 …, 文明新风减2 …); call inside the township scope, before activating."""
    from decimal import Decimal

    from scoring import services

    for category in categories:
        for kind, values, sign in (("bonus", bonuses, "加"), ("penalty", penalties, "减")):
            for points in values:
                services.add_item(
                    membership=membership,
                    category=category,
                    name=f"{category.name}{sign}{points}",
                    kind=kind,
                    points=Decimal(points),
                )


# One route to the ledger (issue 12): the database lets an entry count (inserted approved, or moved to approved)
# only when a review_roundentry row links it to a round or notice batch approved after its notice closed (review
# migration 0004's rule, checked once per statement since review 0011). The benchmarks seed their ledgers through it
# and disable nothing.

APPROVED_ROUNDS_SQL = """
INSERT INTO review_reviewround (township_id, village_id, scheme_id, kind, period, state, notice_days,
    notice_opened_at, notice_ends_at, notice_number, notice_closed_at, notice_token, created_by_id, created_at,
    approved_at)
SELECT v.township_id, v.id, %(scheme)s, %(kind)s, %(period)s, 'approved', 3, n.opened, n.ends, 1, n.ends,
    left(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 43), %(user)s, n.opened, now()
FROM households_village v
JOIN households_township t ON t.id = v.township_id
CROSS JOIN LATERAL (SELECT now() - interval '8 days' AS opened) o
CROSS JOIN LATERAL (
    -- posted eight days ago for three calendar days: it ended at the midnight after its last day (township's
    -- time zone) and closed then; the township approves it now
    SELECT o.opened,
        (date_trunc('day', o.opened AT TIME ZONE t.timezone) + interval '4 days') AT TIME ZONE t.timezone AS ends
) n
WHERE v.township_id = %(township)s
"""

LINK_SQL = """
INSERT INTO review_roundentry (township_id, round_id, entry_id, inspection_id, declaration_id)
SELECT e.township_id, r.id, e.id, NULL, NULL
FROM bench_new_entries e
JOIN review_reviewround r ON r.village_id = e.village_id AND r.scheme_id = e.scheme_id AND r.kind = %(kind)s
    AND r.period = %(period)s AND r.state = 'approved'
"""

OPEN_ACCOUNTS_SQL = """
INSERT INTO scoring_account (township_id, kind, village_id, area_id, household_id, created_at)
SELECT DISTINCT h.township_id, 'household', h.village_id, h.area_id, h.id, now()
FROM bench_new_entries b JOIN households_household h ON h.id = b.household_id
ON CONFLICT (household_id) DO NOTHING
"""


def approved_rounds(cursor, *, township, scheme, user, kind: str = "batch", period: str = "2026-B01") -> None:
    """One approved round of `kind` and `period` per village of the township (by default each village's notice
    batch 2026-B01): posted eight days ago for three calendar days, closed when it ended, approved now."""
    params = {"township": township.pk, "scheme": scheme.pk, "user": user.pk, "kind": kind, "period": period}
    cursor.execute(APPROVED_ROUNDS_SQL, params)


def insert_through_rounds(
    cursor, columns: str, select: str, params: dict, *, kind: str = "batch", period: str = "2026-B01"
) -> int:
    """`INSERT INTO scoring_entry (columns) select` for approved entries, through their village's approved round
    of `kind` and `period` (see `approved_rounds`). Each entry gets its id first (from the table's own sequence);
    its review_roundentry link is inserted (one INSERT … SELECT), then the entry itself, approved: the one-route
    trigger checks every row against its link and round, and refuses the lot if one is missing. One transaction:
    the link's foreign key to its entry is checked at commit (as Django declares it, deferred). Inserting the
    entries proposed and approving them with one UPDATE passes the same check, but writes every entry (and its
    dozen index rows) a second time: for bench/scores.py's 1.2 M entries, 316 s of set-up instead of 94 s.
    Returns the number of entries."""
    from django.db import transaction

    with transaction.atomic():
        cursor.execute("CREATE TEMP TABLE bench_new_entries (LIKE scoring_entry)")
        cursor.execute("ALTER TABLE bench_new_entries ALTER COLUMN account_id DROP NOT NULL")  # filled below
        cursor.execute(
            f"INSERT INTO bench_new_entries (id, {columns}) "
            f"SELECT nextval(pg_get_serial_sequence('scoring_entry', 'id')), s.* FROM ({select}) AS s",
            params,
        )
        entries = cursor.rowcount
        # Each entry names its household's account (households inserted by SQL get theirs here, as the roster's
        # saves open them in the product).
        cursor.execute(OPEN_ACCOUNTS_SQL)
        cursor.execute(
            "UPDATE bench_new_entries b SET account_id = a.id FROM scoring_account a WHERE a.household_id = b.household_id"
        )
        cursor.execute(LINK_SQL, {"kind": kind, "period": period})
        assert cursor.rowcount == entries, f"{entries - cursor.rowcount} entries have no approved round"
        cursor.execute("INSERT INTO scoring_entry SELECT * FROM bench_new_entries")
        cursor.execute("DROP TABLE bench_new_entries")
    return entries


# Secondary indexes: neither unique nor behind a constraint (the primary key, the unique keys and what a constraint
# uses stay in place and are checked row by row).
SECONDARY_INDEXES_SQL = """
SELECT i.indexname, i.indexdef
FROM pg_indexes i
JOIN pg_class c ON c.relname = i.indexname AND c.relnamespace = i.schemaname::regnamespace
JOIN pg_index x ON x.indexrelid = c.oid
WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT x.indisunique AND NOT x.indisprimary
    AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
ORDER BY i.indexname
"""


@contextmanager
def secondary_indexes_built_after(cursor, table: str) -> Iterator[None]:
    """Bulk load: drop `table`'s secondary indexes, let the block load it, then create them again from their own
    definitions (pg_indexes, checked identical afterwards) and ANALYZE the table. Every trigger and constraint stays
    in force during the load; only the index rows are written by one sort per index instead of row by row."""
    cursor.execute(SECONDARY_INDEXES_SQL, [table])
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    start = time.perf_counter()
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for _name, definition in indexes:
        cursor.execute(definition)
    cursor.execute("RESET maintenance_work_mem")
    cursor.execute(SECONDARY_INDEXES_SQL, [table])
    assert cursor.fetchall() == indexes, f"{table}'s secondary indexes did not come back as they were"
    cursor.execute(f'ANALYZE "{table}"')
    print(
        f"{len(indexes)} secondary indexes of {table} built and the table analysed in "
        f"{time.perf_counter() - start:.1f}s",
        flush=True,
    )
