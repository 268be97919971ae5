"""The points supermarket: the spendable balance, stock, redemptions and cancellations (services, real PostgreSQL)."""

import datetime
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from core.errors import DomainError
from core.tenancy import township_scope
from rewards import services
from rewards.models import Product, Redemption, SpendableBasis, StockMove, StockReason
from rewards.selectors import card_code, figures_of, find_households, shop_participation, spendable_balance
from scoring import services as scoring
from scoring.selectors import annual_totals
from tests.contract import member
from tests.factories import store_reward_settings
from tests.notices import approve_through_notice

pytestmark = pytest.mark.django_db
D = Decimal
IN_2026 = "2026-06-15 10:00 +08:00"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def shop(stars):
    """Village V01 with households at annual totals 150, 130, 100 (net +50, +30, 0), a budget and a supermarket."""
    stars.households = stars.village([150, 130, 100])
    village = stars.households[0].village
    for household in stars.households:
        household.members.create(township=stars.township, name=f"户主{household.number}", is_head=True)
    stars.budget = services.open_budget(
        membership=member(stars.admin), village=village, year=2026
    )  # 3 residents: ¥6 cap
    stars.shop = services.open_shop(
        membership=member(stars.admin), village=village, opening_hours="周六 9:00–11:30"
    )
    stars.soap = services.add_product(
        membership=member(stars.admin), shop=stars.shop, name="肥皂", points=D("10"), cost=D("0.50"), stock=7
    )
    stars.oil = services.add_product(
        membership=member(stars.admin),
        shop=stars.shop,
        name="食用油",
        points=D("25"),
        cost=D("0"),
        stock=2,
        source="donated",
    )
    return stars


def redeem(shop, household, items, **kwargs):
    with time_machine.travel(IN_2026, tick=False):
        return services.redeem(
            membership=member(shop.admin), household=household, shop=shop.shop, items=items, **kwargs
        )


def available(household, year=2026):
    return spendable_balance(household, year=year).available


def test_the_spendable_balance_is_the_net_of_bonuses_and_penalties_by_default(shop):
    assert [available(h) for h in shop.households] == [D("50"), D("30"), D("0")]


def test_the_scheme_can_make_the_whole_total_spendable(shop):
    store_reward_settings(shop.scheme, spendable_basis=SpendableBasis.TOTAL)
    assert [available(h) for h in shop.households] == [D("150"), D("130"), D("100")]


def test_redeeming_spends_the_balance_but_never_lowers_the_ranking_score(shop):
    first = shop.households[0]
    redemption = redeem(shop, first, {shop.soap.pk: 2, shop.oil.pk: 1})  # 2×10 + 25 = 45 points, ¥1.00
    assert (redemption.points, redemption.cost, redemption.year) == (D("45"), D("1.00"), 2026)
    assert available(first) == D("5")
    assert annual_totals(shop.scheme)[first.pk] == D("150")
    shop.soap.refresh_from_db()
    shop.oil.refresh_from_db()
    assert (shop.soap.stock, shop.oil.stock) == (5, 1)
    assert sorted(redemption.stock_moves.values_list("product__name", "change")) == [
        ("肥皂", -2),
        ("食用油", -1),
    ]


def test_a_redemption_over_the_balance_is_refused_and_nothing_changes(shop):
    with pytest.raises(DomainError) as refused:
        redeem(shop, shop.households[1], {shop.oil.pk: 2})  # 50 points, 30 to spend
    assert "50" in refused.value.message and "30" in refused.value.message
    assert Redemption.objects.count() == 0
    shop.oil.refresh_from_db()
    assert shop.oil.stock == 2


def test_a_redemption_over_the_stock_is_refused_with_what_is_left(shop):
    store_reward_settings(shop.scheme, spendable_basis=SpendableBasis.TOTAL)
    with pytest.raises(DomainError, match="Only 2 of 食用油 in stock"):
        redeem(shop, shop.households[0], {shop.oil.pk: 3})
    assert Redemption.objects.count() == 0


def test_a_household_redeems_only_at_its_own_village_supermarket(shop):
    elsewhere = shop.village([200])[0]
    with pytest.raises(DomainError, match="another village"):
        redeem(shop, elsewhere, {shop.soap.pk: 1})


def test_a_retried_submission_records_one_redemption(shop):
    first = redeem(shop, shop.households[0], {shop.soap.pk: 1}, idempotency_key="tap-1")
    again = redeem(shop, shop.households[0], {shop.soap.pk: 1}, idempotency_key="tap-1")
    assert first.pk == again.pk and Redemption.objects.count() == 1
    assert available(shop.households[0]) == D("40")
    with pytest.raises(DomainError, match="another household"):
        redeem(shop, shop.households[1], {shop.soap.pk: 1}, idempotency_key="tap-1")


