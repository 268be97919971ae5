"""Load: 150 simulated clerks and panel members (BENCH_LOAD_USERS) for 60 s against gunicorn, PostgreSQL and Redis,
on loopback.

The bench database (BENCH_DATABASE_URL) is made afresh and seeded with a township of a realistic size: 15
villages of 400 households (4 areas of 100), three residents each, seed 1's scheme with six approved entries per
household (recorded on the day they happened), one clerk and one panel member per village, and a points
supermarket per village with a donated product. gunicorn is started as production starts it
(`gunicorn -c python:config.gunicorn`: gthread workers, JIFEN_WEB_WORKERS × JIFEN_WEB_THREADS), config.settings.bench
on the bench database with REDIS_URL set (sessions and cache in Redis, as production), with a pidfile, and stopped
by that PID.

The scenario (bench/locust/scenario.py, run headless by locust in a process of its own, its people locust's light
FastHttpUser) mixes page and API reads (household lists, household pages, passbooks, the ledger, the township's
home), entry recording through the API and a redemption at the village's supermarket counter, each person pausing
1–3 s between actions. Every non-2xx/3xx answer counts as an error. The people are started 10 a second and log in
through the login form outside the figures; the figures are reset once all are started (locust --reset-stats) and
cover the 60 s of work that follow. Then, unless BENCH_LOAD_STEPS=0, the capacity: runs of 50, 75, 100 … people
until the p95 passes 150 ms. Prints gunicorn's, locust's and (when it runs on this machine) PostgreSQL's CPU per
request, `BENCH load seconds=… users=… rps=… p50_ms=… p95_ms=… p99_ms=… errors=… cpu_ms_per_request=…` and
`BENCH load-capacity held=…`.
"""

