"""The rewards' services, each refused to a member without the right (tests/contract.py).

Star ratings, reward levels and budgets are the township office's (MANAGE_REWARDS; the override of a village's
annual round is its APPROVE_ROUND): refused to supervisors, county viewers, panel members and clerks. The points
supermarket is its village's (RUN_SHOP): refused to read-only roles and to the clerk of the other village.
Each case builds what it needs as the township office, through the services (tests/rewards/conftest.py).
"""

from decimal import Decimal

from rewards import services
from tests.contract import member
from tests.rewards.conftest import StarWorld, closable

D = Decimal
EXEMPT = {
    "rewards.services.budget.lock_budget": "a helper of the draws on a budget: takes its row lock inside the "
    "calling service's transaction, changes nothing",
    "rewards.services.budget.check_room": "a helper of the draws on a budget: reads the locked figures and "
    "refuses a draw, changes nothing",
    "rewards.services.budget.lock_budget_for": "a helper of the draws on a budget: locks the village's budget of a "
    "year inside the calling service's transaction, or says it is missing; changes nothing",
}


# Star ratings --------------------------------------------------------------------------------------------------


def _rated(world, *, published: bool = False):
    """A scheme with one village of ten ranked households (200, 190, …, 110: one of each star), rated by the
    township office."""
    stars = StarWorld(world)
    stars.households = stars.village([200 - 10 * i for i in range(10)])
    office = member(stars.admin)
    run, _created, _changes = services.rate_stars(membership=office, scheme=stars.scheme)
    if published:
        run = services.publish_run(membership=office, run=run, confirm_overflow=True)
    return stars, run


def rate_stars(world):
    stars = StarWorld(world)
    stars.village([150, 130, 100])
    return lambda: services.rate_stars(membership=member(world.a.supervisor), scheme=stars.scheme)


def override_village_round(world):
    stars = StarWorld(world)
    late = stars.village([150, 130, 100], round_approved=False)
    return lambda: services.override_village_round(
        membership=member(world.a.clerk), scheme=stars.scheme, village=late[0].village, reason="村里已开会"
    )


def publish_run(world):
    _stars, run = _rated(world)
    return lambda: services.publish_run(membership=member(world.a.supervisor), run=run, confirm_overflow=True)


def set_star_rule(world):
    stars = StarWorld(world)
    return lambda: services.set_star_rule(
        membership=member(world.a.clerk), scheme=stars.scheme, fewer_penalties=False, category=stars.category
    )


def set_reward_settings(world):
    stars = StarWorld(world)
    return lambda: services.set_reward_settings(
        membership=member(world.a.county), scheme=stars.scheme, star_five_percent=20
    )


def set_reward_level(world):
    stars = StarWorld(world)
    return lambda: services.set_reward_level(
        membership=member(world.a.clerk), scheme=stars.scheme, stars=5, reward="毛巾", value=D("10")
    )


# Budgets and rewards -------------------------------------------------------------------------------------------


def _budget(world, village=None):
    office = member(world.a.admin)
    budget = services.open_budget(membership=office, village=village or world.a.villages[0], year=2026)
    services.add_funding(membership=office, budget=budget, kind="donation", amount=D("100"), source="银行")
    return budget


def _allocated(world):
    """A published rating of one village, its rewards set and its budget funded: the office's allocations."""
    stars, run = _rated(world, published=True)
    office = member(stars.admin)
    for level in (5, 4, 3):
        services.set_reward_level(membership=office, scheme=stars.scheme, stars=level, value=D("5"))
    village = stars.households[0].village
    for household in stars.households:  # residents: the budget's cap is 2 yuan each
        household.members.create(township=stars.township, name=f"户主{household.number}", is_head=True)
    _budget(world, village)
    return run, village, services.allocate_rewards(membership=office, run=run, village=village)


def open_budget(world):
    return lambda: services.open_budget(
        membership=member(world.a.clerk), village=world.a.villages[0], year=2026
    )


def recount_residents(world):
    budget = _budget(world)
    return lambda: services.recount_residents(membership=member(world.a.supervisor), budget=budget)


def add_funding(world):
    budget = _budget(world)
    return lambda: services.add_funding(
        membership=member(world.a.county), budget=budget, kind="donation", amount=D("50"), source="商户"
    )


def allocate_rewards(world):
    stars, run = _rated(world, published=True)
    for level in (5, 4, 3):
        services.set_reward_level(
            membership=member(stars.admin), scheme=stars.scheme, stars=level, value=D("5")
        )
    village = stars.households[0].village
    _budget(world, village)
    return lambda: services.allocate_rewards(membership=member(world.a.supervisor), run=run, village=village)


