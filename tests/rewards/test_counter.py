"""The counter as a clerk meets it (issue 17.5): names and balances in the search, a review step that never offers
to confirm a basket the balance does not cover, quantities bounded by the stock, and stock bounded by its column."""

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from households.models import Membership
from rewards import services
from rewards.models import MAX_STOCK, Product, Redemption, StarRun, StockMove
from tests.api_errors import fields
from tests.contract import member

pytestmark = pytest.mark.django_db
D = Decimal
NOW = "2026-06-15 10:00 +08:00"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def shop(stars, world, client):
    """The clerk's village: 王秀英's household at 150 (50 to spend), 赵大山's at 130 (30); soap at 10 points and ¥1,
    5 on the shelf; the village's 2026 budget (two households, no residents counted here: small)."""
    stars.households = stars.village([150, 130])
    for household, name in zip(stars.households, ["王秀英", "赵大山"], strict=True):
        household.members.create(township=stars.township, name=name, is_head=True)
    village = stars.households[0].village
    Membership.objects.get(user=world.a.clerk).villages.add(village)
    stars.budget = services.open_budget(membership=member(stars.admin), village=village, year=2026)
    stars.shop = services.open_shop(membership=member(stars.admin), village=village)
    stars.soap = services.add_product(
        membership=member(stars.admin), shop=stars.shop, name="肥皂", points=D("10"), cost=D("1"), stock=5
    )
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(world.a.clerk)
    stars.client = client
    return stars


def page(shop, name, **kwargs):
    return reverse(f"rewards:{name}", kwargs={"township_slug": shop.township.slug, **kwargs})


def test_the_search_shows_each_households_head_and_points_to_spend(shop):
    body = shop.client.get(page(shop, "counter", pk=shop.shop.pk), {"q": "V01"}).content.decode()
    first, second = body.split("王秀英")[1], body.split("赵大山")[1]
    assert "王秀英" in body and "赵大山" in body
    assert (
        "<strong>50</strong>" in first.split("</li>")[0] and "<strong>30</strong>" in second.split("</li>")[0]
    )


def test_the_review_step_never_offers_to_confirm_a_basket_the_balance_does_not_cover(shop):
    counter = page(shop, "counter-household", pk=shop.shop.pk, household_pk=shop.households[1].pk)
    review = shop.client.post(counter, {f"qty_{shop.soap.pk}": "4"})  # 40 points, 30 to spend
    body = review.content.decode()
    assert 'name="confirm"' not in body and "−10" not in body and "-10" not in body
    assert "only 30 are left to spend: 10 points short" in body and 'name="change"' in body
    back = shop.client.post(counter, {f"qty_{shop.soap.pk}": "4", "change": "1"}).content.decode()
    assert (
        f'name="qty_{shop.soap.pk}"' in back and 'value="4"' in back and "Confirm the redemption" not in back
    )
    covered = shop.client.post(counter, {f"qty_{shop.soap.pk}": "3"}).content.decode()
    assert 'name="confirm"' in covered
    assert Redemption.objects.count() == 0


@pytest.mark.parametrize("quantity", ["6", "100000000000000000000"])
def test_more_than_the_stock_is_refused_as_out_of_stock_naming_the_product(shop, quantity):
    counter = page(shop, "counter-household", pk=shop.shop.pk, household_pk=shop.households[0].pk)
    for data in (
        {f"qty_{shop.soap.pk}": quantity},
        {f"qty_{shop.soap.pk}": quantity, "confirm": "1", "key": "k"},
    ):
        body = shop.client.post(counter, data).content.decode()
        assert "Only 5 of 肥皂 in stock." in body and "budget" not in body.lower().split("<main")[1]
        assert f'value="{quantity}"' in body  # the basket comes back as typed
    assert f'max="{5}"' in body and Redemption.objects.count() == 0


def test_the_service_refuses_for_the_stock_before_the_budget(shop):
    with pytest.raises(DomainError) as refused:  # over the stock, and at ¥1 each over the ¥25 budget too
        services.redeem(
            membership=member(shop.world.a.clerk),
            household=shop.households[0],
            shop=shop.shop,
            items={shop.soap.pk: 10**20},
        )
    assert refused.value.message == "Only 5 of 肥皂 in stock."


