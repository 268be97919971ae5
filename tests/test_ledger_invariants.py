"""Ledger invariants (issue 8, item 7): random sequences of entries, approvals, withdrawals, corrections,
redemptions, cancellations and restocking, run through the real services on the real PostgreSQL.

A hypothesis state machine keeps its own model of the ledger (every number below is computed by the test from
the operations it made, never read back from the code under test) and, after every step, checks that:

- each household's annual total (`annual_totals`, and `household_scores` for the pages) is the base plus the
  approved entries' points, clamped per category to its floor and ceiling;
- the spendable balance is what the scheme's basis earns (net of approved entries, or the annual total) minus the
  points of redemptions (a cancellation gives them back), and what can be spent is never below zero;
- each product's stock is its stock moves' sum, the model's count, never negative; the budget's spend is the
  model's;
- a refused operation raises DomainError and changes nothing; an approved entry is never changed;
- an entry counts only through the one route to the ledger (issue 12, item 1): posted on a notice batch of its
  village, the notice run to its end, submitted and approved by the township office. Approving directly with
  `scoring.approve_entries` is refused with code "notice_required", whether the entry was never posted or sits on
  a notice that is still running, and changes nothing.

Each example builds its own village, scheme and shop inside a savepoint that is rolled back at its end.
"""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.errors import DomainError
from households.models import Area, Household, Village
from review import services as review
from review.models import ReviewRound, RoundEntry, RoundKind, RoundMove, RoundState
from rewards import services as rewards
from rewards.balances import spent_differences
from rewards.models import Product, Redemption, SpendableBasis, StarRule, StockMove, StockReason
from rewards.selectors import budget_figures, spendable_balance
from scoring import services as scoring
from scoring.balances import balance_differences
from scoring.models import Balance, Entry, EntryState
from scoring.selectors import annual_totals, household_scores
from tests.contract import member
from tests.factories import store_reward_settings
from tests.notices import approve_through_notice, run_out

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
D = Decimal
YEAR = 2026
NOW = "2026-06-15 10:00 +08:00"  # redemptions take the current local date's year; entries may not be in the future
FIRST_DAY, TODAY = datetime.date(YEAR, 1, 1), datetime.date(YEAR, 6, 15)
HOUSEHOLDS = 3

# The scheme: one annual category without bounds, one quarterly category clamped to [0, 30].
CATEGORIES = {
    "civic": {"base": D("40"), "cadence": "annual", "floor": None, "ceiling": None},
    "clean": {"base": D("20"), "cadence": "quarterly", "floor": D("0"), "ceiling": D("30")},
}
ITEMS = [  # (category, kind, points)
    ("civic", "bonus", D("5")),
    ("civic", "bonus", D("20")),
    ("civic", "penalty", D("2")),
    ("clean", "bonus", D("12")),
    ("clean", "bonus", D("0.5")),
    ("clean", "penalty", D("8")),
]
PRODUCTS = [  # (name, points, cost in yuan, opening stock)
    ("食用油", D("25"), D("0"), 3),
    ("肥皂", D("10"), D("1.50"), 6),  # costs money: draws on the village budget
    ("铅笔", D("2.5"), D("0"), 10),
]
# One resident per household, capped at ¥2 each (funded ¥1.5 + ¥1 each, so the cap is the limit).
BUDGET_LIMIT = D("2") * HOUSEHOLDS

SEEN: Counter = Counter()  # what the examples did, so the test can show it exercised every path

ANY = st.integers(min_value=0, max_value=10_000)  # picks an existing row by index (modulo the count)


def signed(kind: str, points: Decimal) -> Decimal:
    return points if kind == "bonus" else -points


