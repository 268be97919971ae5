"""The plans of the benchmarks' main statements at 100k-row scale (issue 19, item 3): no sequential scan of the ledger
(scoring_entry) where an index or the balance rows serve.

Three townships of 1,100 households with 30 approved entries each (≈ 94k entries), built once for the module by
bench/county.py's SQL seeding (through every village's approved notice batch, the one route to the ledger) and
ANALYZEd; rolled back at the module's end. Each reading runs once with its queries captured; every SELECT of it that
reads the ledger or its balances (scoring_balance, rewards_spentbalance: kept with the ledger by triggers) is then
run again under `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`, and its plan is walked for a `Seq Scan` node on
scoring_entry. Why each index exists: docs-scale-indexes.md.
"""

import json
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.county import load_entries, seed_township, township
from core.tenancy import dangerously_all_townships, township_scope
from households.models import Household, Village
from oversight.selectors import township_dashboard
from rewards import services as rewards
from rewards.selectors import spendable_balance
from scoring.selectors import ScoreList, annual_totals, household_scores

pytestmark = pytest.mark.django_db

TOWNSHIPS, HOUSEHOLDS, EACH = 3, 1_100, 30
LEDGER_TABLES = ("scoring_entry", "scoring_balance", "rewards_spentbalance")


@dataclass
class Ground:
    places: list
    user: object

    @property
    def place(self):
        return self.places[1][0]

    @property
    def office(self):
        return self.places[1][1]

    @property
    def scheme(self):
        return self.places[1][2]


@pytest.fixture(scope="module")
def ground(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), dangerously_all_townships(), transaction.atomic():
        users = get_user_model().objects
        user, county = users.create_user("plans-office"), users.create_user("plans-county")
        places = [township(n, user, county) for n in range(TOWNSHIPS)]
        with connection.cursor() as cursor:
            for place, _office, scheme in places:
                load_entries(cursor, seed_township(cursor, place, scheme, user, HOUSEHOLDS), EACH, place.slug)
            # The deferred foreign keys of 94k entries checked once now, not again at every test's end.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in ("scoring_entry", "scoring_account", "households_household", "review_roundentry"):
                cursor.execute(f"ANALYZE {table}")
        yield Ground(places, user)
        transaction.set_rollback(True)


def seq_scans(plan: dict) -> list[dict]:
    """The `Seq Scan` nodes on scoring_entry anywhere in a JSON plan."""
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") == "scoring_entry":
        found.append(plan)
    for child in plan.get("Plans", []):
        found += seq_scans(child)
    return found


def ledger_plans(run) -> list[tuple[str, dict]]:
    """Run `run()` with its queries captured; EXPLAIN ANALYZE each SELECT that reads the ledger or its balances."""
    with CaptureQueriesContext(connection) as captured:
        run()
    statements = [
        q["sql"]
        for q in captured.captured_queries
        if any(table in q["sql"] for table in LEDGER_TABLES)
        and q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    assert statements, "the reading read neither the ledger nor its balances"
    plans = []
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            (document,) = cursor.fetchone()
            plans.append((sql, (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]))
    return plans


def assert_no_ledger_seq_scan(run) -> None:
    scanned = [(sql, scans) for sql, plan in ledger_plans(run) if (scans := seq_scans(plan))]
    assert not scanned, "\n\n".join(
        f"{sql[:600]}\n→ Seq Scan on scoring_entry, {s['Actual Rows']} rows, filter {s.get('Filter')}"
        for sql, scans in scanned
        for s in scans
    )


def test_the_ground_is_at_100k_rows_scale(ground):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM scoring_entry")
        assert cursor.fetchone()[0] > 90_000


def test_the_walk_finds_a_sequential_scan_of_the_ledger(ground):
    [(_sql, plan)] = ledger_plans(
        lambda: list(connection.cursor().execute("SELECT sum(points) FROM scoring_entry"))
    )
    assert seq_scans(plan)


def test_the_scores_read_the_balances_not_the_ledger(ground):
    """Since the balances (issue 19, item 1) the score statement reads no entry at all."""
    with township_scope(ground.place), CaptureQueriesContext(connection) as captured:
        annual_totals(ground.scheme)
    assert any("scoring_balance" in q["sql"] for q in captured.captured_queries)
    assert not any("scoring_entry" in q["sql"] for q in captured.captured_queries)


def test_the_annual_totals_of_a_township(ground):
    with township_scope(ground.place):
        assert_no_ledger_seq_scan(lambda: annual_totals(ground.scheme))


def test_one_households_page(ground):
    with township_scope(ground.place):
        household = Household.objects.taking_part().order_by("pk")[5]
        assert_no_ledger_seq_scan(
            lambda: household_scores(ground.scheme, Household.objects.filter(pk=household.pk))
        )


def test_a_villages_list(ground):
    with township_scope(ground.place):
        village = Village.objects.order_by("pk")[3]
        scores = ScoreList(ground.scheme, Household.objects.taking_part().filter(village=village))
        assert_no_ledger_seq_scan(lambda: scores[0:50])


def test_the_township_dashboard(ground):
    year = ground.scheme.year
    with township_scope(ground.place):
        assert_no_ledger_seq_scan(
            lambda: township_dashboard(Village.objects.all(), year, whole_township=True)
        )


def test_the_star_rating(ground):
    with township_scope(ground.place), transaction.atomic():
        assert_no_ledger_seq_scan(lambda: rewards.rate_stars(membership=ground.office, scheme=ground.scheme))
        transaction.set_rollback(True)


def test_the_household_list(ground):
    client = Client()
    client.force_login(ground.user)
    url = f"/api/v1/t/{ground.place.slug}/households/"
    with township_scope(ground.place):
        village = Village.objects.order_by("pk")[2]

    def page():
        for query in ({}, {"village": village.pk}):
            response = client.get(url, query)
            assert response.status_code == 200 and response.json()["results"]

    # The list reads the ledger only when it shows scores: then it must not scan it.
    with CaptureQueriesContext(connection) as captured:
        page()
    if any("scoring_entry" in q["sql"] for q in captured.captured_queries):
        assert_no_ledger_seq_scan(page)


def test_the_redemptions_balance_read(ground):
    with township_scope(ground.place):
        household = Household.objects.taking_part().order_by("pk")[7]
        assert_no_ledger_seq_scan(lambda: spendable_balance(household, year=ground.scheme.year))
