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
from typing import Any, cast

from django.db import connection
from django.db.models import prefetch_related_objects

from households.models import Household
from scoring.accounts import account_of, open_accounts
from scoring.models import Account, AccountKind, Scheme, SchemeState
from scoring.selectors import account_scores, annual_totals

from ..models import SpendableBasis, StarRule
from .stars import selected_star_rule

ZERO = Decimal("0")


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


# Each account's net points in the schemes counted, from the balances kept with the ledger (scoring_balance: a
# family's through its household; a villager's or a unit's up to the year asked, a carried-forward scheme counting
# every year up to it), and what it spent (rewards_spentbalance: its redemptions, cancellations subtracting, and the
# points cleared at a year-end close, which count as spent in their year; only this year's when the balance starts
# again each year). One statement per kind of account, written out: the ORM spent 2 ms building it for the counter's
# 0.1 ms of reading. Every table is read in the accounts' township only.
NET_AND_SPENT = """
    SELECT a.id,
           COALESCE((SELECT SUM(b.points) FROM scoring_balance b
                     WHERE b.township_id = a.township_id AND b.scheme_id = ANY(%(schemes)s) AND {earned}), 0),
           COALESCE((SELECT SUM(s.redeemed + s.cleared) FROM rewards_spentbalance s
                     WHERE s.township_id = a.township_id AND s.account_id = a.id AND {spent}), 0)
    FROM scoring_account a
    WHERE a.township_id = %(township)s AND a.id = ANY(%(accounts)s)
"""
EARNED_BY = {True: "b.household_id = a.household_id", False: "b.account_id = a.id AND b.year <= %(year)s"}
SPENT_IN = {True: "s.year = %(year)s", False: "s.year <= %(year)s"}


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
        sql = NET_AND_SPENT.format(earned=EARNED_BY[kind == AccountKind.HOUSEHOLD], spent=SPENT_IN[resets])
        params: dict[str, Any] = {
            "township": township_id,
            "accounts": [a.pk for a in mine],
            "schemes": net,
            "year": year,
        }
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for account_id, net_points, spent_points in cursor.fetchall():
                earned[account_id] += net_points
                spent[account_id] = spent_points
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
