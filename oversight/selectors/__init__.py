"""The figures of the oversight dashboards (township, village, county), read from the other apps' tables.

Every figure is a database aggregate: the dashboard runs a fixed number of queries whatever the number of villages
or households (tests/oversight/test_queries.py). Call inside the township scope (the county view opens one scope per
township). Nothing here names a household except `households_losing_most` and `open_alerts` (the clerk's village
page), which county viewers never get. By purpose: `figures`, `dashboards`, `village`.
"""

from .dashboards import (
    BudgetSum,
    Dashboard,
    Figures,
    sum_rows,
    township_dashboard,
    village_dashboard,
)
from .figures import (
    BUCKET,
    GROUPED,
    ONE_DECIMAL,
    QUARTERS,
    TOP_LOSERS,
    Counts,
    GroupKey,
    LedgerFigures,
    ObjectionCounts,
    RoundStatus,
    Scores,
    StarCounts,
    default_year,
    everyone,
    household_counts,
    ledger_figures,
    objection_counts,
    one_decimal,
    percent,
    quarter_net,
    roll_up,
    round_statuses,
    scheme_of_year,
    scheme_years,
    score_groups,
    star_counts,
    star_run_of,
)
from .village import (
    current_quarter,
    households_losing_most,
    open_alerts,
)

__all__ = [
    "BUCKET",
    "BudgetSum",
    "Counts",
    "Dashboard",
    "Figures",
    "GROUPED",
    "GroupKey",
    "LedgerFigures",
    "ONE_DECIMAL",
    "ObjectionCounts",
    "QUARTERS",
    "RoundStatus",
    "Scores",
    "StarCounts",
    "TOP_LOSERS",
    "current_quarter",
    "default_year",
    "everyone",
    "household_counts",
    "households_losing_most",
    "ledger_figures",
    "objection_counts",
    "one_decimal",
    "open_alerts",
    "percent",
    "quarter_net",
    "roll_up",
    "round_statuses",
    "scheme_of_year",
    "scheme_years",
    "score_groups",
    "star_counts",
    "star_run_of",
    "sum_rows",
    "township_dashboard",
    "village_dashboard",
]
