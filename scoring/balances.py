"""The balances kept with the ledger (issue 19): the rows the score statement sums, and the check against the ledger.

scoring_balance is kept by the database (scoring migration 0020); this module recomputes it from the ledger, the
truth, and lists every key whose kept row differs — what `manage.py verify_balances` reports and the weekly beat
task logs. `repair_balances` sets the differing rows to the ledger's sums (an operator's choice, after reading the
report). Raw SQL across townships: an operator's check of the whole database, not a tenant's page.
"""

import datetime
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


def counted_rows(
    key: str,
    *,
    township_id: int,
    scheme_id: int,
    period: str | None,
    year: int | None,
    until: datetime.date | None,
    also_counting: tuple[str, tuple] | None,
    their_entries: tuple[str, tuple] | None,
) -> tuple[str, list]:
    """The rows the statement sums, as (subject_id, category_id, points), and their parameters.

    The balances kept with the ledger (scoring_balance, one row per account, scheme, category and period: issue 19)
    serve every reading by period or year; a round's proposals counted for its notice are added from the ledger
    (`also_counting`, a few rows). Only a reading up to a day inside a period (`until`) sums the ledger itself."""
    filters = ["township_id = %s", "scheme_id = %s"]
    params: list = [township_id, scheme_id]
    if period is not None:
        filters.append("period = %s")
        params.append(period)
    if year is not None:
        filters.append("year = %s")
        params.append(year)
    if their_entries is not None:
        filters.append(f"{key} IN ({their_entries[0]})")
        params += their_entries[1]
    where = " AND ".join(filters)
    rows = f"SELECT {key} AS subject_id, category_id, points FROM scoring_entry WHERE {where}"  # noqa: S608
    proposed = f"state = 'proposed' AND id IN ({also_counting[0]})" if also_counting else "false"
    also_params = list(also_counting[1]) if also_counting else []
    if until is not None:
        counted = f"(state = 'approved' OR ({proposed}))"
        return f"{rows} AND {counted} AND occurred_on <= %s", [*params, *also_params, until]
    balances = f"SELECT {key} AS subject_id, category_id, points FROM scoring_balance WHERE {where}"  # noqa: S608
    if also_counting is None:
        return balances, params
    return f"{balances} UNION ALL {rows} AND {proposed}", [*params, *params, *also_params]


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