class LedgerMachine(RuleBasedStateMachine):
    world = None  # set by the test: the pytest-django `world` (township A and its admin)

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.clock = time_machine.travel(NOW, tick=False)
        self.clock.start()
        self.entries: list[dict] = []
        self.redemptions: list[dict] = []
        self.approved_rows: dict[int, dict] = {}
        self.households: list[Household] = []
        self.products: list[Product] = []
        self.on_notice: dict[int, ReviewRound] = {}  # notice batches posted and still running

    def teardown(self):
        try:
            self.clock.stop()
        finally:
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

    # The world of one example -----------------------------------------------------------------------------

    @initialize(basis=st.sampled_from([SpendableBasis.NET, SpendableBasis.TOTAL]))
    def build(self, basis):
        township, self.actor = self.world.a.township, self.world.a.admin
        self.office = member(self.actor)
        self.basis = basis
        self.scheme = scoring.create_scheme(
            membership=self.office, township=township, name="不变量", year=YEAR
        )
        store_reward_settings(self.scheme, spendable_basis=basis)
        self.categories = {
            key: scoring.add_category(
                membership=self.office,
                scheme=self.scheme,
                name=key,
                base_score=spec["base"],
                cadence=spec["cadence"],
                floor=spec["floor"],
                ceiling=spec["ceiling"],
            )
            for key, spec in CATEGORIES.items()
        }
        self.items = [
            scoring.add_item(
                membership=self.office,
                category=self.categories[category],
                name=f"{category}-{kind}-{points}",
                kind=kind,
                points=points,
            )
            for category, kind, points in ITEMS
        ]
        scoring.activate_scheme(membership=self.office, scheme=self.scheme)
        village = Village.objects.create(township=township, name="不变量村")
        area = Area.objects.create(township=township, village=village, name="一组")
        self.households = []
        for index in range(HOUSEHOLDS):
            household = Household.objects.create(
                township=township, village=village, area=area, number=f"INV-{index}"
            )
            household.members.create(township=township, name=f"户主{index}", is_head=True)
            self.households.append(household)
        rewards.open_budget(membership=self.office, village=village, year=YEAR)
        self.village = village
        self.shop = rewards.open_shop(membership=self.office, village=village)
        self.products = [
            rewards.add_product(
                membership=self.office, shop=self.shop, name=name, points=points, cost=cost, stock=stock
            )
            for name, points, cost, stock in PRODUCTS
        ]
        self.stock = [stock for *_rest, stock in PRODUCTS]

    # The model's numbers -----------------------------------------------------------------------------------

    def approved_sum(self, household: int, category: str | None = None) -> Decimal:
        return sum(
            (
                e["points"]
                for e in self.entries
                if e["household"] == household
                and e["state"] == EntryState.APPROVED
                and category in (None, e["category"])
            ),
            D("0"),
        )

    def total(self, household: int) -> Decimal:
        total = D("0")
        for key, spec in CATEGORIES.items():
            score = spec["base"] + self.approved_sum(household, key)
            if spec["floor"] is not None:
                score = max(score, spec["floor"])
            if spec["ceiling"] is not None:
                score = min(score, spec["ceiling"])
            total += score
        return total

    def earned(self, household: int) -> Decimal:
        return self.total(household) if self.basis == SpendableBasis.TOTAL else self.approved_sum(household)

    def spent(self, household: int) -> Decimal:
        return sum((r["points"] for r in self.redemptions if r["household"] == household), D("0"))

    def available(self, household: int) -> Decimal:
        return max(self.earned(household) - self.spent(household), D("0"))

    def budget_left(self) -> Decimal:
        return BUDGET_LIMIT - sum((r["cost"] for r in self.redemptions), D("0"))

    def fingerprint(self):
        """Everything a refused operation must leave as it was."""
        return (
            list(
                Entry.objects.filter(scheme=self.scheme)
                .order_by("pk")
                .values_list("pk", "state", "points", "approved_by", "approved_at", "decided_reason")
            ),
            list(
                ReviewRound.objects.filter(scheme=self.scheme)
                .order_by("pk")
                .values_list("pk", "state", "notice_closed_at", "approved_at")
            ),
            list(
                RoundEntry.objects.filter(round__scheme=self.scheme).order_by("pk").values_list("pk", "entry")
            ),
            RoundMove.objects.filter(round__scheme=self.scheme).count(),
            list(
                Redemption.objects.filter(shop=self.shop).order_by("pk").values_list("pk", "points", "cost")
            ),
            list(
                StockMove.objects.filter(product__shop=self.shop).order_by("pk").values_list("pk", "change")
            ),
            list(Product.objects.filter(shop=self.shop).order_by("pk").values_list("pk", "stock")),
        )

    def refused(self, what: str, call, code: str | None = None):
        before = self.fingerprint()
        with pytest.raises(DomainError) as refusal:
            call()
        if code is not None:
            assert refusal.value.code == code, refusal.value
        SEEN[f"{what} refused"] += 1
        assert self.fingerprint() == before, "a refused operation changed something"

    # The ledger --------------------------------------------------------------------------------------------

    @rule(
        household=st.integers(0, HOUSEHOLDS - 1),
        item=st.integers(0, len(ITEMS) - 1),
        day=st.dates(min_value=FIRST_DAY, max_value=TODAY),
        approve_now=st.booleans(),
    )
    def record(self, household, item, day, approve_now):
        category, kind, points = ITEMS[item]
        entry = scoring.record_entry(
            membership=self.office,
            household=self.households[household],
            item=self.items[item],
            occurred_on=day,
        )
        assert (entry.state, entry.points) == (EntryState.PROPOSED, signed(kind, points))
        self.entries.append(
            {
                "pk": entry.pk,
                "household": household,
                "category": category,
                "points": signed(kind, points),
                "state": EntryState.PROPOSED,
                "correction": False,
                "corrected": False,
                "batch": None,  # the notice batch it was posted on
                "shown": False,  # listed on a notice of the village (posted, or a correction shown)
            }
        )
        if approve_now:
            self.approve([len(self.entries) - 1])

    def proposals(self, posted: bool | None = None) -> list[dict]:
        return [
            e
            for e in self.entries
            if e["state"] == EntryState.PROPOSED and posted in (None, e["batch"] is not None)
        ]

    @precondition(lambda self: self.proposals(posted=False))
    @rule(picks=st.lists(ANY, min_size=1, max_size=4))
    def post_on_notice(self, picks):
        """Some direct proposals go on a notice batch of the village, whose notice then runs (for now)."""
        waiting = self.proposals(posted=False)
        chosen = list({id(e): e for e in (waiting[p % len(waiting)] for p in picks)}.values())
        membership = self.office
        batch = review.post_notice_batch(
            membership=membership, village=self.village, scheme=self.scheme, only=[e["pk"] for e in chosen]
        )
        assert (batch.kind, batch.state) == (RoundKind.BATCH, RoundState.ON_NOTICE)
        posted = set(RoundEntry.objects.filter(round=batch).values_list("entry", flat=True))
        unshown = {e["pk"] for e in self.entries if e["correction"] and not e["shown"]}
        # The chosen proposals, and the corrections not yet shown on a notice of the village (issue 12, item 1).
        assert posted == {e["pk"] for e in chosen} | unshown
        for e in chosen:
            e["batch"] = batch.pk
        self.notice_opened()
        self.on_notice[batch.pk] = batch
        SEEN["posted"] += len(chosen)

    def notice_opened(self):
        """A notice of the village opened: whatever it posted (the model sets their batch first, or approves them)
        and every correction not yet shown is now listed on a notice."""
        for e in self.entries:
            if e["batch"] is not None or e["correction"] or e["state"] == EntryState.APPROVED:
                e["shown"] = True

    @precondition(lambda self: self.entries)
    @rule(picks=st.lists(ANY, min_size=1, max_size=4))
    def approve(self, picks):
        """The one route: direct proposals through a notice batch of their own (posted, run out, submitted and
        approved); proposals already on a running batch by letting that batch's notice end and approving it,
        which makes every proposal still on it count (those withdrawn meanwhile stay withdrawn)."""
        chosen = {id(e): e for e in (self.entries[p % len(self.entries)] for p in picks)}.values()
        proposed = [e for e in chosen if e["state"] == EntryState.PROPOSED]
        direct = [e for e in proposed if e["batch"] is None]
        # The helper posts what it is given; an entry already on a running batch is approved with that batch.
        entries = Entry.objects.filter(pk__in=[e["pk"] for e in chosen if e["batch"] is None])
        assert approve_through_notice(entries, membership=self.office, reason="公示期满") == len(direct)
        for e in direct:
            e["state"] = EntryState.APPROVED
        if direct:  # their batch's notice showed them, and the corrections not yet shown
            self.notice_opened()
        SEEN["approved"] += len(direct)
        for pk in sorted({e["batch"] for e in proposed if e["batch"] is not None}):
            self.approve_batch(pk)

    @precondition(lambda self: self.on_notice)
    @rule(pick=ANY)
    def notice_ends(self, pick):
        """A running batch's notice ends; the township approves it."""
        self.approve_batch(sorted(self.on_notice)[pick % len(self.on_notice)])

    def approve_batch(self, pk: int):
        membership = self.office
        batch = self.on_notice.pop(pk)
        run_out(batch)
        review.move_round(membership=membership, round=batch, move="submit")
        review.move_round(membership=membership, round=batch, move="approve", comment="公示期满")
        for e in self.entries:
            if e["batch"] == pk and e["state"] == EntryState.PROPOSED:
                e["state"] = EntryState.APPROVED
                SEEN["approved from a running notice"] += 1

    @precondition(lambda self: self.proposals())
    @rule(picks=st.lists(ANY, min_size=1, max_size=4), others=st.lists(ANY, max_size=2))
    def approve_directly(self, picks, others):
        """No entry counts outside the route: never posted, or on a notice still running, the database refuses
        and nothing is approved (not even the proposals the refusal is not about)."""
        proposals = self.proposals()
        chosen = [proposals[p % len(proposals)] for p in picks] + [
            self.entries[p % len(self.entries)] for p in others
        ]
        entries = list(Entry.objects.filter(pk__in=[e["pk"] for e in chosen]))
        self.refused(
            "approve directly",
            lambda: scoring.approve_entries(membership=self.office, entries=entries, reason="直接通过"),
            code="notice_required",
        )
        if any(e["batch"] is not None for e in chosen):
            SEEN["approve directly refused while on notice"] += 1

    @precondition(lambda self: self.entries)
    @rule(pick=ANY, a_proposal=st.booleans())
    def withdraw(self, pick, a_proposal):
        proposals = [e for e in self.entries if e["state"] == EntryState.PROPOSED]
        candidates = proposals if a_proposal and proposals else self.entries
        e = candidates[pick % len(candidates)]
        entry = Entry.objects.get(pk=e["pk"])
        if e["state"] != EntryState.PROPOSED:
            self.refused(
                "withdraw",
                lambda: scoring.withdraw_entry(membership=self.office, entry=entry, reason="录错了"),
            )
            return
        scoring.withdraw_entry(membership=self.office, entry=entry, reason="录错了")
        e["state"] = EntryState.WITHDRAWN
        SEEN["withdrawn"] += 1
        if e["batch"] is not None:
            SEEN["withdrawn while on notice"] += 1

    @precondition(lambda self: self.entries)
    @rule(pick=ANY)
    def correct(self, pick):
        e = self.entries[pick % len(self.entries)]
        entry = Entry.objects.get(pk=e["pk"])
        if e["state"] != EntryState.APPROVED or e["correction"] or e["corrected"]:
            self.refused(
                "correct", lambda: scoring.correct_entry(membership=self.office, entry=entry, reason="更正")
            )
            return
        correction = scoring.correct_entry(membership=self.office, entry=entry, reason="更正")
        SEEN["corrected"] += 1
        assert (correction.state, correction.points, correction.corrects_id) == (
            EntryState.APPROVED,
            -e["points"],
            e["pk"],
        )
        e["corrected"] = True
        self.entries.append(
            {
                **e,
                "pk": correction.pk,
                "points": -e["points"],
                "state": EntryState.APPROVED,
                "correction": True,
                "corrected": False,
                "batch": None,
                "shown": False,  # until the village's next notice opens
            }
        )

    # The supermarket ---------------------------------------------------------------------------------------

    @rule(
        household=st.integers(0, HOUSEHOLDS - 1),
        quantities=st.dictionaries(
            st.integers(0, len(PRODUCTS) - 1), st.integers(1, 4), min_size=1, max_size=2
        ),
    )
    def redeem(self, household, quantities):
        points = sum((PRODUCTS[p][1] * q for p, q in quantities.items()), D("0"))
        cost = sum((PRODUCTS[p][2] * q for p, q in quantities.items()), D("0"))
        items = {self.products[p].pk: q for p, q in quantities.items()}

        def call():
            return rewards.redeem(
                membership=self.office, household=self.households[household], shop=self.shop, items=items
            )

        problems = {
            "nothing picked": not quantities,
            "over the budget": cost > self.budget_left(),
            "over the stock": any(self.stock[p] < q for p, q in quantities.items()),
            "over the balance": points > self.available(household),
        }
        if any(problems.values()):
            self.refused(f"redeem ({', '.join(k for k, v in problems.items() if v)})", call)
            return
        redemption = call()
        SEEN["redeemed"] += 1
        assert (redemption.points, redemption.cost, redemption.year) == (points, cost, YEAR)
        self.redemptions.append(
            {
                "pk": redemption.pk,
                "household": household,
                "points": points,
                "cost": cost,
                "lines": dict(quantities),
                "reversal": False,
                "cancelled": False,
            }
        )
        for p, q in quantities.items():
            self.stock[p] -= q
        # A redemption never overdraws: right after it, the balance is not negative.
        balance = spendable_balance(self.households[household], year=YEAR)
        assert balance.available >= 0

    @precondition(lambda self: self.redemptions)
    @rule(pick=ANY)
    def cancel(self, pick):
        r = self.redemptions[pick % len(self.redemptions)]
        redemption = Redemption.objects.get(pk=r["pk"])
        if r["reversal"] or r["cancelled"]:
            self.refused(
                "cancel",
                lambda: rewards.cancel_redemption(
                    membership=self.office, redemption=redemption, reason="退货"
                ),
            )
            return
        reversal = rewards.cancel_redemption(membership=self.office, redemption=redemption, reason="退货")
        SEEN["cancelled"] += 1
        assert (reversal.points, reversal.cost, reversal.reverses_id) == (-r["points"], -r["cost"], r["pk"])
        r["cancelled"] = True
        self.redemptions.append(
            {
                **r,
                "pk": reversal.pk,
                "points": -r["points"],
                "cost": -r["cost"],
                "reversal": True,
                "cancelled": False,
            }
        )
        for p, q in r["lines"].items():
            self.stock[p] += q

    @rule(product=st.integers(0, len(PRODUCTS) - 1), change=st.integers(-5, 5).filter(bool))
    def move_stock(self, product, change):
        reason = StockReason.IN if change > 0 else StockReason.OUT

        def call():
            return rewards.move_stock(
                membership=self.office,
                product=self.products[product],
                change=change,
                reason=reason,
                note="盘点",
            )

        if self.stock[product] + change < 0:
            self.refused("move_stock", call)
            return
        call()
        self.stock[product] += change

    # After every step ----------------------------------------------------------------------------------------

    @invariant()
    def totals_are_the_base_plus_the_approved_entries_clamped(self):
        if not self.households:
            return
        expected = {h.pk: self.total(i) for i, h in enumerate(self.households)}
        assert annual_totals(self.scheme, Household.objects.filter(village=self.village)) == expected
        scored = household_scores(self.scheme, Household.objects.filter(village=self.village))
        assert {pk: score.total for pk, score in scored.items()} == expected

    @invariant()
    def balances_are_earned_minus_spent(self):
        for index, household in enumerate(self.households):
            balance = spendable_balance(household, year=YEAR)
            assert (balance.earned, balance.spent) == (self.earned(index), self.spent(index))
            assert balance.available == self.available(index) >= 0

    @invariant()
    def kept_balances_equal_the_ledger(self):
        """Issue 19: after every step, each balance row is its key's sum of approved entries, and what each
        account has spent is its redemptions' sum (the database's own recomputation, `verify_balances`)."""
        assert balance_differences() == []
        assert spent_differences() == []
        kept = dict(
            Balance.objects.filter(scheme=self.scheme)
            .order_by()
            .values("household")
            .annotate(s=Sum("points"))
            .values_list("household", "s")
        )
        for index, household in enumerate(self.households):
            assert kept.get(household.pk, D("0")) == self.approved_sum(index)

    @invariant()
    def stock_is_the_sum_of_its_moves_and_never_negative(self):
        if not self.products:
            return
        stock = dict(Product.objects.filter(shop=self.shop).values_list("pk", "stock"))
        moves = dict(
            StockMove.objects.filter(product__shop=self.shop)
            .order_by()
            .values("product")
            .annotate(s=Sum("change"))
            .values_list("product", "s")
        )
        for index, product in enumerate(self.products):
            assert stock[product.pk] == moves.get(product.pk, 0) == self.stock[index] >= 0

    @invariant()
    def the_budget_spends_what_the_redemptions_cost(self):
        if not self.households:
            return
        figures = budget_figures(year=YEAR, village_ids=[self.village.pk])[self.village.pk]
        assert figures.limit == BUDGET_LIMIT
        assert figures.left == self.budget_left() >= 0

    @invariant()
    def entries_reach_the_ledger_only_through_a_notice(self):
        if not self.households:
            return
        linked = dict(
            RoundEntry.objects.filter(round__scheme=self.scheme).values_list("entry", "round__state")
        )
        assert set(linked) == {e["pk"] for e in self.entries if e["shown"]}
        for e in self.entries:
            if e["state"] == EntryState.APPROVED and not e["correction"]:
                assert linked[e["pk"]] == RoundState.APPROVED, "an entry counts without its notice"

    @invariant()
    def approved_entries_never_change(self):
        if not self.households:
            return
        approved = {
            row["id"]: row
            for row in Entry.objects.filter(scheme=self.scheme, state=EntryState.APPROVED).values()
        }
        for pk, row in self.approved_rows.items():
            assert approved.get(pk) == row, f"approved entry {pk} changed"
        self.approved_rows = approved
        assert set(approved) == {e["pk"] for e in self.entries if e["state"] == EntryState.APPROVED}