def test_a_cancellation_is_a_reversing_record_that_gives_everything_back(shop):
    first = shop.households[0]
    redemption = redeem(shop, first, {shop.soap.pk: 3})
    with time_machine.travel(IN_2026, tick=False):
        reversal = services.cancel_redemption(
            membership=member(shop.admin), redemption=redemption, reason="拿错了"
        )
    assert (reversal.points, reversal.cost, reversal.reverses_id, reversal.reason) == (
        D("-30"),
        D("-1.50"),
        redemption.pk,
        "拿错了",
    )
    redemption.refresh_from_db()
    assert redemption.points == D("30")  # the original stays as it was
    assert available(first) == D("50")
    shop.soap.refresh_from_db()
    assert shop.soap.stock == 7
    with pytest.raises(DomainError, match="already cancelled"):
        services.cancel_redemption(membership=member(shop.admin), redemption=redemption, reason="again")
    with pytest.raises(DomainError, match="Say why"):
        services.cancel_redemption(membership=member(shop.admin), redemption=reversal, reason=" ")


def test_stock_moves_keep_the_stock_equal_to_their_sum_and_never_below_zero(shop):
    services.move_stock(membership=member(shop.admin), product=shop.soap, change=5, reason=StockReason.IN)
    services.move_stock(
        membership=member(shop.admin), product=shop.soap, change=2, reason=StockReason.OUT, note="受潮"
    )
    with pytest.raises(DomainError, match="Only 10 of 肥皂"):
        services.move_stock(
            membership=member(shop.admin), product=shop.soap, change=11, reason=StockReason.OUT, note="丢失"
        )
    with pytest.raises(DomainError, match="Say why"):
        services.move_stock(
            membership=member(shop.admin), product=shop.soap, change=1, reason=StockReason.OUT
        )
    shop.soap.refresh_from_db()
    moves = list(StockMove.objects.filter(product=shop.soap).values_list("change", flat=True))
    assert moves == [7, 5, -2] and shop.soap.stock == 10


