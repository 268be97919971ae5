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

from django.db.models import F, Sum

from households.models import Household
from scoring.accounts import account_of, open_accounts
from scoring.models import Account, AccountKind, Scheme, SchemeState
from scoring.models import Balance as ScoreBalance
from scoring.selectors import account_scores, annual_totals

from ..models import SpendableBasis, SpentBalance, StarRule
from .stars import star_rule

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


def spendable_balances(accounts: list[Account], *, year: int) -> dict[int, Balance]:
    """{account id: Balance} for accounts of one township (a family's is read through its household)."""
    if not accounts:
        return {}
    township_id = accounts[0].township_id
    schemes = list(
        Scheme.objects.filter(township_id=township_id, year__lte=year)
        .exclude(state=SchemeState.DRAFT)
        .prefetch_related("categories")
    )
    rules = {rule.scheme_id: rule for rule in StarRule.objects.filter(scheme__in=schemes)}
    rules |= {s.pk: star_rule(s) for s in schemes if s.pk not in rules}  # none yet: the inherited or defaults
    earned: dict[int, Decimal] = {a.pk: ZERO for a in accounts}
    resets: dict[str, bool] = {}
    for kind in {a.kind for a in accounts}:
        mine = [a for a in accounts if a.kind == kind]
        if kind == AccountKind.HOUSEHOLD:
            counted, resets[kind] = _counted(schemes, rules, year)  # every scheme, as before accounts
            _earned_by_households(mine, counted, rules, earned)
        else:
            kept = [s for s in schemes if kind in s.account_kinds]
            counted, resets[kind] = _counted(kept, rules, year)
            _earned_by_accounts(mine, counted, rules, year, earned)
    spent = {a.pk: ZERO for a in accounts}
    for reset in {True, False}:
        ids = [a.pk for a in accounts if resets[a.kind] == reset]
        if not ids:
            continue
        # What each account spent, kept with its redemptions (cancellations subtract) and the points cleared at a
        # year-end close (rewards.services.year_end), which count as spent in their year.
        rows = SpentBalance.objects.filter(account_id__in=ids)
        rows = rows.filter(year=year) if reset else rows.filter(year__lte=year)
        for row in rows.order_by().values("account_id").annotate(s=Sum(F("redeemed") + F("cleared"))):
            spent[row["account_id"]] = row["s"] or ZERO
    return {a.pk: Balance(earned=earned[a.pk], spent=spent[a.pk]) for a in accounts}


def _earned_by_households(
    accounts: list[Account], schemes: list[Scheme], rules: dict[int, StarRule], earned: dict[int, Decimal]
) -> None:
    account_of = {a.household_id: a.pk for a in accounts}
    households = Household.objects.filter(pk__in=list(account_of))
    net = [s.pk for s in schemes if rules[s.pk].spendable_basis != SpendableBasis.TOTAL]
    for scheme in schemes:
        if rules[scheme.pk].spendable_basis == SpendableBasis.TOTAL:
            for household_id, total in annual_totals(scheme, households).items():
                earned[account_of[household_id]] += total
    if net:
        rows = ScoreBalance.objects.filter(household_id__in=list(account_of), scheme_id__in=net)
        for row in rows.order_by().values("household_id").annotate(s=Sum("points")):
            earned[account_of[row["household_id"]]] += row["s"] or ZERO


def _earned_by_accounts(
    accounts: list[Account],
    schemes: list[Scheme],
    rules: dict[int, StarRule],
    year: int,
    earned: dict[int, Decimal],
) -> None:
    ids = [a.pk for a in accounts]
    net = [s.pk for s in schemes if rules[s.pk].spendable_basis != SpendableBasis.TOTAL]
    for scheme in schemes:
        if rules[scheme.pk].spendable_basis == SpendableBasis.TOTAL:
            # A carried-forward scheme's total so far (its statement counts every year; a later year's entries
            # exist only when an earlier year is asked for).
            for account_id, score in account_scores(scheme, Account.objects.filter(pk__in=ids)).items():
                earned[account_id] += score.total
    if net:
        # A yearly scheme's entries are its year's; a carried-forward scheme's count up to the year asked.
        rows = ScoreBalance.objects.filter(account_id__in=ids, scheme_id__in=net, year__lte=year)
        for row in rows.order_by().values("account_id").annotate(s=Sum("points")):
            earned[row["account_id"]] += row["s"] or ZERO


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
