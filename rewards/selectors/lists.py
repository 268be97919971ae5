"""Stars of the lists without a star rating run (issue 14, item 2): villagers, party members and units of a scheme
that keeps their accounts are banded by the scheme's own star bands (`rule.bands_of`: the top five / four / three
percent of a village's list), on their rank in the village's ranking (`scoring.rankings`, the one score statement).
Equal totals share a rank and the higher band, as for households; an account needs points (a total above 0) and
at least the star floor. Computed when read: these lists have no published, versioned run (households keep theirs).
"""

from scoring.models import RankingList, Scheme
from scoring.rankings import Ranked, Ranking

from .rule import bands_of


def list_stars(scheme: Scheme, ranking: str, village) -> list[tuple[Ranked, int]]:
    """The village's list, highest total first, each with its stars (0: none)."""
    if ranking == RankingList.HOUSEHOLD:
        raise ValueError("families are rated by the star rating run (rewards.services.rate_stars)")
    village_ranking = Ranking(scheme, ranking, village=village)
    rows = village_ranking[0 : village_ranking.count()]
    bands = bands_of(scheme)
    five, four, three = bands.shares(len(rows))
    return [(row, _stars(row, five, four, three, bands.floor)) for row in rows]


def _stars(row: Ranked, five: int, four: int, three: int, floor) -> int:
    if row.total <= 0 or row.total < floor:
        return 0
    for stars, last_rank in ((5, five), (4, four), (3, three)):
        if row.rank <= last_rank:
            return stars
    return 0
