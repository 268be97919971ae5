"""Budgets (seed 4), rewards per star level and their allocation: refusals say the shortfall in yuan."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from core.errors import DomainError
from rewards import services
from rewards.models import FundingKind, RewardAllocation
from rewards.selectors import budget_figures, figures_of
from tests.contract import member

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def rated(stars):
    """Ten households (totals 200, 190, … 110): the top one gets five stars, the second four, the third three.

    Each household has 2 residents, so the budget has 20 residents: funded 1.5 × 20 + 1 × 20 = ¥50, capped at
    2 × 20 = ¥40.
    """
    stars.households = stars.village([200 - 10 * i for i in range(10)])
    for household in stars.households:
        for n in range(2):
            household.members.create(township=stars.township, name=f"{household.number}-{n}", is_head=n == 0)
    stars.village_ = stars.households[0].village
    stars.budget = services.open_budget(membership=member(stars.admin), village=stars.village_, year=2026)
    run, _, _ = services.rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.run = services.publish_run(membership=member(stars.admin), run=run)
    return stars


def levels(rated, five, four, three):
    for stars, value in ((5, five), (4, four), (3, three)):
        services.set_reward_level(
            membership=member(rated.admin), scheme=rated.scheme, stars=stars, value=D(value)
        )


def test_a_new_budget_is_funded_per_resident_and_capped_at_two_yuan_per_resident(rated):
    figures = figures_of(rated.budget)
    assert rated.budget.residents == 20
    assert (figures.funded, figures.cap, figures.limit, figures.left) == (D("50"), D("40"), D("40"), D("40"))
    kinds = sorted(rated.budget.funding_lines.values_list("kind", "per_resident", "amount"))
    assert kinds == [
        (FundingKind.TOWNSHIP, D("1.50"), D("30.00")),
        (FundingKind.VILLAGE, D("1.00"), D("20.00")),
    ]


def test_rewards_are_allocated_to_the_star_households_with_their_level(rated):
    levels(rated, "15", "10", "5")
    allocations = services.allocate_rewards(
        membership=member(rated.admin), run=rated.run, village=rated.village_
    )
    assert sorted((a.household.number, a.stars, a.value, a.plaque) for a in allocations) == [
        (rated.households[0].number, 5, D("15"), "五星级文明户"),
        (rated.households[1].number, 4, D("10"), "四星级文明户"),
        (rated.households[2].number, 3, D("5"), "三星级文明户"),
    ]
    figures = figures_of(rated.budget)
    assert (figures.committed, figures.left) == (D("30"), D("10"))
    # Safe to run twice: nobody gets a second reward.
    assert (
        services.allocate_rewards(membership=member(rated.admin), run=rated.run, village=rated.village_) == []
    )
    assert RewardAllocation.objects.count() == 3


def test_an_allocation_over_the_cap_is_refused_with_the_shortfall(rated):
    levels(rated, "20", "15", "10")  # ¥45 asked, ¥40 allowed (funded ¥50 but the cap is 2 × 20 residents)
    with pytest.raises(DomainError) as refused:
        services.allocate_rewards(membership=member(rated.admin), run=rated.run, village=rated.village_)
    message = refused.value.message
    assert "¥45.00" in message and "¥40.00 left" in message and "¥5.00 short" in message
    assert refused.value.code == "budget_shortfall"
    assert RewardAllocation.objects.count() == 0


def test_a_cancellation_gives_the_money_back(rated):
    levels(rated, "20", "15", "5")  # ¥40: exactly the limit
    allocations = services.allocate_rewards(
        membership=member(rated.admin), run=rated.run, village=rated.village_
    )
    assert figures_of(rated.budget).left == D("0")
    five = next(a for a in allocations if a.stars == 5)
    reversal = services.cancel_allocation(membership=member(rated.admin), allocation=five, reason="搬离本村")
    assert (reversal.value, reversal.reverses_id) == (D("-20"), five.pk)
    assert figures_of(rated.budget).left == D("20")
    with pytest.raises(DomainError, match="already cancelled"):
        services.cancel_allocation(membership=member(rated.admin), allocation=five, reason="again")
    # The household can be given its reward again (a standing allocation is what counts).
    again = services.allocate_rewards(membership=member(rated.admin), run=rated.run, village=rated.village_)
    assert [a.household_id for a in again] == [five.household_id]


def test_supermarket_costs_draw_on_the_same_budget(rated):
    levels(rated, "20", "10", "5")  # ¥35 committed, ¥5 left
    services.allocate_rewards(membership=member(rated.admin), run=rated.run, village=rated.village_)
    shop = services.open_shop(membership=member(rated.admin), village=rated.village_)
    oil = services.add_product(
        membership=member(rated.admin), shop=shop, name="油", points=D("10"), cost=D("3"), stock=5
    )
    with time_machine.travel("2026-06-01 10:00 +08:00", tick=False):
        services.redeem(
            membership=member(rated.admin), household=rated.households[0], shop=shop, items={oil.pk: 1}
        )
        with pytest.raises(DomainError) as refused:
            services.redeem(
                membership=member(rated.admin), household=rated.households[0], shop=shop, items={oil.pk: 1}
            )
    assert "¥3.00" in refused.value.message and "¥2.00 left" in refused.value.message
    assert "¥1.00 short" in refused.value.message
    figures = budget_figures(year=2026, village_ids=[rated.village_.pk])[rated.village_.pk]
    assert (figures.committed, figures.spent, figures.left) == (D("35"), D("3"), D("2"))


def test_rewards_need_a_published_rating_levels_and_a_budget(rated):
    run, _, _ = services.rate_stars(membership=member(rated.admin), scheme=rated.scheme)
    rated.record([(rated.households[9], D("1"))])
    newer, created, _ = services.rate_stars(membership=member(rated.admin), scheme=rated.scheme)
    assert created
    with pytest.raises(DomainError, match="publish it first"):
        services.allocate_rewards(membership=member(rated.admin), run=newer, village=rated.village_)
    with pytest.raises(DomainError, match="Set the rewards"):
        services.allocate_rewards(membership=member(rated.admin), run=rated.run, village=rated.village_)
    other = rated.village([300])[0].village
    levels(rated, "1", "1", "1")
    with pytest.raises(DomainError, match="has no budget for 2026"):
        services.allocate_rewards(membership=member(rated.admin), run=rated.run, village=other)


def test_funding_corrections_are_negative_lines_with_a_note(rated):
    services.add_funding(
        membership=member(rated.admin),
        budget=rated.budget,
        kind=FundingKind.DONATION,
        amount=D("100"),
        source="李老板",
    )
    assert figures_of(rated.budget).funded == D("150")
    with pytest.raises(DomainError, match="say why"):
        services.add_funding(
            membership=member(rated.admin), budget=rated.budget, kind=FundingKind.DONATION, amount=D("-100")
        )
    services.add_funding(
        membership=member(rated.admin),
        budget=rated.budget,
        kind=FundingKind.DONATION,
        amount=D("-100"),
        note="重复录入",
    )
    assert figures_of(rated.budget).funded == D("50")
    with pytest.raises(DomainError, match="Give the amount"):
        services.add_funding(membership=member(rated.admin), budget=rated.budget, kind=FundingKind.MERCHANT)


def test_a_village_without_a_budget_shows_zeros(rated):
    other = rated.village([120])[0].village
    figures = budget_figures(year=2026, village_ids=[other.pk, rated.village_.pk])
    assert (figures[other.pk].funded, figures[other.pk].left) == (D("0"), D("0"))
    assert figures[rated.village_.pk].limit == D("40")
