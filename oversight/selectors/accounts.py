"""Each list's figures on the dashboards (issue 14, item 2): families, villagers, party members and units of a scheme
that keeps them — accounts, accounts with points, points given and taken in the year — in one query."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from scoring.models import LIST_KIND, Account, AccountKind, RankingList
from scoring.rankings import lists_of, scheme_keeping


@dataclass
class ListFigures:
    ranking: RankingList
    accounts: int = 0
    with_points: int = 0
    given: Decimal = Decimal("0")
    taken: Decimal = Decimal("0")

    @property
    def label(self) -> str:
        return str(self.ranking.label)

    @property
    def net(self) -> Decimal:
        return self.given + self.taken


def list_figures(year: int, village_ids: list[int] | None = None) -> list[ListFigures]:
    """One row per list of the scheme (none when no scheme keeps villagers' or units' accounts): one query."""
    scheme = scheme_keeping({AccountKind.RESIDENT, AccountKind.UNIT}, year)
    if scheme is None:
        return []
    approved = Q(entries__scheme=scheme, entries__state="approved", entries__year=year)
    accounts = Account.objects.filter(kind__in=scheme.account_kinds)
    if village_ids is not None:
        accounts = accounts.filter(village_id__in=village_ids)
    groups = (
        accounts.values("kind", "resident__is_party_member")
        .annotate(
            accounts=Count("id", distinct=True),
            with_points=Count("id", distinct=True, filter=approved),
            given=Sum("entries__points", filter=approved & Q(entries__points__gt=0)),
            taken=Sum("entries__points", filter=approved & Q(entries__points__lt=0)),
        )
        .order_by()
    )
    rows = {ranking: ListFigures(ranking) for ranking in lists_of(scheme)}
    for group in groups:
        targets = [r for r in rows if LIST_KIND[r] == group["kind"]]
        if not group["resident__is_party_member"]:
            targets = [r for r in targets if r != RankingList.PARTY_MEMBER]
        for ranking in targets:
            row = rows[ranking]
            row.accounts += group["accounts"]
            row.with_points += group["with_points"]
            row.given += group["given"] or Decimal("0")
            row.taken += group["taken"] or Decimal("0")
    return list(rows.values())
