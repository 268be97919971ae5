"""The balances kept with the ledger, checked against it (issue 19).

scoring_balance is kept by the database (scoring migration 0020); this module recomputes it from the ledger, the
truth, and lists every key whose kept row differs — what `manage.py verify_balances` reports and the weekly beat
task logs. `repair_balances` sets the differing rows to the ledger's sums (an operator's choice, after reading the
report). Raw SQL across townships: an operator's check of the whole database, not a tenant's page.
"""

from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction

# The same sum as the trigger's, over the whole ledger (and the migration's backfill).
LEDGER_SUMS = """
    SELECT township_id, account_id, household_id, scheme_id, category_id, year, period, SUM(points) AS points,
        SUM(CASE WHEN item_kind = 'penalty' THEN -points ELSE 0 END) AS penalties, COUNT(*) AS entries
    FROM scoring_entry
    WHERE state = 'approved'
    GROUP BY township_id, account_id, household_id, scheme_id, category_id, year, period
"""

DIFFERENCES = f"""
    SELECT COALESCE(l.township_id, k.township_id), account_id, scheme_id, category_id, year, period,
        l.points, k.points, l.penalties, k.penalties, l.entries, k.entries
    FROM ({LEDGER_SUMS}) l
    FULL JOIN scoring_balance k USING (account_id, scheme_id, category_id, year, period)
    WHERE l.points IS DISTINCT FROM k.points OR l.penalties IS DISTINCT FROM k.penalties
        OR l.entries IS DISTINCT FROM k.entries
    ORDER BY 1, 2, 3, 4, 5, 6
"""  # noqa: S608


class Difference(NamedTuple):
    """A key whose kept balance differs from the ledger's sum (None: no row on that side)."""

    township_id: int
    account_id: int
    scheme_id: int
    category_id: int
    year: int
    period: str
    ledger_points: Decimal | None
    kept_points: Decimal | None
    ledger_penalties: Decimal | None
    kept_penalties: Decimal | None
    ledger_entries: int | None
    kept_entries: int | None


def balance_differences() -> list[Difference]:
    with connection.cursor() as cursor:
        cursor.execute(DIFFERENCES)
        return [Difference(*row) for row in cursor.fetchall()]


def repair_balances() -> int:
    """Rewrite the differing rows from the ledger, in one transaction that locks the balances against the
    trigger's writes meanwhile; returns the number of keys rewritten."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE scoring_balance IN SHARE ROW EXCLUSIVE MODE")
        differences = balance_differences()
        for d in differences:
            cursor.execute(
                "DELETE FROM scoring_balance WHERE account_id = %s AND scheme_id = %s AND category_id = %s "
                "AND year = %s AND period = %s",
                [d.account_id, d.scheme_id, d.category_id, d.year, d.period],
            )
            if d.ledger_entries:
                cursor.execute(
                    f"INSERT INTO scoring_balance (township_id, account_id, household_id, scheme_id, category_id, "  # noqa: S608
                    f"year, period, points, penalties, entries) SELECT * FROM ({LEDGER_SUMS}) l "
                    "WHERE account_id = %s AND scheme_id = %s AND category_id = %s AND year = %s AND period = %s",
                    [d.account_id, d.scheme_id, d.category_id, d.year, d.period],
                )
        return len(differences)
