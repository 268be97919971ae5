"""Rankings per list (issue 14, item 2): families, villagers, party members and units each have their own ranking
in a scheme that keeps their kind of account. One SQL over the score statement (`selectors.score_statement`, the
one source of the rule): rank, holder and total per account, with the competition rank PostgreSQL computes
(`rank()`: equal totals share a rank)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from core.permissions import restrict_to_visible
from households.models import TAKING_PART_STATUSES, Membership, Village

from .models import LIST_KIND, Account, RankBy, RankingList, Scheme, SchemeState
from .selectors import score_statement

RANKED = """
    SELECT t.id, rank() OVER (ORDER BY t.total DESC) AS rank, t.total, a.kind,
        COALESCE(hh.number, rh.number, '') AS number,
        COALESCE(head.name, r.name, u.name, '') AS name,
        v.name AS village, COALESCE(ar.name, '') AS area, COUNT(*) OVER () AS accounts
    FROM ({statement}) t
    JOIN scoring_account a ON a.id = t.id
    JOIN households_village v ON v.id = a.village_id
    LEFT JOIN households_area ar ON ar.id = a.area_id
    LEFT JOIN households_household hh ON hh.id = a.household_id
    LEFT JOIN households_resident head ON head.household_id = hh.id AND head.is_head
    LEFT JOIN households_resident r ON r.id = a.resident_id
    LEFT JOIN households_household rh ON rh.id = r.household_id
    LEFT JOIN households_unit u ON u.id = a.unit_id
    ORDER BY t.total DESC, v.name, number, name, t.id
    LIMIT %s OFFSET %s
"""


@dataclass(frozen=True)
class Ranked:
    account_id: int
    rank: int
    total: Decimal
    kind: str
    number: str  # the household's number (a villager's: their household's); empty for a unit
    name: str  # the head of household's, the villager's or the unit's name
    village: str
    area: str


def scheme_keeping(kinds: set[str], year: int) -> Scheme | None:
    """The newest scheme (not a draft) keeping one of these account kinds in `year`: of that year, or carried
    forward into it."""
    schemes = Scheme.objects.exclude(state=SchemeState.DRAFT).order_by("-year", "-pk")
    return next(
        (
            s
            for s in schemes
            if kinds & set(s.account_kinds)
            and (s.year == year or (s.points_carry_forward and s.year <= year))
        ),
        None,
    )


def lists_of(scheme: Scheme) -> list[RankingList]:
    """The lists the scheme ranks: one per account kind it keeps, and party members among villagers."""
    return [ranking for ranking in RankingList if LIST_KIND[ranking] in scheme.account_kinds]


def accounts_of_list(ranking: str) -> QuerySet[Account]:
    accounts = Account.objects.filter(kind=LIST_KIND[RankingList(ranking)])
    if ranking == RankingList.PARTY_MEMBER:
        accounts = accounts.filter(resident__is_party_member=True)
    if ranking == RankingList.HOUSEHOLD:
        accounts = accounts.filter(household__participation__in=TAKING_PART_STATUSES)
    if ranking == RankingList.UNIT:
        accounts = accounts.filter(unit__archived_at__isnull=True)
    return accounts


def ranking_year(scheme: Scheme, year: int | None = None) -> int | None:
    """The year a ranking counts: None for everything so far (a cumulative ranking of a carried-forward scheme),
    else the year asked for, this year, or the scheme's own year."""
    if scheme.points_carry_forward and scheme.rank_by == RankBy.CUMULATIVE:
        return None
    if not scheme.points_carry_forward:
        return None  # a one-year scheme: its entries are that year's
    return year or timezone.localdate().year


class Ranking:
    """One list's ranking in a scheme, for a paginator: `count()` is one query, each slice one statement."""

    def __init__(
        self,
        scheme: Scheme,
        ranking: str,
        *,
        membership: Membership | None = None,
        year: int | None = None,
        village: Village | None = None,
    ):
        self.scheme, self.ranking, self.year = scheme, RankingList(ranking), ranking_year(scheme, year)
        accounts = accounts_of_list(ranking).filter(township_id=scheme.township_id)
        if membership is not None:
            accounts = restrict_to_visible(membership, accounts)
        if village is not None:  # a village's own ranking (its honour roll)
            accounts = accounts.filter(village=village)
        self.accounts = accounts

    def count(self) -> int:
        return self.accounts.count()

    def __getitem__(self, index: slice) -> list[Ranked]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("a Ranking is read by pages: slice it")
        start = index.start or 0
        stop = self.count() if index.stop is None else index.stop
        if stop <= start:
            return []
        # Every account of the list is ranked (the township's, or those the member sees), then the page is cut.
        statement = score_statement(self.scheme, self.accounts, year=self.year, only_their_entries=True)
        with connection.cursor() as cursor:
            cursor.execute(RANKED.format(statement=statement.sql), [*statement.params, stop - start, start])
            return [
                Ranked(account_id, rank, total, kind, number, name, village, area)
                for account_id, rank, total, kind, number, name, village, area, _count in cursor.fetchall()
            ]