import csv
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from bench.common import (
    REDIS_URL,
    approved_rounds,
    fresh_database,
    insert_through_rounds,
    seed1_items,
    seed1_scheme,
    setup_django,
)

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
VILLAGES = int(os.environ.get("BENCH_VILLAGES", "15"))
PER_VILLAGE = int(os.environ.get("BENCH_PER_VILLAGE", "400"))
AREAS_PER_VILLAGE = 4
ENTRIES_EACH = int(os.environ.get("BENCH_ENTRIES_EACH", "6"))
USERS = int(os.environ.get("BENCH_LOAD_USERS", "150"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
# gunicorn's processes and threads: config/gunicorn.py's (as the Dockerfile and docker-compose start it) unless set.
WORKERS = os.environ.get("BENCH_LOAD_WORKERS", "")
THREADS = os.environ.get("BENCH_LOAD_THREADS", "")
# The capacity: one run per step of STEP people from 50 (STEP_SECONDS each) until p95 passes P95_TARGET_MS.
STEP, STEP_SECONDS = 25, int(os.environ.get("BENCH_LOAD_STEP_SECONDS", "30"))
STEPS = os.environ.get("BENCH_LOAD_STEPS", "1") == "1"
P95_TARGET_MS = 150
# Reuse the seeded database of an earlier run (its plan in var/): for repeated measurements only.
REUSE = os.environ.get("BENCH_LOAD_REUSE", "") == "1"
PORT = int(os.environ.get("BENCH_LOAD_PORT", "0"))  # 0: a free port on loopback
SPAWN_RATE = 10  # simulated people started per second
PASSWORD = "bench-Jifen-2026"
SLUG = "bench"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def _sql_seed(cursor, township, scheme, user, items) -> None:
    """Households, residents and approved entries in a few INSERT … SELECT statements (seconds, not minutes); the
    entries, recorded by the clerk, were posted on their village's notice batch and count after its notice (the
    one route to the ledger)."""
    cursor.execute(
        """
        INSERT INTO households_household (township_id, village_id, area_id, number, address, participation,
            participation_reason, status, created_at, updated_at)
        SELECT a.township_id, a.village_id, a.id, 'H' || lpad(a.id::text, 4, '0') || '-' || lpad(k::text, 3, '0'),
            '第' || (k + 1) || '号', CASE WHEN k %% 40 = 7 THEN 'opted_out' ELSE 'taking_part' END, '', 'active',
            now(), now()
        FROM households_area a CROSS JOIN generate_series(0, %(per)s - 1) AS k
        WHERE a.township_id = %(township)s
        """,
        {"per": PER_VILLAGE // AREAS_PER_VILLAGE, "township": township.pk},
    )
    cursor.execute(
        """
        INSERT INTO households_resident (township_id, household_id, name, is_head, gender, birth_year, id_number,
            mobile, is_party_member, end_reason, end_note, created_at)
        SELECT h.township_id, h.id,
            substr(%(surnames)s, 1 + (h.id %% 20)::int, 1) || substr(%(given)s, 1 + ((h.id * 7 + m) %% 20)::int, 1)
                || substr(%(given)s, 1 + ((h.id * 13 + m * 3) %% 20)::int, 1),
            m = 0, CASE WHEN m = 1 THEN 'female' ELSE 'male' END, 1950 + ((h.id + m * 17) %% 60)::int, '',
            '138' || lpad(((h.id * 3 + m) %% 100000000)::text, 8, '0'), (h.id + m) %% 9 = 0, '', '', now()
        FROM households_household h CROSS JOIN generate_series(0, 2) AS m
        WHERE h.township_id = %(township)s
        """,
        {"surnames": SURNAMES, "given": GIVEN, "township": township.pk},
    )
    cursor.execute(  # every household's account, as the roster's saves open them in the product
        """
        INSERT INTO scoring_account (township_id, kind, village_id, area_id, household_id, created_at)
        SELECT township_id, 'household', village_id, area_id, id, now() FROM households_household
        WHERE township_id = %(township)s
        """,
        {"township": township.pk},
    )
    cursor.execute(
        "CREATE TEMP TABLE bench_items (n int, id bigint, category_id bigint, category_name text, name text,"
        " kind text, points numeric, quarterly bool)"
    )
    for n, item in enumerate(items):
        cursor.execute(
            "INSERT INTO bench_items VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                n,
                item.pk,
                item.category_id,
                item.category.name,
                item.name,
                item.kind,
                item.signed_points,
                item.category.cadence == "quarterly",
            ],
        )
    approved_rounds(cursor, township=township, scheme=scheme, user=user)
    insert_through_rounds(
        cursor,
        """township_id, household_id, village_id, scheme_id, category_id, item_id, category_name, item_name,
        item_kind, item_points, multiplier, points, year, period, occurred_on, source, reason, state,
        idempotency_key, recorded_by_id, recorded_at, approved_by_id, approved_at, decided_reason""",
        """
        SELECT h.township_id, h.id, h.village_id, %(scheme)s, i.category_id, i.id, i.category_name, i.name, i.kind,
            abs(i.points), 1, i.points, 2026,
            CASE WHEN i.quarterly THEN '2026-Q' || extract(quarter FROM DATE '2026-01-05' + ((k * 47 + h.id) %% 290)::int)
                 ELSE '2026' END,
            DATE '2026-01-05' + ((k * 47 + h.id) %% 290)::int, 'clerk', '', 'approved', '', %(user)s,
            -- recorded on the day it happened (a morning at the village office), approved at its notice's end
            (DATE '2026-01-05' + ((k * 47 + h.id) %% 290)::int + TIME '09:00') AT TIME ZONE 'Asia/Shanghai', %(user)s,
            now(), ''
        FROM households_household h
        CROSS JOIN generate_series(0, %(each)s - 1) AS k
        JOIN bench_items i ON i.n = (h.id * 7919 + k * 104729) %% %(items)s
        WHERE h.township_id = %(township)s AND h.participation = 'taking_part'
        """,
        {
            "scheme": scheme.pk,
            "user": user.pk,
            "each": ENTRIES_EACH,
            "items": len(items),
            "township": township.pk,
        },
    )


def _supermarkets(office, villages) -> dict[int, dict]:
    """A supermarket per village with one donated product (no budget needed), when the rewards app has them."""
    try:
        from rewards.services import shop as shop_services
    except ImportError:
        return {}
    markets = {}
    for village in villages:
        shop = shop_services.open_shop(membership=office, village=village, name=f"{village.name}积分超市")
        product = shop_services.add_product(
            membership=office,
            shop=shop,
            stock=1_000_000,
            name="洗衣皂",
            points=Decimal("1"),
            cost=Decimal("0"),
            source="donated",
            donor="爱心企业",
        )
        markets[village.pk] = {"shop": shop.pk, "product": product.pk}
    return markets


def _redemption_route() -> str:
    """The redemption endpoint's path, or "" while the rewards API does not have it."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("rewards_api:redemption-list", kwargs={"township_slug": SLUG})
    except NoReverseMatch:
        return ""


def seed_township() -> dict:
    """A fresh bench database with one township of a realistic size; returns what the scenario needs."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from core.tenancy import township_scope
    from households.models import Area, Membership, Role, Township, Village
    from scoring import services
    from scoring.models import Item

    fresh_database()
    started = time.perf_counter()
    users = get_user_model().objects
    with transaction.atomic():
        admin = users.create_user("bench-admin", password=PASSWORD)
        township = Township.objects.create(slug=SLUG, name="基准镇")
        with township_scope(township):
            office = Membership.objects.create(user=admin, township=township, role=Role.TOWNSHIP_ADMIN)
            scheme, categories = seed1_scheme(membership=office, township=township)
            seed1_items(membership=office, categories=categories)
            services.activate_scheme(membership=office, scheme=scheme)
            villages = Village.objects.bulk_create(
                Village(township=township, name=f"{SURNAMES[i % 20]}家{'庄湾坪岭沟'[i % 5]}村{i + 1}")
                for i in range(VILLAGES)
            )
            Area.objects.bulk_create(
                Area(township=township, village=v, name=f"{n + 1}组")
                for v in villages
                for n in range(AREAS_PER_VILLAGE)
            )
            people = []
            for n, village in enumerate(villages, start=1):
                for role, prefix in ((Role.VILLAGE_CLERK, "clerk"), (Role.PANEL_MEMBER, "panel")):
                    user = users.create_user(f"bench-{prefix}-{n:02d}", password=PASSWORD)
                    Membership.objects.create(user=user, township=township, role=role).villages.set([village])
                    people.append({"username": user.username, "role": prefix, "village": village.pk})
            items = list(
                Item.objects.filter(category__scheme=scheme).select_related("category").order_by("id")
            )
            with connection.cursor() as cursor:
                _sql_seed(cursor, township, scheme, admin, items)
            markets = _supermarkets(office, villages)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT h.village_id, h.id, COALESCE(SUM(e.points), 0), h.participation = 'taking_part'"
            " FROM households_household h"
            " LEFT JOIN scoring_entry e ON e.household_id = h.id AND e.state = 'approved'"
            " WHERE h.township_id = %s GROUP BY h.village_id, h.id, h.participation ORDER BY h.id",
            [township.pk],
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM households_resident")
        residents = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM scoring_entry")
        entries = cursor.fetchone()[0]
    households = {v.pk: [h for village, h, _net, _part in rows if village == v.pk] for v in villages}
    # Entries are recorded for households taking part (the others are rightly refused, 400).
    taking_part = {v.pk: [h for village, h, _net, part in rows if village == v.pk and part] for v in villages}
    # Households that can pay a few points (net bonuses ≥ 5) redeem; the others would rightly be refused (400).
    solvent = {v.pk: [h for village, h, net, part in rows if village == v.pk and net >= 5] for v in villages}
    print(
        f"seeded {len(rows)} households in {VILLAGES} villages, {residents} residents, {entries} entries, "
        f"{len(markets)} supermarkets, in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    return {
        "slug": SLUG,
        "password": PASSWORD,
        "people": people,
        "households": {str(k): v for k, v in households.items()},
        "solvent": {str(k): v for k, v in solvent.items()},
        "taking_part": {str(k): v for k, v in taking_part.items()},
        "scheme": scheme.pk,
        "items": [item.pk for item in items if item.kind == "bonus"],
        "markets": {str(k): v for k, v in markets.items()},
        "redemptions": _redemption_route() if markets else "",
        "occurred_on": "2026-11-20",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn on loopback, configured as production runs it (config/gunicorn.py), with a pidfile; stopped by
    that PID. The access log goes to a file, as production's goes to stdout."""

    def __init__(self, port: int):
        self.port = port
        self.pidfile, self.log = VAR / "bench-load-gunicorn.pid", VAR / "bench-load-gunicorn.log"
        self.access = VAR / "bench-load-access.log"
        self.process = None

    def __enter__(self):
        VAR.mkdir(exist_ok=True)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench", "REDIS_URL": REDIS_URL}
        env.update({"JIFEN_WEB_WORKERS": WORKERS} if WORKERS else {})
        env.update({"JIFEN_WEB_THREADS": THREADS} if THREADS else {})
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:config.gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
            ]
            + [
                "--pid",
                str(self.pidfile),
                "--error-logfile",
                str(self.log),
                "--access-logfile",
                str(self.access),
            ]
            + ["--log-level", "warning"],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/accounts/login/", timeout=2)
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited; see {self.log}") from None
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) its worker processes have used so far: the server's own cost per request,
        whatever else the machine runs."""
        import psutil

        workers = psutil.Process(self.process.pid).children()
        return sum(sum(w.cpu_times()[:2]) for w in workers)

    def __exit__(self, *exc):
        pid = int(self.pidfile.read_text()) if self.pidfile.exists() else self.process.pid
        os.kill(pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
            self.process.wait()


class PostgresCpu:
    """PostgreSQL's CPU so far (user + system) when it runs on this machine: the postmaster's own, its live
    processes' and those of the backends that have exited (counted into the postmaster's children's times when it
    reaps them). Found from this connection's backend; unavailable (None) when the server is on another host or its
    processes cannot be read."""

    def __init__(self):
        import psutil
        from django.db import connection

        self.postmaster = None
        if connection.settings_dict["HOST"] not in ("", "localhost", "127.0.0.1", "::1"):
            return  # a pid on another host says nothing about this one
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        try:
            postmaster = psutil.Process(backend).parent()
            if postmaster is not None and "postgres" in postmaster.name():
                self.postmaster = postmaster
        except psutil.Error:
            pass

    def seconds(self) -> float | None:
        import psutil

        if self.postmaster is None:
            return None
        try:
            own = self.postmaster.cpu_times()
            total = own.user + own.system + own.children_user + own.children_system
            for child in self.postmaster.children():
                try:
                    times = child.cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    continue  # exited meanwhile: counted in the postmaster's children's times
            return total
        except psutil.Error:
            return None


def run_locust(plan_path: Path, port: int, users: int = USERS, seconds: int = SECONDS) -> Path:
    prefix = VAR / "bench-load"
    env = {**os.environ, "JIFEN_LOAD_PLAN": str(plan_path)}
    ramp_seconds = -(-users // SPAWN_RATE)
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locust" / "scenario.py"), "--headless"]
        + ["-u", str(users), "-r", str(SPAWN_RATE), "-t", f"{seconds + ramp_seconds}s", "--reset-stats"]
        + ["--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary"]
        + ["--stop-timeout", "10", "--exit-code-on-error", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return prefix


def summary(prefix: Path) -> dict:
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
        "p99": float(total["99%"]),
        "rows": rows,
    }


def served_by() -> str:
    from config import gunicorn

    workers, threads = WORKERS or gunicorn.workers, THREADS or gunicorn.threads
    return f"gunicorn {workers} {gunicorn.worker_class} workers × {threads} threads (config/gunicorn.py and JIFEN_WEB_*)"


def capacity(plan_path: Path, port: int) -> tuple[int, list[str]]:
    """The most people held at p95 ≤ P95_TARGET_MS with no error: one run per step of STEP from 50."""
    held, lines, users = 0, [], 50
    while True:
        load = os.getloadavg()[0]
        result = summary(run_locust(plan_path, port, users, STEP_SECONDS))
        ok = result["p95"] <= P95_TARGET_MS and not result["errors"]
        lines.append(
            f"  step {users:>3} people: rps={result['rps']:.1f} p50={result['p50']:.0f} p95={result['p95']:.0f} "
            f"p99={result['p99']:.0f} ms errors={result['errors']} (load average {load:.1f} before) "
            f"{'held' if ok else 'not held'}"
        )
        print(lines[-1], flush=True)
        if not ok:
            return held, lines
        held, users = users, users + STEP


def main() -> None:
    setup_django()
    plan_path = VAR / "bench-load-plan.json"
    VAR.mkdir(exist_ok=True)
    if REUSE and plan_path.exists():
        plan = json.loads(plan_path.read_text())
        print(f"reusing the seeded database and {plan_path}", flush=True)
    else:
        plan = seed_township()
        plan_path.write_text(json.dumps(plan))
    if not plan["redemptions"]:
        print("note: no redemption endpoint yet (rewards_api:redemption-list): the scenario runs without it")
    from django.db import connections

    postgres = PostgresCpu()
    connections.close_all()
    port = PORT or free_port()
    load_before = os.getloadavg()[0]
    with Gunicorn(port) as server:
        # The server's CPU from the end of the ramp (the log-ins), when locust resets its figures, to the end.
        cpu = {}

        def measuring() -> None:
            cpu.setdefault("start", server.cpu_seconds())
            cpu.setdefault("postgres", postgres.seconds())

        ramp = threading.Timer(-(-USERS // SPAWN_RATE), measuring)
        ramp.start()
        client = resource.getrusage(resource.RUSAGE_CHILDREN)
        prefix = run_locust(plan_path, port)
        ramp.cancel()
        result = summary(prefix)
        cpu_ms = (server.cpu_seconds() - cpu.get("start", 0.0)) * 1000 / max(result["requests"], 1)
        # PostgreSQL's over the same time (its live backends are gunicorn's connections, still open here).
        postgres_now, postgres_start = postgres.seconds(), cpu.get("postgres")
        postgres_ms = None
        if postgres_now is not None and postgres_start is not None:
            postgres_ms = (postgres_now - postgres_start) * 1000 / max(result["requests"], 1)
        # locust's own CPU over its whole run (the log-ins too), per request measured.
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_ms = (after.ru_utime + after.ru_stime - client.ru_utime - client.ru_stime) * 1000
        client_ms /= max(result["requests"], 1)
        load_after = os.getloadavg()[0]
        steps = capacity(plan_path, port) if STEPS else None
    # The figures depend on what else the machine runs: say how busy it was.
    print(
        f"  machine: {os.cpu_count()} cores, load average {load_before:.1f} before and "
        f"{load_after:.1f} after; {served_by()}; gunicorn's CPU {cpu_ms:.1f} ms per request, locust's "
        f"{client_ms:.1f} ms, PostgreSQL's "
        + (f"{postgres_ms:.1f} ms" if postgres_ms is not None else "not measured (not on this machine)")
    )
    for row in result["rows"]:
        print(
            f"  {row['Type']:>5} {row['Name']:<44} n={row['Request Count']:>6} err={row['Failure Count']:>3} "
            f"p50={row['50%']:>5} p95={row['95%']:>5} p99={row['99%']:>5} ms"
        )
    if result["errors"] and Path(f"{prefix}_failures.csv").exists():
        print(Path(f"{prefix}_failures.csv").read_text()[:2000])
    if steps is not None:
        held, lines = steps
        print("\n".join(lines))
        print(
            f"BENCH load-capacity held={held} step={STEP} step_seconds={STEP_SECONDS} p95_target_ms={P95_TARGET_MS}",
            flush=True,
        )
    print(
        f"BENCH load seconds={SECONDS} users={USERS} rps={result['rps']:.1f} p50_ms={result['p50']:.0f} "
        f"p95_ms={result['p95']:.0f} p99_ms={result['p99']:.0f} errors={result['errors']} "
        f"cpu_ms_per_request={cpu_ms:.1f} load_avg={load_before:.1f}/{load_after:.1f}",
        flush=True,
    )
