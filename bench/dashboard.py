"""The township dashboard of a township of 20,000 households in 20 villages (200 areas) with 60 approved entries
each (1.2 M entries), with residents, review rounds, objections, a published star rating, budgets and supermarket
redemptions: the page's server time (the view
rendered through Django's test Client, every figure, table and chart) against the same figures computed by
hand-written SQL in the same run (and not rendered). Target: ratio ≤ 2.
"""

import os
import time

from bench.common import (
    approved_rounds,
    best_of,
    fresh_database,
    insert_through_rounds,
    report,
    seed1_items,
    seed1_scheme,
    setup_django,
)

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "20000"))
ENTRIES_EACH = int(os.environ.get("BENCH_ENTRIES_EACH", "60"))
VILLAGES = int(os.environ.get("BENCH_VILLAGES", "20"))
YEAR = 2026


def build():
    from django.contrib.auth import get_user_model
    from django.db import connection

    from core.tenancy import township_scope
    from households.models import Area, Membership, Role, Township, Village
    from scoring import services
    from scoring.models import Item

    fresh_database()
    started = time.perf_counter()
    user = get_user_model().objects.create_user("bench")
    township = Township.objects.create(slug="bench", name="基准镇")
    office = Membership.objects.create(township=township, user=user, role=Role.TOWNSHIP_ADMIN)
    with township_scope(township):
        scheme, categories = seed1_scheme(membership=office, township=township)
        seed1_items(membership=office, categories=categories)
        services.activate_scheme(membership=office, scheme=scheme)
        villages = Village.objects.bulk_create(
            Village(township=township, name=f"村{i:02d}") for i in range(VILLAGES)
        )
        Area.objects.bulk_create(
            Area(township=township, village=v, name=f"{j}组") for v in villages for j in range(10)
        )
        items = list(Item.objects.select_related("category").order_by("id"))
    params = {"township": township.pk, "scheme": scheme.pk, "user": user.pk, "each": ENTRIES_EACH}
    with connection.cursor() as cursor:
        # Households spread over the areas; one in 25 not eligible, one in 40 opted out, one in 60 elderly opted in.
        cursor.execute(
            """
            WITH areas AS (SELECT id, village_id, row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS m
                           FROM households_area WHERE township_id = %(township)s)
            INSERT INTO households_household (township_id, village_id, area_id, number, address, status,
                participation, participation_reason, created_at, updated_at)
            SELECT %(township)s, a.village_id, a.id, 'B' || lpad(k::text, 6, '0'), '', 'active',
                CASE WHEN k %% 25 = 3 THEN 'not_eligible' WHEN k %% 40 = 5 THEN 'opted_out'
                     WHEN k %% 60 = 7 THEN 'elderly_opted_in' ELSE 'taking_part' END, '', now(), now()
            FROM generate_series(0, %(households)s - 1) AS k JOIN areas a ON a.n = k %% a.m
            """,
            {**params, "households": HOUSEHOLDS},
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_items (n int, id bigint, category_id bigint, category_name text, name text, "
            "kind text, points numeric)"
        )
        for n, item in enumerate(items):
            cursor.execute(
                "INSERT INTO bench_items VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [n, item.pk, item.category_id, item.category.name, item.name, item.kind, item.signed_points],
            )
        # 60 approved entries per household taking part, spread over the year and pseudo-randomly over the items,
        # recorded by the clerk and posted on the village's notice batch, approved after its notice (the one route
        # to the ledger).
        approved_rounds(cursor, township=township, scheme=scheme, user=user)
        ledger = time.perf_counter()
        insert_through_rounds(
            cursor,
            """township_id, household_id, village_id, scheme_id, category_id, item_id, category_name, item_name,
            item_kind, item_points, multiplier, points, year, period, occurred_on, source, reason, state,
            idempotency_key, recorded_by_id, recorded_at, approved_by_id, approved_at, decided_reason""",
            """
            SELECT h.township_id, h.id, h.village_id, %(scheme)s, i.category_id, i.id, i.category_name, i.name, i.kind,
                abs(i.points), 1, i.points, 2026, '2026', DATE '2026-01-01' + ((k * 5 + h.id) %% 330)::int, 'clerk', '',
                'approved', '', %(user)s, now(), %(user)s, now(), ''
            FROM households_household h
            CROSS JOIN generate_series(0, %(each)s - 1) AS k
            JOIN bench_items i ON i.n = (h.id * 7919 + k * 104729 + (h.id / 3) * k) %% %(items)s
            WHERE h.township_id = %(township)s AND h.participation IN ('taking_part', 'elderly_opted_in')
            """,
            {**params, "items": len(items)},
        )
        ledger = time.perf_counter() - ledger
        # Every village: quarters 1-3 approved after their notices (three days, posted five days after the
        # quarter), quarter 4 on notice (ends in two days), the annual round collecting.
        cursor.execute(
            """
            INSERT INTO review_reviewround (township_id, village_id, scheme_id, kind, period, state, notice_days,
                notice_opened_at, notice_ends_at, notice_number, notice_closed_at, notice_token, created_by_id,
                created_at, approved_at)
            SELECT %(township)s, v.id, %(scheme)s, p.kind, p.period, p.state, 3,
                CASE WHEN p.state = 'on_notice' THEN now() - interval '1 day' ELSE p.opened END,
                CASE WHEN p.state = 'on_notice' THEN now() + interval '2 days' ELSE p.ends END, 1, p.ends,
                md5(v.id::text || p.period), %(user)s, now(), p.ends + interval '1 day'
            FROM households_village v CROSS JOIN (VALUES
                ('quarterly', '2026-Q1', 'approved', TIMESTAMPTZ '2026-04-06 09:00+08', TIMESTAMPTZ '2026-04-10 00:00+08'),
                ('quarterly', '2026-Q2', 'approved', TIMESTAMPTZ '2026-07-06 09:00+08', TIMESTAMPTZ '2026-07-10 00:00+08'),
                ('quarterly', '2026-Q3', 'approved', TIMESTAMPTZ '2026-10-06 09:00+08', TIMESTAMPTZ '2026-10-10 00:00+08'),
                ('quarterly', '2026-Q4', 'on_notice', NULL, NULL), ('annual', '2026', 'collecting', NULL, NULL))
                AS p(kind, period, state, opened, ends)
            WHERE v.township_id = %(township)s
            """,
            params,
        )
        # Objections on the quarter-4 notice: one household in 400; a third upheld, a third dismissed.
        cursor.execute(
            """
            INSERT INTO review_objection (township_id, round_id, household_id, objector_name, objector_phone, reason,
                filed_by_id, filed_at, notice_number, state, outcome, resolved_by_id, resolved_at)
            SELECT %(township)s, r.id, h.id, '某某', '', '请复核', NULL, now(), 1,
                (ARRAY['upheld', 'dismissed', 'open'])[h.id %% 3 + 1], '', NULL, NULL
            FROM households_household h JOIN review_reviewround r ON r.village_id = h.village_id AND r.period = '2026-Q4'
            WHERE h.township_id = %(township)s AND h.id %% 400 = 0
            """,
            params,
        )
        # A published star rating: stars by a pseudo-random rank (the dashboard only counts them).
        cursor.execute(
            """
            INSERT INTO rewards_starrun (township_id, scheme_id, version, inputs_fingerprint, current, state,
                five_percent, four_percent, three_percent, floor, household_count, created_by_id, created_at,
                published_by_id, published_at, needs_confirmation, stale_cause, stale_changes,
                tie_break_fewer_penalties, tie_break_category_first)
            VALUES (%(township)s, %(scheme)s, 1, 'bench', true, 'published', 10, 20, 30, 140, 0, %(user)s, now(),
                %(user)s, now(), false, '', 0, true, false) RETURNING id
            """,
            params,
        )
        run_id = cursor.fetchone()[0]
        cursor.execute(  # every household's account (the roster's saves open them in the product)
            """
            INSERT INTO scoring_account (township_id, kind, village_id, area_id, household_id, created_at)
            SELECT township_id, 'household', village_id, area_id, id, now() FROM households_household
            WHERE township_id = %(township)s
            ON CONFLICT (household_id) DO NOTHING
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO rewards_starresult (township_id, run_id, village_id, household_id, total, penalties,
                tie_score, rank, n, stars, disqualified, account_id)
            SELECT h.township_id, %(run)s, h.village_id, h.id, 140, 0, NULL, r.rank, r.n,
                CASE WHEN 10 * r.rank <= r.n THEN 5 WHEN 5 * r.rank <= r.n THEN 4 WHEN 10 * r.rank <= 3 * r.n THEN 3
                     ELSE 0 END, false, a.id
            FROM households_household h JOIN scoring_account a ON a.household_id = h.id JOIN (
                SELECT id, row_number() OVER (PARTITION BY village_id ORDER BY md5(id::text)) AS rank,
                       count(*) OVER (PARTITION BY village_id) AS n
                FROM households_household
                WHERE township_id = %(township)s AND participation IN ('taking_part', 'elderly_opted_in')) r
              ON r.id = h.id
            """,
            {**params, "run": run_id},
        )
        # Two residents per household; every village a budget (1.5 + 1 yuan per resident) and a supermarket where
        # one household in three taking part has redeemed (3.50 yuan of goods).
        cursor.execute(
            """
            INSERT INTO households_resident (township_id, household_id, name, is_head, gender, birth_year, id_number,
                mobile, is_party_member, account_id, created_at, end_reason, end_note)
            SELECT h.township_id, h.id, '居民', k = 0, '', NULL, '', '', false, NULL, now(), '', ''
            FROM households_household h CROSS JOIN generate_series(0, 1) AS k WHERE h.township_id = %(township)s
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO rewards_budget (township_id, village_id, year, cap_per_resident, residents, created_by_id,
                created_at)
            SELECT v.id_township, v.id, 2026, 2, v.residents, %(user)s, now()
            FROM (SELECT h.township_id AS id_township, h.village_id AS id, COUNT(r.id) AS residents
                  FROM households_household h JOIN households_resident r ON r.household_id = h.id
                  WHERE h.township_id = %(township)s GROUP BY 1, 2) v
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO rewards_fundingline (township_id, budget_id, kind, per_resident, amount, source, note,
                created_by_id, created_at)
            SELECT b.township_id, b.id, k.kind, k.rate, k.rate * b.residents, '', '', %(user)s, now()
            FROM rewards_budget b CROSS JOIN (VALUES ('township', 1.5), ('village', 1.0)) AS k(kind, rate)
            WHERE b.township_id = %(township)s
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO rewards_shop (township_id, village_id, name, opening_hours, created_at)
            SELECT township_id, id, name || '积分超市', '', now() FROM households_village
            WHERE township_id = %(township)s
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO rewards_redemption (township_id, shop_id, account_id, household_id, year, points, cost,
                reverses_id, reason, idempotency_key, created_by_id, created_at)
            SELECT h.township_id, s.id, a.id, h.id, 2026, 1, 3.50, NULL, '', '', %(user)s, now()
            FROM households_household h JOIN rewards_shop s ON s.village_id = h.village_id
            JOIN scoring_account a ON a.household_id = h.id
            WHERE h.township_id = %(township)s AND h.id %% 3 = 0
              AND h.participation IN ('taking_part', 'elderly_opted_in')
            """,
            params,
        )
        cursor.execute("ANALYZE")
    print(
        f"built {HOUSEHOLDS} households × {ENTRIES_EACH} entries in {VILLAGES} villages in "
        f"{time.perf_counter() - started:.1f}s (the ledger through the notice batches: {ledger:.1f}s)",
        flush=True,
    )
    return township, scheme, user, run_id


def baseline_sql(categories) -> list[str]:
    """The same figures as the dashboard, by hand: one statement per figure, the fastest shapes we know."""
    sums = ", ".join(
        f"SUM(points) FILTER (WHERE category_id = {c.pk}) AS c{i}" for i, c in enumerate(categories)
    )
    scores = ", ".join(
        f"LEAST(GREATEST({c.base_score} + COALESCE(c{i}, 0), {'NULL' if c.floor is None else c.floor}::numeric), "
        f"{'NULL' if c.ceiling is None else c.ceiling}::numeric) AS s{i}"
        for i, c in enumerate(categories)
    )
    total = " + ".join(f"s{i}" for i in range(len(categories)))
    averages = ", ".join(f"AVG(s{i})" for i in range(len(categories)))
    taking_part = "('taking_part', 'elderly_opted_in')"
    return [
        f"""SELECT village_id, COUNT(*), COUNT(*) FILTER (WHERE participation <> 'not_eligible'),
                   COUNT(*) FILTER (WHERE participation IN {taking_part})
            FROM households_household WHERE township_id = %(township)s GROUP BY village_id""",
        f"""WITH counted AS (
                SELECT household_id, {sums} FROM scoring_entry
                WHERE township_id = %(township)s AND scheme_id = %(scheme)s AND state = 'approved'
                GROUP BY household_id
            ), scored AS (
                SELECT h.village_id, {scores} FROM households_household h
                LEFT JOIN counted ON counted.household_id = h.id
                WHERE h.township_id = %(township)s AND h.participation IN {taking_part}
            ), totals AS (SELECT *, {total} AS total FROM scored)
            SELECT village_id, FLOOR(total / 10) * 10 AS bucket, COUNT(*), AVG(total), {averages}
            FROM totals GROUP BY GROUPING SETS ((village_id), (village_id, bucket))""",
        """SELECT village_id, COUNT(*) FILTER (WHERE stars = 5), COUNT(*) FILTER (WHERE stars = 4),
                  COUNT(*) FILTER (WHERE stars = 3)
           FROM rewards_starresult WHERE run_id = %(run)s GROUP BY village_id""",
        """SELECT village_id, kind, period, state, notice_ends_at FROM review_reviewround
           WHERE scheme_id = %(scheme)s ORDER BY village_id, kind DESC, period""",
        """SELECT r.village_id, COUNT(*), COUNT(*) FILTER (WHERE o.state = 'upheld')
           FROM review_objection o JOIN review_reviewround r ON r.id = o.round_id
           WHERE r.scheme_id = %(scheme)s GROUP BY r.village_id""",
        """SELECT b.village_id, b.residents, b.cap_per_resident,
                  COALESCE((SELECT SUM(amount) FROM rewards_fundingline f WHERE f.budget_id = b.id), 0),
                  COALESCE((SELECT SUM(value) FROM rewards_rewardallocation a WHERE a.budget_id = b.id), 0),
                  COALESCE((SELECT SUM(r.cost) FROM rewards_redemption r JOIN rewards_shop s ON s.id = r.shop_id
                            WHERE s.village_id = b.village_id AND r.year = b.year), 0)
           FROM rewards_budget b WHERE b.township_id = %(township)s AND b.year = 2026""",
        f"""WITH residents AS (
                SELECT household_id, COUNT(*) AS n FROM households_resident WHERE township_id = %(township)s
                GROUP BY household_id
            ), redeemed AS (
                SELECT DISTINCT r.household_id FROM rewards_redemption r
                WHERE r.township_id = %(township)s AND r.year = 2026 AND r.reverses_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM rewards_redemption c WHERE c.reverses_id = r.id)
            )
            SELECT h.village_id, COUNT(*), COALESCE(SUM(m.n), 0), COUNT(d.household_id),
                   COALESCE(SUM(m.n) FILTER (WHERE d.household_id IS NOT NULL), 0)
            FROM households_household h
            LEFT JOIN residents m ON m.household_id = h.id
            LEFT JOIN redeemed d ON d.household_id = h.id
            WHERE h.township_id = %(township)s AND h.participation IN {taking_part}
            GROUP BY h.village_id""",
        f"""SELECT e.village_id, EXTRACT(QUARTER FROM e.occurred_on) AS q, SUM(e.points)
            FROM scoring_entry e JOIN households_household h ON h.id = e.household_id
            WHERE e.scheme_id = %(scheme)s AND e.state = 'approved' AND h.participation IN {taking_part}
            GROUP BY 1, 2""",
    ]


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    township, scheme, user, run_id = build()
    from core.tenancy import township_scope

    with township_scope(township):
        categories = list(scheme.categories.all())
    client = Client()
    client.force_login(user)
    target = f"/t/{township.slug}/oversight/?year={YEAR}"

    def page():
        response = client.get(target)
        assert response.status_code == 200, response.status_code
        return response.content

    ours, content = best_of(page)
    statements = baseline_sql(categories)
    params = {"township": township.pk, "scheme": scheme.pk, "run": run_id}

    def baseline():
        results = []
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results

    baseline_time, results = best_of(baseline)
    villages = {row[0] for row in results[0]}
    # The page's figures are the baseline's: households taking part and average totals, village by village.
    from households.models import Village
    from oversight.selectors import one_decimal, township_dashboard

    with township_scope(township):
        board = township_dashboard(Village.objects.all(), YEAR)
    by_sql = {row[0]: (row[2], one_decimal(row[3])) for row in results[1] if row[1] is None}
    by_page = {row.key: (row.scores.n, row.scores.average) for row in board.rows}
    mismatches = sum(1 for key, value in by_sql.items() if by_page.get(key) != value)
    print(f"villages whose taking-part count or average differ from the baseline's: {mismatches}")
    print(
        f"page: {len(content) // 1024} KiB; villages: {len(villages)}; statements in the baseline: {len(statements)}"
    )
    report("dashboard", ours, baseline_time)


if __name__ == "__main__":
    main()
