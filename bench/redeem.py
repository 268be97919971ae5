"""redeem: the counter's redemption endpoint (POST /api/v1/t/<township>/redemptions/, the township office's session
kept in Redis as production keeps it, two donated products of one point each) against the same SQL transaction
written by hand (lock the account, read its spendable balance — approved net points of its schemes less what it has
spent —, lock the products, check the stock, insert the redemption and its lines, move the stock and record the
moves), in the same run: one of each in turn, 60 of each (BENCH_REDEEM_REQUESTS), the medians compared. Target:
ratio ≤ 5.

Then 20 parallel clients (threads, each with its own Django connection and session) redeem on 3 households and 2
products of one village, 10 times each: 0 deadlocks (PostgreSQL's own count for the database, before and after),
no server error, and at the end every product's stock equals its opening stock less the quantities redeemed (and
the sum of its stock moves), and every household's spendable balance equals its earned points less what it spent,
never below zero. A township of one village of 200 households with 30 approved entries each (bench/county.py's
seeding, through the notice batch).
"""

import os
import statistics
import threading
import time
from collections.abc import Callable
from decimal import Decimal

from bench.common import fresh_database, report, setup_django

REQUESTS = int(os.environ.get("BENCH_REDEEM_REQUESTS", "60"))
CLIENTS = int(os.environ.get("BENCH_REDEEM_CLIENTS", "20"))
EACH = int(os.environ.get("BENCH_REDEEM_EACH", "10"))
OPENING_STOCK = 1_000_000
YEAR = 2026

BY_HAND = [
    ("lock", "SELECT id, household_id FROM scoring_account WHERE id = %(account)s FOR UPDATE"),
    (
        "earned",
        """SELECT COALESCE(SUM(e.points), 0) FROM scoring_entry e JOIN scoring_scheme s ON s.id = e.scheme_id
           WHERE e.household_id = %(household)s AND e.state = 'approved' AND s.township_id = %(township)s
             AND s.year <= %(year)s AND s.state <> 'draft'""",
    ),
    (
        "spent",
        "SELECT COALESCE(SUM(points), 0) FROM rewards_redemption WHERE account_id = %(account)s AND year <= %(year)s",
    ),
    (
        "products",
        """SELECT id, points, cost, stock, active FROM rewards_product WHERE id = ANY(%(products)s) AND shop_id = %(shop)s
           ORDER BY id FOR UPDATE""",
    ),
    (
        "redemption",
        """INSERT INTO rewards_redemption (township_id, shop_id, account_id, household_id, year, points, cost,
               reverses_id, reason, idempotency_key, created_by_id, created_at)
           VALUES (%(township)s, %(shop)s, %(account)s, %(household)s, %(year)s, %(points)s, 0, NULL, '', '',
               %(user)s, now()) RETURNING id""",
    ),
    (
        "lines",
        """INSERT INTO rewards_redemptionline (township_id, redemption_id, product_id, quantity, points, cost)
           SELECT %(township)s, %(redemption)s, p.id, 1, p.points, p.cost FROM rewards_product p
           WHERE p.id = ANY(%(products)s)""",
    ),
    ("stock", "UPDATE rewards_product SET stock = stock - 1 WHERE id = ANY(%(products)s)"),
    (
        "moves",
        """INSERT INTO rewards_stockmove (township_id, product_id, change, reason, note, redemption_id, created_by_id,
               created_at)
           SELECT %(township)s, p, -1, 'redemption', '', %(redemption)s, %(user)s, now()
           FROM unnest(%(products)s::bigint[]) AS p""",
    ),
]


def build():
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.county import Progress, seed_entries, seed_township, township
    from core.tenancy import township_scope
    from households.models import Household, Village
    from rewards import services

    fresh_database()
    users = get_user_model().objects
    user = users.create_user("bench")
    place, office, scheme = township(0, user, users.create_user("county"), villages=1)
    with connection.cursor() as cursor:
        seeded = seed_township(cursor, place, scheme, user, 200)
    seed_entries(seeded, 30, "redeem", Progress(200))  # on this connection, closed at its end
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with township_scope(place):
        village = Village.objects.order_by("pk").first()
        shop = services.open_shop(membership=office, village=village)
        products = [
            services.add_product(
                membership=office,
                shop=shop,
                name=name,
                points=Decimal("1"),
                stock=OPENING_STOCK,
                source="donated",
            )
            for name in ("肥皂", "食用油")
        ]
        households = list(Household.objects.taking_part().filter(village=village).order_by("pk"))
    return place, office, scheme, shop, products, households