def cancel_allocation(world):
    _run, _village, allocations = _allocated(world)
    return lambda: services.cancel_allocation(
        membership=member(world.a.clerk), allocation=allocations[0], reason="发错了"
    )


# The points supermarket ----------------------------------------------------------------------------------------


def _shop(world, village=None):
    office = member(world.a.admin)
    shop = services.open_shop(membership=office, village=village or world.a.villages[1])
    product = services.add_product(
        membership=office, shop=shop, name="肥皂", points=D("10"), cost=D("0"), stock=5
    )
    return shop, product


def open_shop(world):
    other_village = world.a.villages[1]  # the clerk works in the first village only
    return lambda: services.open_shop(membership=member(world.a.clerk), village=other_village)


def update_shop(world):
    shop, _product = _shop(world)
    return lambda: services.update_shop(
        membership=member(world.a.clerk), shop=shop, name="改名超市", opening_hours="周日"
    )


def add_product(world):
    shop, _product = _shop(world)
    return lambda: services.add_product(
        membership=member(world.a.clerk), shop=shop, name="毛巾", points=D("5"), cost=D("0"), stock=3
    )


def update_product(world):
    _shop_, product = _shop(world, world.a.villages[0])
    return lambda: services.update_product(membership=member(world.a.panel), product=product, points=D("12"))


def move_stock(world):
    _shop_, product = _shop(world, world.a.villages[0])
    return lambda: services.move_stock(
        membership=member(world.a.supervisor), product=product, change=2, reason="in"
    )


def redeem(world):
    shop, product = _shop(world, world.a.villages[0])
    household = world.a.households[0]
    return lambda: services.redeem(
        membership=member(world.a.panel), household=household, shop=shop, items={product.pk: 1}
    )


def redeem_or_replay(world):
    shop, product = _shop(world, world.a.villages[0])
    household = world.a.households[0]
    return lambda: services.redeem_or_replay(
        membership=member(world.a.panel), household=household, shop=shop, items={product.pk: 1}
    )


def cancel_redemption(world):
    stars = StarWorld(world)
    households = stars.village([150, 130, 100])  # net +50: room to spend 10
    shop, product = _shop(world, households[0].village)
    redemption = services.redeem(
        membership=member(world.a.admin), household=households[0], shop=shop, items={product.pk: 1}
    )
    return lambda: services.cancel_redemption(
        membership=member(world.a.clerk), redemption=redemption, reason="退货"
    )


# Term-end prizes (class scheme): the head teacher's (MANAGE_REWARDS on the class) -----------------------------


def _prize_list(world, *, published: bool = False):
    """A class of three ranked students (150, 130, 100) and its prize list, computed by the office (the term
    closed early), published if asked."""
    stars = StarWorld(world)
    students = stars.village([150, 130, 100])
    office = member(stars.admin)
    prize_list = services.compute_term_prizes(
        membership=office, scheme=stars.scheme, village=students[0].village, close_early=True
    )
    if published:
        prize_list = services.publish_prize_list(membership=office, prize_list=prize_list, confirm=True)
    return prize_list, students


def compute_term_prizes(world):
    stars = StarWorld(world)
    students = stars.village([150, 130, 100])
    return lambda: services.compute_term_prizes(
        membership=member(world.a.supervisor),
        scheme=stars.scheme,
        village=students[0].village,
        close_early=True,
    )


def award_special_prize(world):
    prize_list, students = _prize_list(world)
    return lambda: services.award_special_prize(
        membership=member(world.a.clerk), prize_list=prize_list, household=students[2], reason="见义勇为"
    )


def publish_prize_list(world):
    prize_list, _students = _prize_list(world)
    return lambda: services.publish_prize_list(
        membership=member(world.a.supervisor), prize_list=prize_list, confirm=True
    )


def hand_out_prize(world):
    prize_list, _students = _prize_list(world, published=True)
    prize = prize_list.prizes.first()
    return lambda: services.hand_out_prize(membership=member(world.a.clerk), prize=prize)


def close_year(world):
    stars = closable(world)
    return lambda: services.close_year(membership=member(world.a.supervisor), scheme=stars.scheme)


CASES = {
    f"rewards.services.{module}.{case.__name__}": case
    for module, cases in {
        "stars": [
            rate_stars,
            override_village_round,
            publish_run,
            set_star_rule,
            set_reward_settings,
        ],
        "budget": [
            set_reward_level,
            open_budget,
            recount_residents,
            add_funding,
            allocate_rewards,
            cancel_allocation,
        ],
        "prizes": [compute_term_prizes, award_special_prize, publish_prize_list, hand_out_prize],
        "year_end": [close_year],
        "shop": [
            open_shop,
            update_shop,
            add_product,
            update_product,
            move_stock,
            redeem,
            redeem_or_replay,
            cancel_redemption,
        ],
    }.items()
    for case in cases
}
