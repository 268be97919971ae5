"""Spendable balances at the points supermarket (积分超市): one rule, for a family's, a villager's or a unit's account.

Read from the balances kept with the ledgers (issue 19: scoring.Balance for what was earned, rewards.SpentBalance
for what was redeemed or cleared); spending does not lower the score the ranking uses (seed 4: 累计使用, 不清零). The year's
schemes say what counts (the net of bonuses and penalties, or the total score: the StarRule's spending settings)
and whether the balance starts again each year; otherwise every earlier year's active or closed schemes count too.

A family spends exactly as before accounts existed: every scheme of the township counts, read through its household
(the household's statement, with its role). A villager or a unit spends what the schemes keeping its kind of
account let it spend; a scheme whose points carry forward counts its entries of every year up to the year asked.
`spendable_balances` reads any number of accounts with a number of queries that does not grow with them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from households.models import Household
from scoring.accounts import account_of, open_accounts
from scoring.models import Account, AccountKind, Scheme, SchemeState
from scoring.models import Balance as ScoreBalance
from scoring.selectors import account_scores, annual_totals

from ..models import SpendableBasis, SpentBalance, StarRule
from .stars import selected_star_rule

ZERO = Decimal("0")
POINTS = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Balance:
    """An account's spendable points: what its schemes let it spend, less what it has spent."""

    earned: Decimal
    spent: Decimal

    @property
    def available(self) -> Decimal:
        """What can be spent now: never below zero (issue 8). A penalty approved after spending does not make a
        debt to collect at the counter: the holder spends again once its earnings pass what it spent."""
        return max(self.earned - self.spent, Decimal("0"))


def _counted(schemes: list[Scheme], rules: dict[int, StarRule], year: int) -> tuple[list[Scheme], bool]:
    """The schemes whose points count in `year`, and whether the balance starts again this year."""
    resets = any(rules[s.pk].spendable_resets_yearly for s in schemes if s.year == year)
    return ([s for s in schemes if s.year == year] if resets else schemes), resets


def spendable_balances(accounts: list[Account], *, year: int) -> dict[int, Balance]:
    """{account id: Balance} for accounts of one township (a family's is read through its household)."""
    if not accounts:
        return {}
    township_id = accounts[0].township_id
    schemes = list(
        Scheme.objects.filter(township_id=township_id, year__lte=year)
        .exclude(state=SchemeState.DRAFT)
        .select_related("star_rule")
    )
    rules = {s.pk: selected_star_rule(s) for s in schemes}  # none yet: the inherited or defaults
    # Only a total score's statement reads the categories.
    prefetch_related_objects(
        [s for s in schemes if rules[s.pk].spendable_basis == SpendableBasis.TOTAL], "categories"
    )
    earned: dict[int, Decimal] = {a.pk: ZERO for a in accounts}
    spent: dict[int, Decimal] = {a.pk: ZERO for a in accounts}
    for kind in {a.kind for a in accounts}:
        mine = [a for a in accounts if a.kind == kind]
        if kind == AccountKind.HOUSEHOLD:
            counted, resets = _counted(schemes, rules, year)  # every scheme, as before accounts
        else:
            counted, resets = _counted([s for s in schemes if kind in s.account_kinds], rules, year)
        for scheme in counted:
            if rules[scheme.pk].spendable_basis == SpendableBasis.TOTAL:
                for account_id, total in _totals(scheme, mine, year).items():
                    earned[account_id] += total
        net = [s.pk for s in counted if rules[s.pk].spendable_basis != SpendableBasis.TOTAL]
        rows = Account.objects.filter(pk__in=[a.pk for a in mine]).order_by().values("pk")
        for row in rows.annotate(net=_net(kind, net, year), spent=_spent(resets, year)):
            earned[row["pk"]] += row["net"]
            spent[row["pk"]] = row["spent"]
    return {a.pk: Balance(earned=earned[a.pk], spent=spent[a.pk]) for a in accounts}


def _totals(scheme: Scheme, accounts: list[Account], year: int) -> dict[int, Decimal]:
    """{account id: its total score in the scheme} (a family's through its household's statement)."""
    if accounts[0].kind == AccountKind.HOUSEHOLD:
        account_of = {a.household_id: a.pk for a in accounts}
        households = Household.objects.filter(pk__in=list(account_of))
        return {account_of[h]: total for h, total in annual_totals(scheme, households).items()}
    # A carried-forward scheme's total so far (its statement counts every year; a later year's entries exist only
    # when an earlier year is asked for).
    scores = account_scores(scheme, Account.objects.filter(pk__in=[a.pk for a in accounts]))
    return {account_id: score.total for account_id, score in scores.items()}


def _net(kind: str, schemes: list[int], year: int) -> Coalesce | Value:
    """The net approved points an account (the outer row) earned in these schemes, from the kept balances: a
    family's through its household; a villager's or a unit's up to the year asked (a yearly scheme's entries are
    its year's, a carried-forward scheme's count every year up to it)."""
    if not schemes:
        return Value(ZERO, output_field=POINTS)
    if kind == AccountKind.HOUSEHOLD:
        rows = ScoreBalance.objects.filter(household_id=OuterRef("household_id"), scheme_id__in=schemes)
    else:
        rows = ScoreBalance.objects.filter(account_id=OuterRef("pk"), scheme_id__in=schemes, year__lte=year)
    return _summed(rows, Sum("points"))


def _spent(resets: bool, year: int) -> Coalesce:
    """What an account (the outer row) spent, kept with its redemptions (cancellations subtract) and the points
    cleared at a year-end close (rewards.services.year_end), which count as spent in their year: this year's only
    when the balance starts again each year."""
    rows = SpentBalance.objects.filter(account_id=OuterRef("pk"))
    rows = rows.filter(year=year) if resets else rows.filter(year__lte=year)
    return _summed(rows, Sum(F("redeemed") + F("cleared")))


def _summed(rows: QuerySet, total: Sum) -> Coalesce:
    """A correlated SUM over `rows` (filtered on the outer account), 0 when none."""
    summed = rows.order_by().values("township_id").annotate(s=total).values("s")
    return Coalesce(Subquery(summed, output_field=POINTS), Value(ZERO, output_field=POINTS))


def family_accounts(households: list[Household]) -> dict[int, Account]:
    """{household id: its account} (opened for households written before accounts existed): two queries at most."""

    def by_household(rows: Iterable[Account]) -> dict[int, Account]:
        return {cast(int, a.household_id): a for a in rows}

    accounts = by_household(Account.objects.filter(household__in=households))
    if missing := [h for h in households if h.pk not in accounts]:
        open_accounts(missing)
        accounts |= by_household(Account.objects.filter(household__in=missing))
    return accounts


def spendable_balance(holder: Household | Account, *, year: int) -> Balance:
    """The spendable balance of a household (its family account) or of an account of any kind."""
    account = account_of(holder) if isinstance(holder, Household) else holder
    return spendable_balances([account], year=year)[account.pk]
