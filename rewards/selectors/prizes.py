"""Read queries of the term-end prizes (seed 2): the class ranked by the star rating's own rule, the tiers it
gives, and the prizes a member sees.

The ranking is the star rating's statement (`ranked_sql`, rewards.selectors.rule) over one class: the term total of
the one score rule, then the scheme's tie-breakers; students still exactly tied share a rank, and so the higher
tier, as tied households share the higher star band. A disqualified student (一票否决) gets no prize, as they get
no star. With tiers of 5/5/5: rank ≤ 5 first, ≤ 10 second, ≤ 15 third."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet

from households.models import Membership, Village
from scoring.models import Scheme

from ..models import PrizeList, PrizeListState, PrizeTier, TermPrize
from .rule import bands_of, ranked_sql, tie_break_of
from .stars import rating_households, star_rule
from .visibility import visible_to


@dataclass(frozen=True)
class Ranked:
    household_id: int
    total: Decimal
    rank: int
    disqualified: bool


@dataclass(frozen=True)
class TierSizes:
    first: int
    second: int
    third: int

    def tier(self, rank: int) -> int | None:
        """The tier of a place (tied students share a place, hence the higher tier); None: no prize."""
        if rank <= self.first:
            return PrizeTier.FIRST
        if rank <= self.first + self.second:
            return PrizeTier.SECOND
        if rank <= self.first + self.second + self.third:
            return PrizeTier.THIRD
        return None


def tier_sizes(scheme: Scheme) -> TierSizes:
    rule = star_rule(scheme)
    return TierSizes(rule.prize_first, rule.prize_second, rule.prize_third)


def class_ranking(scheme: Scheme, village: Village) -> list[Ranked]:
    """The class's students taking part, best first, by the star rating's rule (one statement)."""
    sql, params = ranked_sql(
        scheme,
        bands_of(scheme),
        tie_break_of(scheme),
        rating_households(scheme, [village.pk]),
        only_their_entries=True,
    )
    query = f"SELECT household_id, total, rank, disqualified FROM ({sql}) ranked ORDER BY rank, household_id"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [Ranked(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class Prize:
    household_id: int
    tier: int
    rank: int
    total: Decimal


def proposed_prizes(
    scheme: Scheme, village: Village, sizes: TierSizes, ranking: list[Ranked] | None = None
) -> list[Prize]:
    """The prizes the rule gives the class now (from `ranking` when the caller has it), best first."""
    prizes = []
    for row in class_ranking(scheme, village) if ranking is None else ranking:
        tier = None if row.disqualified else sizes.tier(row.rank)
        if tier is not None:
            prizes.append(Prize(row.household_id, tier, row.rank, row.total))
    return prizes


def prize_lists_visible_to(membership: Membership) -> QuerySet[PrizeList]:
    return visible_to(membership, PrizeList.objects.all(), "village")


def term_prizes_visible_to(membership: Membership) -> QuerySet[TermPrize]:
    """A student's prizes (a parent sees their own student's only)."""
    return visible_to(membership, TermPrize.objects.all(), "village", household_record=True)


def pending_prizes(membership: Membership, village: Village) -> QuerySet[TermPrize]:
    """待兑现奖品: the class's published prizes of earlier terms not handed out yet (oldest term first)."""
    return (
        term_prizes_visible_to(membership)
        .filter(village=village, prize_list__state=PrizeListState.PUBLISHED, handed_out_at__isnull=True)
        .select_related("household", "scheme")
        .order_by("scheme__starts_on", "tier", "rank", "household__number")
    )