def test_a_stock_beyond_the_column_is_a_form_error_on_the_pages(shop):
    huge = "99999999999999"
    added = shop.client.post(
        page(shop, "shop-detail", pk=shop.shop.pk),
        {"name": "毛巾", "points": "5", "cost": "0", "low_stock": "5", "source": "bought", "stock": huge},
    )
    assert added.status_code == 200 and added.context["form"].errors["stock"]
    warned = shop.client.post(
        page(shop, "shop-detail", pk=shop.shop.pk),
        {"name": "毛巾", "points": "5", "cost": "0", "low_stock": huge, "source": "bought", "stock": "1"},
    )
    assert warned.status_code == 200 and warned.context["form"].errors["low_stock"]
    moved = shop.client.post(
        page(shop, "product-detail", pk=shop.soap.pk), {"stock": "1", "reason": "in", "change": huge}
    )
    assert moved.status_code == 200 and moved.context["stock"].errors["change"]
    assert (
        not Product.objects.filter(name="毛巾").exists() and Product.objects.get(pk=shop.soap.pk).stock == 5
    )


def test_a_stock_beyond_the_column_is_a_400_in_the_api_and_refused_by_the_service(shop):
    api = f"/api/v1/t/{shop.township.slug}/"
    created = shop.client.post(
        f"{api}products/",
        {"shop": shop.shop.pk, "name": "毛巾", "points": "5", "stock": 99999999999999},
        content_type="application/json",
    )
    assert created.status_code == 400 and fields(created) == {"stock"}
    warned = shop.client.post(
        f"{api}products/",
        {"shop": shop.shop.pk, "name": "毛巾", "points": "5", "low_stock": 99999999999999},
        content_type="application/json",
    )
    assert warned.status_code == 400 and fields(warned) == {"low_stock"}
    assert not Product.objects.filter(name="毛巾").exists()
    services.move_stock(membership=member(shop.admin), product=shop.soap, change=MAX_STOCK - 5, reason="in")
    overflow = shop.client.post(
        f"{api}products/{shop.soap.pk}/stock/", {"change": 1, "reason": "in"}, content_type="application/json"
    )
    assert overflow.status_code == 400 and fields(overflow) == {"change"}
    assert StockMove.objects.filter(product=shop.soap).count() == 2
    with pytest.raises(DomainError):
        services.add_product(
            membership=member(shop.admin), shop=shop.shop, name="毛巾", points=D("5"), stock=MAX_STOCK + 1
        )


def test_the_rewards_page_offers_the_counter_and_the_rating_to_publish_with_a_confirmation(
    shop, world, client
):
    run, _, _ = services.rate_stars(membership=member(shop.admin), scheme=shop.scheme)
    counter = page(shop, "counter", pk=shop.shop.pk)
    clerk_view = shop.client.get(page(shop, "shop-list")).content.decode()
    assert f'href="{counter}"' in clerk_view and "data-confirm" not in clerk_view
    client.force_login(shop.admin)
    office_view = client.get(page(shop, "shop-list")).content.decode()
    publish = page(shop, "run-publish", pk=run.pk)
    assert f'action="{publish}"' in office_view and "data-confirm=" in office_view  # jifen.js asks first
    assert client.post(publish, {"checked": "on"}).status_code == 302
    assert StarRun.objects.get(pk=run.pk).state == "published"
    assert f'action="{publish}"' not in client.get(page(shop, "shop-list")).content.decode()


def test_a_double_tap_that_emptied_the_shelf_answers_the_first_redemption(shop):
    towel = services.add_product(  # donated: costs the budget nothing
        membership=member(shop.admin), shop=shop.shop, name="毛巾", points=D("10"), stock=2, source="donated"
    )
    counter = page(shop, "counter-household", pk=shop.shop.pk, household_pk=shop.households[0].pk)
    basket = {f"qty_{towel.pk}": "2", "confirm": "1", "key": "f" * 32}  # both towels
    first = shop.client.post(counter, basket)
    again = shop.client.post(counter, basket)
    assert first.status_code == again.status_code == 302 and again["Location"] == first["Location"]
    assert Redemption.objects.count() == 1 and Product.objects.get(pk=towel.pk).stock == 0