def main() -> None:
    setup_django(served=True)
    from django.conf import settings
    from django.db import connection, connections, transaction
    from django.test import Client

    from core.tenancy import township_scope
    from rewards.models import Product, Redemption, RedemptionLine, StockMove
    from rewards.selectors import spendable_balance
    from scoring.accounts import account_of

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    place, office, scheme, shop, products, households = build()
    with township_scope(place):
        rich = [h for h in households if spendable_balance(h, year=YEAR).available >= 12]
        accounts = {h.pk: account_of(h) for h in rich}
    assert len(rich) >= 3 + REQUESTS // 4, f"only {len(rich)} households can spend enough"
    url = f"/api/v1/t/{place.slug}/redemptions/"
    items = [{"product": p.pk, "quantity": 1} for p in products]

    def post(client, household):
        response = client.post(
            url, {"household": household.pk, "shop": shop.pk, "items": items}, content_type="application/json"
        )
        return response

    client = Client()
    client.force_login(office.user)
    spenders = rich[3:]
    ids = [p.pk for p in products]

    def through_the_endpoint(household) -> None:
        response = post(client, household)
        assert response.status_code == 201, (response.status_code, response.content[:300])

    def by_hand(household) -> None:
        params = {
            "account": accounts[household.pk].pk,
            "household": household.pk,
            "township": place.pk,
            "year": YEAR,
            "products": ids,
            "shop": shop.pk,
            "user": office.user_id,
            "points": Decimal(len(ids)),
        }
        with transaction.atomic(), connection.cursor() as cursor:
            for name, sql in BY_HAND:
                cursor.execute(sql, params)
                if name == "earned":
                    earned = cursor.fetchone()[0]
                elif name == "spent":
                    spent = cursor.fetchone()[0]
                    assert earned - spent >= params["points"], "the floor checks the balance too"
                elif name == "products":
                    assert all(stock >= 1 and active for _id, _p, _c, stock, active in cursor.fetchall())
                elif name == "redemption":
                    params["redemption"] = cursor.fetchone()[0]

    # One of each in turn (after one of each to warm up): both sides see the machine in the same state, so a change
    # of its speed during the run (a shared host's) moves both medians, not the ratio.
    times: dict[Callable[[object], None], list[float]] = {through_the_endpoint: [], by_hand: []}
    for n in range(REQUESTS + 1):
        for way in times:
            start = time.perf_counter()
            way(spenders[n % len(spenders)])
            if n:
                times[way].append(time.perf_counter() - start)
    ours, baseline = statistics.median(times[through_the_endpoint]), statistics.median(times[by_hand])
    print(f"one redemption: endpoint {ours * 1000:.1f} ms, by hand {baseline * 1000:.2f} ms", flush=True)

    # 20 parallel clients on 3 households and the 2 products.
    few = rich[:3]
    with township_scope(place):
        before_stock = {p.pk: p.stock for p in Product.objects.filter(pk__in=ids)}
        before_balance = {h.pk: spendable_balance(h, year=YEAR) for h in few}
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        deadlocks_before = cursor.fetchone()[0]
    outcomes: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def counter(k: int) -> None:
        mine = Client()
        mine.force_login(office.user)
        try:
            for n in range(EACH):
                try:
                    code = post(mine, few[(k + n) % len(few)]).status_code
                except Exception as exc:  # a deadlock or any other error the server would answer 500 for
                    code = 500
                    with lock:
                        failures.append(repr(exc)[:200])
                with lock:
                    outcomes.append(code)
        finally:
            connections.close_all()

    start = time.perf_counter()
    threads = [threading.Thread(target=counter, args=(k,)) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    parallel = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        deadlocks = cursor.fetchone()[0] - deadlocks_before
    with township_scope(place):
        wrong = []
        for product in Product.objects.filter(pk__in=ids):
            taken = sum(RedemptionLine.objects.filter(product=product).values_list("quantity", flat=True))
            moved = sum(StockMove.objects.filter(product=product).values_list("change", flat=True))
            if product.stock != OPENING_STOCK - taken or product.stock != moved or product.stock < 0:
                wrong.append(f"{product.name}: stock {product.stock}, redeemed {taken}, moves {moved}")
        for household in few:
            balance = spendable_balance(household, year=YEAR)
            spent = sum(Redemption.objects.filter(household=household).values_list("points", flat=True))
            redeemed = balance.spent - before_balance[household.pk].spent
            if balance.spent != spent or balance.earned != before_balance[household.pk].earned:
                wrong.append(f"{household.number}: spent {balance.spent} but redemptions sum {spent}")
            if balance.earned - balance.spent < 0:
                wrong.append(f"{household.number}: overspent ({balance.earned} − {balance.spent})")
            print(f"household {household.number}: redeemed {redeemed} points in parallel", flush=True)
        sold = {p: before_stock[p] - Product.objects.get(pk=p).stock for p in ids}
    codes = {code: outcomes.count(code) for code in sorted(set(outcomes))}
    print(
        f"{CLIENTS} clients × {EACH} redemptions in {parallel:.1f}s: answers {codes}; deadlocks: {deadlocks}; "
        f"sold in parallel {sold}; inconsistencies: {len(wrong)}",
        flush=True,
    )
    for line in wrong + failures[:5]:
        print("  ", line)
    if deadlocks or wrong or failures or set(codes) - {201, 400}:
        raise SystemExit("the parallel redemptions went wrong")
    report("redeem", ours, baseline)


if __name__ == "__main__":
    main()
