"""Demo rewards: the demo scheme's star rating published, rewards per level allocated within each village's
budget, and a points supermarket per village with goods and a few redemptions. Idempotent."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.errors import DomainError
from households.models import Household, Membership, Village
from scoring.models import Scheme

from . import services
from .models import Budget, Redemption, RewardLevel, Shop, StarRunState, VillageRating
from .selectors import current_run, village_statuses

LEVELS = {
    5: ("五星级文明户", "毛巾两条、洗衣液一桶", "20"),
    4: ("四星级文明户", "毛巾两条", "10"),
    3: ("三星级文明户", "毛巾一条", "5"),
}
DEMO_OVERRIDE = "演示：年度评议尚未走完，镇办同意先行评定"
GOODS = [
    ("洗衣皂", "5", "1.50", 40),
    ("毛巾", "10", "3.00", 30),
    ("酱油", "8", "2.50", 25),
    ("大米5斤", "30", "0", 10),  # donated by a merchant: no cost to the budget
    ("作业本", "3", "0.80", 3),  # runs low: the warning shows
]


def seed_rewards(scheme: Scheme) -> bool:
    admin = get_user_model().objects.get(username="demo-admin")
    office = Membership.objects.get(user=admin, township_id=scheme.township_id)
    created = False
    run = current_run(scheme)
    if run is None or run.stale:
        # The demo's annual rounds are not approved yet: the office rates the villages anyway, with its reason
        # (shown on the rating, as an override is).
        pending = {
            v.village_id: DEMO_OVERRIDE
            for v in village_statuses(scheme)
            if v.status == VillageRating.ROUND_NOT_APPROVED
        }
        run, _created, _changes = services.rate_stars(
            membership=office, scheme=scheme, override_villages=pending
        )
        created = True
    if run.state != StarRunState.PUBLISHED:
        # The demo's office accepts an overflowing band (recorded, as a real office would on the publish page).
        run = services.publish_run(membership=office, run=run, confirm_overflow=run.needs_confirmation)
    for stars, (plaque, reward, value) in LEVELS.items():
        if not RewardLevel.objects.filter(scheme=scheme, stars=stars).exists():
            services.set_reward_level(
                membership=office,
                scheme=scheme,
                stars=stars,
                plaque=plaque,
                reward=reward,
                value=Decimal(value),
            )
    for village in Village.objects.order_by("id"):
        if not Budget.objects.filter(village=village, year=scheme.year).exists():
            budget = services.open_budget(membership=office, village=village, year=scheme.year)
            services.add_funding(
                membership=office,
                budget=budget,
                kind="donation",
                amount=Decimal("300"),
                source="青山农商银行",
            )
            services.allocate_rewards(membership=office, run=run, village=village)
            created = True
        if not Shop.objects.filter(village=village).exists():
            shop = services.open_shop(membership=office, village=village, opening_hours="每周六 9:00–11:30")
            for name, points, cost, stock in GOODS:
                services.add_product(
                    membership=office,
                    shop=shop,
                    name=name,
                    points=Decimal(points),
                    cost=Decimal(cost),
                    stock=stock,
                    source="merchant" if cost == "0" else "bought",
                    donor="青山超市" if cost == "0" else "",
                )
            created = True
    shop = Shop.objects.order_by("village_id").first()
    if scheme.year == timezone.localdate().year and not Redemption.objects.filter(shop=shop).exists():
        soap = shop.products.get(name="洗衣皂")
        for household in Household.objects.filter(village=shop.village).order_by("number")[:12]:
            try:
                services.redeem(membership=office, household=household, shop=shop, items={soap.pk: 1})
            except DomainError:
                continue  # not enough points: the demo shows what the counter shows
        created = True
    return created