def test_random_ledger_and_supermarket_histories_keep_the_invariants(world):
    LedgerMachine.world = world
    SEEN.clear()
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    print(dict(sorted(SEEN.items())))
    # The histories reached the main paths, accepted and refused (a model too strict or too lax shows up here).
    # Rarer paths (a batch approved after a wait, a withdrawal or a direct approval while on notice, a cancelled
    # redemption) are reached in some runs and not others; tests/review/test_one_route.py holds them for certain.
    for done in ("approved", "posted", "withdrawn", "corrected", "redeemed"):
        assert SEEN[done] > 0, done
    for refused in ("withdraw", "correct", "cancel", "move_stock", "approve directly"):
        assert SEEN[f"{refused} refused"] > 0, refused
    for problem in ("over the budget", "over the stock", "over the balance"):
        assert any(problem in what for what in SEEN), problem


def test_a_penalty_after_spending_never_makes_the_balance_negative_and_the_counter_refuses(world):
    """The balance is derived from the ledger: a penalty approved after spending takes earnings below what was
    spent. What can be spent stays at zero (never negative), and every redemption is refused until earnings pass
    what was spent again."""
    LedgerMachine.world = world
    machine = LedgerMachine()
    try:
        machine.build(SpendableBasis.NET)
        machine.record(0, 0, TODAY, approve_now=True)  # +5
        machine.redeem(0, {2: 2})  # 2 pencils: 5 points
        assert spendable_balance(machine.households[0], year=YEAR).available == D("0")
        machine.record(0, 2, TODAY, approve_now=True)  # −2
        balance = spendable_balance(machine.households[0], year=YEAR)
        assert (balance.earned, balance.spent, balance.available) == (D("3"), D("5"), D("0"))
        machine.redeem(0, {2: 1})  # refused: 2.5 points, −2 to spend
        machine.balances_are_earned_minus_spent()
        machine.stock_is_the_sum_of_its_moves_and_never_negative()
        assert StarRule.objects.get(scheme=machine.scheme).spendable_basis == SpendableBasis.NET
    finally:
        machine.teardown()
