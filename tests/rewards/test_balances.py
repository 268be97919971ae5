"""Balances kept with the ledger (issue 19): scoring_balance and rewards_spentbalance are changed by the database in
the same transaction as every approval, correction, redemption and cancellation; `verify_balances` recomputes them
from the ledger, reports a difference and repairs it on request; 20 approvals and redemptions at once on one
account end with the balances equal to the ledger."""

import threading
from decimal import Decimal as D

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from core.errors import DomainError
from core.tenancy import township_scope
from review import services as review
from rewards import services as rewards
from rewards.balances import spent_differences
from rewards.models import SpentBalance
from rewards.selectors import spendable_balance
from scoring import services as scoring
from scoring.balances import balance_differences
from scoring.models import Balance, Entry, EntryState
from tests.contract import member
from tests.notices import approve_through_notice, run_out
from tests.rewards.conftest import DAY

IN_2026 = "2026-06-15 10:00 +08:00"


def kept(household) -> dict:
    return {
        (row.category_id, row.period): (row.points, row.penalties, row.entries)
        for row in Balance.objects.filter(household=household)
    }


def test_balances_move_with_approvals_and_corrections_only(stars):
    office = member(stars.admin)
    household = stars.village([100])[0]  # base 100: no entry yet
    assert kept(household) == {}
    bonus = scoring.record_entry(
        membership=office, household=household, item=stars.item(D("5")), occurred_on=DAY
    )
    penalty = scoring.record_entry(
        membership=office, household=household, item=stars.item(D("-3")), occurred_on=DAY
    )
    withdrawn = scoring.record_entry(
        membership=office, household=household, item=stars.item(D("7")), occurred_on=DAY
    )
    scoring.withdraw_entry(membership=office, entry=withdrawn, reason="记错了")
    assert kept(household) == {}, "proposals and withdrawals never count"
    approve_through_notice([bonus, penalty], membership=office)
    key = (bonus.category_id, bonus.period)
    assert kept(household) == {key: (D("2"), D("3"), 2)}
    correction = scoring.correct_entry(
        membership=office, entry=Entry.objects.get(pk=penalty.pk), reason="罚错了"
    )
    assert correction.state == EntryState.APPROVED  # the township office corrects: it counts at once
    assert kept(household)[key] == (D("5"), D("0"), 3)
    assert balance_differences() == []
    call_command("verify_balances")


def test_verify_balances_reports_a_difference_and_repairs_it_from_the_ledger(stars, capsys):
    household = stars.village([110, 120])[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scoring_balance SET points = points + 1 WHERE household_id = %s", [household.pk]
        )
        cursor.execute(
            "INSERT INTO rewards_spentbalance (township_id, account_id, household_id, year, redeemed, cleared) "
            "SELECT township_id, id, household_id, 2026, 4, 0 FROM scoring_account WHERE household_id = %s",
            [household.pk],
        )
    with pytest.raises(CommandError, match="2 balances differ"):
        call_command("verify_balances")
    out = capsys.readouterr().out
    assert "ledger points=20.00" in out and "kept points=21.00" in out
    assert "redemptions None cleared None; kept 4.00 cleared 0.00" in out
    call_command("verify_balances", "--repair")
    assert balance_differences() == [] and spent_differences() == []
    assert kept(household) == {(stars.scheme.categories.first().pk, "2026"): (D("20"), D("0"), 1)}
    assert not SpentBalance.objects.filter(household=household).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_approvals_and_redemptions_on_one_account_keep_the_balances(stars):
    """Ten notice batches of one entry each, approved at once, while ten redemptions spend from the same account:
    no deadlock, no error but the counter's own refusals, and every balance equal to the ledger at the end."""
    office = member(stars.admin)
    household = stars.village([130])[0]  # +30 approved
    household.members.create(township=stars.township, name="户主", is_head=True)
    rewards.open_budget(membership=office, village=household.village, year=2026)
    shop = rewards.open_shop(membership=office, village=household.village)
    soap = rewards.add_product(
        membership=office, shop=shop, name="肥皂", points=D("10"), cost=D("0"), stock=100
    )
    batches = []
    for _ in range(10):
        entry = scoring.record_entry(
            membership=office, household=household, item=stars.item(D("2")), occurred_on=DAY
        )
        batch = review.post_notice_batch(
            membership=office, village=household.village, scheme=stars.scheme, only=[entry.pk]
        )
        run_out(batch)
        review.move_round(membership=office, round=batch, move="submit")
        batches.append(batch)
    barrier = threading.Barrier(20)
    outcomes = []

    def approve(batch):
        review.move_round(membership=member(stars.admin), round=batch, move="approve")

    def redeem(n):
        rewards.redeem(
            membership=member(stars.admin),
            household=household,
            shop=shop,
            items={soap.pk: 1},
            idempotency_key=f"k{n}",
        )

    def one(work, arg):
        try:
            with township_scope(stars.township), time_machine.travel(IN_2026, tick=False):
                barrier.wait()
                work(arg)
                outcomes.append("ok")
        except DomainError as refused:
            outcomes.append(f"refused {refused.code}")
        except Exception as exc:  # noqa: BLE001 — a deadlock or any other failure fails the test below
            outcomes.append(f"error {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(approve, batch)) for batch in batches]
    threads += [threading.Thread(target=one, args=(redeem, n)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(outcomes) == 20 and [o for o in outcomes if o.startswith("error")] == []
    assert Entry.objects.filter(household=household, state=EntryState.APPROVED).count() == 11
    assert balance_differences() == [] and spent_differences() == []
    assert sum(b.points for b in Balance.objects.filter(household=household)) == D("50")
    redeemed = outcomes.count("ok") - 10
    with township_scope(stars.township):
        balance = spendable_balance(household, year=2026)
    assert (balance.earned, balance.spent) == (D("50"), D("10") * redeemed)
    assert SpentBalance.objects.get(household=household).redeemed == D("10") * redeemed
