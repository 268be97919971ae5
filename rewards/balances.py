"""What accounts have spent, kept with the supermarket's ledger (rewards_spentbalance, rewards migration 0014),
checked against the redemptions and clearings themselves (issue 19): `manage.py verify_balances` reports every
account and year whose kept row differs, and `repair_spent` rewrites those rows from the source rows."""

from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction

SPENT_SUMS = """
    SELECT township_id, account_id, MAX(household_id) AS household_id, year, SUM(redeemed) AS redeemed,
        SUM(cleared) AS cleared
    FROM (
        SELECT township_id, account_id, household_id, year, points AS redeemed, 0 AS cleared FROM rewards_redemption
        UNION ALL
        SELECT township_id, account_id, household_id, year, 0, points FROM rewards_spendableclearing
    ) spent
    GROUP BY township_id, account_id, year
"""

DIFFERENCES = f"""
    SELECT COALESCE(l.township_id, k.township_id), account_id, year, l.redeemed, k.redeemed, l.cleared, k.cleared
    FROM ({SPENT_SUMS}) l
    FULL JOIN rewards_spentbalance k USING (account_id, year)
    WHERE l.redeemed IS DISTINCT FROM k.redeemed OR l.cleared IS DISTINCT FROM k.cleared
    ORDER BY 1, 2, 3
"""  # noqa: S608


class SpentDifference(NamedTuple):
    township_id: int
    account_id: int
    year: int
    source_redeemed: Decimal | None
    kept_redeemed: Decimal | None
    source_cleared: Decimal | None
    kept_cleared: Decimal | None


def spent_differences() -> list[SpentDifference]:
    with connection.cursor() as cursor:
        cursor.execute(DIFFERENCES)
        return [SpentDifference(*row) for row in cursor.fetchall()]


def repair_spent() -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE rewards_spentbalance IN SHARE ROW EXCLUSIVE MODE")
        differences = spent_differences()
        for d in differences:
            cursor.execute(
                "DELETE FROM rewards_spentbalance WHERE account_id = %s AND year = %s", [d.account_id, d.year]
            )
            if d.source_redeemed is not None:
                cursor.execute(
                    f"INSERT INTO rewards_spentbalance (township_id, account_id, household_id, year, redeemed, "  # noqa: S608
                    f"cleared) SELECT * FROM ({SPENT_SUMS}) l WHERE account_id = %s AND year = %s",
                    [d.account_id, d.year],
                )
        return len(differences)
