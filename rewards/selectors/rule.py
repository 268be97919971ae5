"""The star rule, once (issues 6 and 12; the rule itself is told in rewards.services.stars): the bands and the
tie-breakers of a scheme, and the ranking statement `RANKED` over the ledger's own statements, which the rating
stores and the annual notice reads (`proposed_stars`)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from households.models import Household
from scoring.models import (
    Entry,
    Scheme,
)
from scoring.selectors import base_total, score_statement

from ..models import (
    StarRule,
)
from .stars import VillageStatus, disqualifying_entries, penalty_points, star_rule


@dataclass(frozen=True)
class Bands:
    five: int
    four: int
    three: int
    floor: Decimal

    def header(self) -> str:
        """The settings' part of the fingerprint (the same text on every database)."""
        return f"bands {self.five} {self.four} {self.three} floor {self.floor:.2f}\n"

    def shares(self, n: int) -> tuple[int, int, int]:
        """The largest rank of each band: 100·r ≤ p·N ⇔ r ≤ ⌊p·N / 100⌋ for an integer r (still no floats)."""
        return self.five * n // 100, self.four * n // 100, self.three * n // 100


def bands_of(scheme: Scheme) -> Bands:
    rule = star_rule(scheme)
    floor = rule.star_floor if rule.star_floor is not None else base_total(scheme)
    return Bands(rule.star_five_percent, rule.star_four_percent, rule.star_three_percent, floor)


@dataclass(frozen=True)
class TieBreak:
    """The tie-breakers of the total, in order: fewer penalty points, a higher score in `category_id`."""

    fewer_penalties: bool = False
    category_id: int | None = None
    category_first: bool = False

    def order(self) -> list[str]:
        """The ordered names of the tie-breakers: "penalties", "category"."""
        keys = (["penalties"] if self.fewer_penalties else []) + (["category"] if self.category_id else [])
        return list(reversed(keys)) if self.category_first else keys

    def header(self) -> str:
        return f"ties {' '.join(self.order()) or '-'} category {self.category_id or '-'}\n"


def tie_break_of(scheme: Scheme) -> TieBreak:
    """The scheme's tie-breakers (default, without a StarRule row: fewer penalty points, no category)."""
    rule = StarRule.objects.filter(scheme=scheme).first()
    if rule is None:
        return TieBreak(fewer_penalties=True)
    return TieBreak(rule.tie_break_fewer_penalties, rule.tie_break_category_id, rule.tie_break_category_first)


def villages_header(statuses: Iterable[VillageStatus]) -> str:
    """Which villages are rated and why not: part of the fingerprint (a rated village changes the results)."""
    return "villages " + " ".join(f"{v.village_id}:{v.status}" for v in statuses) + "\n"


def band_overflow(n: int, five: int, four: int, three: int, bands: Bands) -> int:
    """How many households the bands hold over their share, at most over the three (cumulative: the five-star
    band, five and four together, all three). Only ties can make it more than 0."""
    share_five, share_four, share_three = bands.shares(n)
    return max(0, five - share_five, five + four - share_four, five + four + three - share_three)


# The rule, once: the households of each village ranked by total, then by the tie-breakers, over the ledger's own
# statements, and their stars. The rating stores it (RANK_AND_STORE, no rows through Python); the annual notice
# reads it (`proposed_stars`). tests/rewards/test_stars.py and tests/test_score_rule_oracles.py check it against
# the Python oracle, row for row and in the fingerprint; bench/stars.py measured the rating without tie-breakers
# at 1.90× one bare query computing the stars. Parameters: the floor and the bands' percentages, then the
# statements' own.
RANKED = """
    SELECT village_id, id AS household_id, total, penalties, tie_score, r AS rank, n,
           CASE WHEN vetoed OR total < %s THEN 0
                WHEN 100 * r <= %s * n THEN 5
                WHEN 100 * r <= %s * n THEN 4
                WHEN 100 * r <= %s * n THEN 3
                ELSE 0 END AS stars,
           vetoed AS disqualified
    FROM (
        SELECT t.id, h.village_id, t.total, COALESCE(p.penalties, 0) AS penalties, {tie_score} AS tie_score,
               v.household_id IS NOT NULL AS vetoed,
               RANK() OVER (PARTITION BY h.village_id ORDER BY {order}) AS r,
               COUNT(*) OVER (PARTITION BY h.village_id) AS n
        FROM ({totals}) t
        JOIN households_household h ON h.id = t.id
        LEFT JOIN (SELECT DISTINCT d.household_id FROM ({vetoed}) d) v ON v.household_id = t.id
        LEFT JOIN ({penalties}) p ON p.household_id = t.id
    ) ranked
"""
ORDER_TERMS = {"penalties": "COALESCE(p.penalties, 0) ASC", "category": "{tie_score} DESC NULLS LAST"}


def ranked_sql(
    scheme: Scheme,
    bands: Bands,
    tie_break: TieBreak,
    households: QuerySet[Household],
    *,
    also_counting: QuerySet[Entry] | None = None,
    only_their_entries: bool = False,
) -> tuple[str, list]:
    """The rule over these households (RANKED) and its parameters. With `also_counting` (a round's entries) its
    proposals count as if approved: in the totals, the vetoes and the penalties alike."""
    totals = score_statement(
        scheme, households, also_counting=also_counting, only_their_entries=only_their_entries
    )
    vetoed, vetoed_params = (
        disqualifying_entries(scheme, also_counting).values("household_id").query.sql_with_params()
    )
    penalties, penalties_params = penalty_points(scheme, also_counting).query.sql_with_params()
    # The tie-break category's score is the statement's own column for it.
    columns: dict[int | None, str] = {
        category.pk: f"t.s{index}" for index, category in enumerate(totals.categories)
    }
    tie_score = columns.get(tie_break.category_id, "NULL::numeric")
    order = ", ".join(["t.total DESC", *(ORDER_TERMS[key] for key in tie_break.order())])
    sql = RANKED.format(
        totals=totals.sql,
        vetoed=vetoed,
        penalties=penalties,
        tie_score=tie_score,
        order=order.format(tie_score=tie_score),
    )
    return sql, [
        bands.floor,
        bands.five,
        bands.four,
        bands.three,
        *totals.params,
        *vetoed_params,
        *penalties_params,
    ]


def proposed_stars(
    scheme: Scheme, households: QuerySet[Household], *, also_counting: QuerySet[Entry]
) -> dict[int, int]:
    """{household id: stars} the rule gives these households (one village: an annual notice) when the proposals
    among `also_counting` count as if approved, with the scheme's bands and tie-breakers: one statement."""
    sql, params = ranked_sql(
        scheme,
        bands_of(scheme),
        tie_break_of(scheme),
        households,
        also_counting=also_counting,
        only_their_entries=True,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT household_id, stars FROM ({sql}) ranked", params)  # noqa: S608
        return dict(cursor.fetchall())