@pytest.mark.postgres
def test_the_database_refuses_to_change_a_redemption(shop):
    redemption = redeem(shop, shop.households[0], {shop.soap.pk: 1})
    with (
        pytest.raises(Exception, match="never changed or deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE rewards_redemption SET points = 1 WHERE id = %s", [redemption.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=shop.soap.pk).update(stock=-1)


def test_unspent_points_carry_over_unless_the_scheme_resets_them_each_year(shop):
    first = shop.households[0]
    old = scoring.create_scheme(membership=member(shop.admin), township=shop.township, name="2025", year=2025)
    category = scoring.add_category(
        membership=member(shop.admin), scheme=old, name="旧", base_score=D("0"), cadence="annual"
    )
    item = scoring.add_item(
        membership=member(shop.admin), category=category, name="好事", kind="bonus", points=D("20")
    )
    scoring.activate_scheme(membership=member(shop.admin), scheme=old)
    entry = scoring.record_entry(
        membership=member(shop.admin), household=first, item=item, occurred_on=datetime.date(2025, 5, 1)
    )
    approve_through_notice([entry], membership=member(shop.admin))
    assert available(first) == D("70")
    assert available(first, year=2025) == D("20")
    store_reward_settings(shop.scheme, spendable_resets_yearly=True)
    assert available(first) == D("50")


def test_the_counter_finds_a_household_by_number_name_mobile_or_card_code(shop):
    first = shop.households[0]
    first.members.update(mobile="13912345678")
    households = first.__class__.objects.all()
    assert list(find_households(households, first.number)) == [first]
    assert list(find_households(households, f"户主{first.number}")) == [first]
    assert list(find_households(households, "13912345678")) == [first]
    assert list(find_households(households, card_code(first))) == [first]
    assert card_code(first) == f"JIFEN-HH:{shop.township.slug}:{first.number}"
    assert list(find_households(households, f"JIFEN-HH:other-town:{first.number}")) == []
    assert list(find_households(households, "  ")) == []


def test_participation_counts_households_and_residents_that_redeemed_this_year(shop):
    village = shop.households[0].village
    first, second, _third = shop.households
    second.members.create(township=shop.township, name="家人")
    redeem(shop, first, {shop.soap.pk: 1})
    cancelled = redeem(shop, second, {shop.soap.pk: 1})
    with time_machine.travel(IN_2026, tick=False):
        services.cancel_redemption(membership=member(shop.admin), redemption=cancelled, reason="退回")
    figures = shop_participation(year=2026, village_ids=[village.pk])[village.pk]
    assert (figures.households_redeemed, figures.households_taking_part) == (1, 3)
    assert (figures.residents_redeemed, figures.residents_taking_part) == (1, 4)
    assert (figures.household_share, figures.resident_share) == (D("33.3"), D("25.0"))
    redeem(shop, second, {shop.soap.pk: 1})
    figures = shop_participation(year=2026, village_ids=[village.pk])[village.pk]
    assert (figures.household_share, figures.resident_share) == (D("66.7"), D("75.0"))


# Concurrency: 20 redemptions at once against one household and one product ---------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("stock", "accepted"), [(7, 5), (3, 3)])
def test_twenty_parallel_redemptions_never_overspend_points_or_stock(stars, stock, accepted):
    """Net +50 points and soap at 10 points: the balance allows 5, the stock `stock`; the smaller wins."""
    household = stars.village([150])[0]
    household.members.create(township=stars.township, name="户主", is_head=True)
    services.open_budget(membership=member(stars.admin), village=household.village, year=2026)
    shop = services.open_shop(membership=member(stars.admin), village=household.village)
    soap = services.add_product(
        membership=member(stars.admin), shop=shop, name="肥皂", points=D("10"), cost=D("0"), stock=stock
    )
    barrier = threading.Barrier(20)
    outcomes = []

    def one(n):
        try:
            with township_scope(stars.township), time_machine.travel(IN_2026, tick=False):
                barrier.wait()
                redemption = services.redeem(
                    membership=member(stars.admin),
                    household=household,
                    shop=shop,
                    items={soap.pk: 1},
                    idempotency_key=f"k{n}",
                )
                outcomes.append(("ok", redemption.pk))
        except DomainError as refused:
            outcomes.append(("refused", refused.code))
        except Exception as exc:  # noqa: BLE001 — any other failure fails the test below
            outcomes.append(("error", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [o for o in outcomes if o[0] == "error"] == []
    ok = [pk for kind, pk in outcomes if kind == "ok"]
    assert len(outcomes) == 20 and len(ok) == accepted == len(set(ok))
    assert Redemption.objects.count() == accepted
    keys = list(Redemption.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) == accepted
    soap.refresh_from_db()
    assert soap.stock == stock - accepted >= 0
    assert sum(StockMove.objects.filter(product=soap).values_list("change", flat=True)) == soap.stock
    assert spendable_balance(household, year=2026).available == D("50") - 10 * accepted >= 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_redemptions_and_cancellations_of_goods_paid_from_the_budget_never_deadlock(stars):
    """Ten households redeem soap and oil, both paid from the village's budget, while ten earlier redemptions of the
    same goods are cancelled: each takes the account, then the products, then the budget, so none waits for another
    in a circle (PostgreSQL would end one of them with a deadlock error)."""
    households = stars.village([150] * 20)  # net +50 each
    for household in households:
        household.members.create(township=stars.township, name=f"户主{household.number}", is_head=True)
    village = households[0].village
    budget = services.open_budget(
        membership=member(stars.admin), village=village, year=2026
    )  # ¥40 may be drawn
    shop = services.open_shop(membership=member(stars.admin), village=village)
    soap = services.add_product(
        membership=member(stars.admin), shop=shop, name="肥皂", points=D("10"), cost=D("0.50"), stock=100
    )
    oil = services.add_product(
        membership=member(stars.admin), shop=shop, name="食用油", points=D("5"), cost=D("1"), stock=100
    )
    basket = {soap.pk: 1, oil.pk: 1}
    with time_machine.travel(IN_2026, tick=False):
        earlier = [
            services.redeem(membership=member(stars.admin), household=h, shop=shop, items=basket)
            for h in households[10:]
        ]
    barrier = threading.Barrier(20)
    errors = []

    def one(act):
        try:
            with township_scope(stars.township), time_machine.travel(IN_2026, tick=False):
                barrier.wait()
                act()
        except Exception as exc:  # noqa: BLE001 — a deadlock or any other failure fails the test below
            errors.append(repr(exc))
        finally:
            connection.close()

    acts = [
        lambda h=h: services.redeem(membership=member(stars.admin), household=h, shop=shop, items=basket)
        for h in households[:10]
    ] + [
        lambda r=r: services.cancel_redemption(membership=member(stars.admin), redemption=r, reason="退回")
        for r in earlier
    ]
    threads = [threading.Thread(target=one, args=(act,)) for act in acts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    # Ten baskets out, ten earlier ones back: 100 − 10 − 10 + 10 of each, and ¥1.50 × 10 drawn on the budget.
    for product in (soap, oil):
        product.refresh_from_db()
        assert (
            product.stock
            == 90
            == sum(StockMove.objects.filter(product=product).values_list("change", flat=True))
        )
    assert figures_of(budget).spent == D("15.00")
