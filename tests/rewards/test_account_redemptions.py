"""Redemptions name an account (issue 14): a villager and a unit earn points (claims approved through the village's
notice batch) and spend them at their own village's supermarket, through the counter page and the API. Too low a
balance, or an account of another village or township, is refused and writes nothing; households are as before;
the counter's search costs the same number of queries however many accounts it finds."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import floatformat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tenancy import township_scope
from rewards import selectors
from rewards import services as rewards
from rewards.models import Redemption, StockMove
from scoring import services
from scoring.models import Account, AccountKind
from tests.factories import ResidentFactory
from tests.notices import admin_membership, approve_through_notice
from tests.review.test_api_e2e import Api
from tests.scoring.test_accounts import Governance, services_unit

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def in_november():
    with time_machine.travel(TODAY, tick=False):
        yield


class Market(Governance):
    """The governance world, the villager 王小红 and the unit 东村超市 each with one approved claim, and village 0's
    supermarket with soap (its price is a third of one claim's points) and a pricier rice."""

    def __init__(self, world):
        super().__init__(world)
        t = world.a
        with township_scope(t.township):
            office = admin_membership(t.township.pk)
            self.office = office
            entries = [
                services.record_claim(
                    membership=office,
                    account=self.accounts[key],
                    item=self.item,
                    occurred_on=datetime.date(2026, 11, 1),
                    channel="phone",
                    cause="巡逻",
                )
                for key in ("villager", "unit")
            ]
            assert approve_through_notice(entries) == 2
            self.earned = selectors.spendable_balance(self.accounts["villager"], year=2026).earned
            assert self.earned > 0
            self.shop = rewards.open_shop(membership=office, village=t.villages[0])
            self.soap = rewards.add_product(
                membership=office, shop=self.shop, name="肥皂", points=self.earned / 4, stock=20
            )
            self.rice = rewards.add_product(
                membership=office, shop=self.shop, name="大米", points=self.earned * 2, stock=5
            )

    def page(self, name, **kwargs):
        return reverse(f"rewards:{name}", kwargs={"township_slug": self.world.a.township.slug, **kwargs})


@pytest.fixture
def market(world):
    return Market(world)


def written():
    return Redemption._base_manager.count(), StockMove._base_manager.filter(reason="redemption").count()


def test_a_villager_and_a_unit_earn_points_and_redeem_them_at_the_counter_page(market, login):
    client = login(market.world.a.clerk)
    for key, query in (("villager", "王小红"), ("unit", "东村超市")):
        account = market.accounts[key]
        # The search finds the account itself: the unit alone (straight to its page); the villager beside her
        # family (a member's name finds the household), each with its own page.
        found = client.get(market.page("counter", pk=market.shop.pk), {"q": query})
        here = market.page("counter-account", pk=market.shop.pk, account_pk=account.pk)
        if key == "unit":
            assert found.status_code == 302 and found["Location"] == here
        else:
            listed = found.content.decode()
            family = market.page("counter-household", pk=market.shop.pk, household_pk=market.household.pk)
            assert f'href="{here}"' in listed and f'href="{family}"' in listed
        shown = client.get(here).content.decode()
        assert query in shown and f'id="available">{floatformat(market.earned, "-2")}<' in shown
        done = client.post(here, {f"qty_{market.soap.pk}": "2", "confirm": "1", "key": f"k-{key}"})
        assert done.status_code == 302, done.content.decode()[:2000]
        redemption = Redemption.objects.get(idempotency_key=f"k-{key}")
        assert (redemption.account_id, redemption.household_id) == (account.pk, None)
        assert redemption.points == market.earned / 2
        receipt = client.get(done["Location"]).content.decode()
        assert query in receipt and "肥皂" in receipt
        balance = selectors.spendable_balance(account, year=2026)
        assert (balance.earned, balance.spent) == (market.earned, market.earned / 2)
    # Spending a villager's points never touches the family's balance.
    assert selectors.spendable_balance(market.household, year=2026).spent == 0


def test_too_low_a_balance_is_refused_and_nothing_is_written(market, login):
    client = login(market.world.a.clerk)
    here = market.page("counter-account", pk=market.shop.pk, account_pk=market.accounts["unit"].pk)
    before = written()
    refused = client.post(here, {f"qty_{market.rice.pk}": "1", "confirm": "1", "key": "k"})
    assert refused.status_code == 200 and 'class="errors" role="alert"' in refused.content.decode()
    api = Api(market.world.a.township, market.world.a.clerk)
    answer = api.post(
        "redemptions/",
        {
            "account": market.accounts["villager"].pk,
            "shop": market.shop.pk,
            "items": [{"product": market.rice.pk, "quantity": 1}],
        },
    )
    assert answer.status_code == 400 and "to spend" in str(answer.json())
    assert written() == before
    market.rice.refresh_from_db()
    assert market.rice.stock == 5


def test_the_api_redeems_for_an_account_and_names_it(market):
    api = Api(market.world.a.township, market.world.a.clerk)
    body = {"shop": market.shop.pk, "items": [{"product": market.soap.pk, "quantity": 1}]}
    for key, holder in (("villager", "王小红"), ("unit", "东村超市")):
        answer = api.post(
            "redemptions/", {"account": market.accounts[key].pk, **body}, headers={"Idempotency-Key": key}
        )
        assert answer.status_code == 201, answer.json()
        row = answer.json()
        assert (row["account"], row["account_kind"], row["holder"]) == (
            market.accounts[key].pk,
            market.accounts[key].kind,
            holder,
        )
        assert row["household"] is None
        again = api.post(
            "redemptions/", {"account": market.accounts[key].pk, **body}, headers={"Idempotency-Key": key}
        )
        assert again.status_code == 200 and again.json()["id"] == row["id"]
    listed = api.get("redemptions/", account=market.accounts["unit"].pk).json()["results"]
    assert [r["holder"] for r in listed] == ["东村超市"]
    # A family's redemption through its household names its account too.
    family = api.post("redemptions/", {"household": market.household.pk, **body})
    assert family.status_code == 400 and "household A-001 has 0 to spend" in str(family.json())
    # Exactly one of household and account.
    for wrong in ({}, {"household": market.household.pk, "account": market.accounts["unit"].pk}):
        before = written()
        answer = api.post("redemptions/", {**wrong, **body})
        assert answer.status_code == 400 and "account" in answer.json()["errors"], answer.json()
        assert written() == before


def test_an_account_of_another_village_or_township_is_refused_and_nothing_written(market, login, world):
    client = login(world.a.clerk)
    other_village = Account.objects.get(unit=market.other_village_unit)
    with township_scope(world.b.township):
        foreign_unit = services_unit(world.b, name="乙镇商店")
        foreign = Account.objects.get(unit=foreign_unit)
    before = written()
    for account in (other_village, foreign):
        here = market.page("counter-account", pk=market.shop.pk, account_pk=account.pk)
        assert client.get(here).status_code == 404
        assert (
            client.post(here, {f"qty_{market.soap.pk}": "1", "confirm": "1", "key": "x"}).status_code == 404
        )
    # The township office sees village 1's unit, but it redeems at its own village's supermarket only.
    office = Api(world.a.township, world.a.admin)
    body = {"shop": market.shop.pk, "items": [{"product": market.soap.pk, "quantity": 1}]}
    refused = office.post("redemptions/", {"account": other_village.pk, **body})
    assert refused.status_code == 400 and "own village" in str(refused.json())
    unseen = office.post("redemptions/", {"account": foreign.pk, **body})
    assert unseen.status_code == 400 and "account" in unseen.json()["errors"]
    clerk = Api(world.a.township, world.a.clerk)  # village 0's clerk does not see village 1's accounts
    assert clerk.post("redemptions/", {"account": other_village.pk, **body}).status_code == 400
    with township_scope(world.a.township), pytest.raises(Exception, match="own village"):
        rewards.redeem(
            membership=market.office, account=other_village, shop=market.shop, items={market.soap.pk: 1}
        )
    assert written() == before


def test_the_database_refuses_a_household_that_is_not_the_accounts(market):
    with township_scope(market.world.a.township):
        rewards.redeem(
            membership=market.office,
            account=market.accounts["unit"],
            shop=market.shop,
            items={market.soap.pk: 1},
        )
        first = Redemption.objects.get()
        with pytest.raises(IntegrityError, match="its household must be its account"), transaction.atomic():
            Redemption.objects.create(
                township_id=first.township_id,
                shop=first.shop,
                account=first.account,
                household=market.household,
                year=2026,
                points=1,
                cost=0,
                created_by=first.created_by,
            )


def test_the_counter_search_finds_every_kind_with_its_balance_in_a_constant_number_of_queries(market, login):
    client = login(market.world.a.clerk)
    url = market.page("counter", pk=market.shop.pk)
    api = Api(market.world.a.township, market.world.a.clerk)
    # By mobile: the unit's contact; by name: villagers (their own accounts) and families (a member's name).
    assert client.get(url, {"q": "13900139000"})["Location"].endswith(
        f"/counter/accounts/{market.accounts['unit'].pk}/"
    )
    found = api.get("counter/accounts/", search="13900139000").json()["results"]
    assert [(r["account_kind"], r["holder"]) for r in found] == [("unit", "东村超市")]

    def count(query):
        with CaptureQueriesContext(connection) as pages:
            listed = client.get(url, {"q": query})
        with CaptureQueriesContext(connection) as calls:
            rows = api.get("counter/accounts/", search=query, village=market.world.a.villages[0].pk).json()
        return len(pages), len(calls), listed.content.decode(), rows

    with township_scope(market.world.a.township):
        services_unit(market.world.a, name="王家合作社")
    few = count("王")  # a family (a member's name), a villager, a unit: every kind once
    with township_scope(market.world.a.township):
        for n in range(4):
            ResidentFactory(household=market.household, name=f"王{n}号")
        services_unit(market.world.a, name="王记小卖部")
    many = count("王")
    assert few[:2] == many[:2], (few[:2], many[:2])
    assert len(few[3]["results"]) == 3 and len(many[3]["results"]) == 8
    kinds = [r["account_kind"] for r in many[3]["results"]]
    assert kinds == sorted(kinds) and set(kinds) == {
        AccountKind.HOUSEHOLD,
        AccountKind.RESIDENT,
        AccountKind.UNIT,
    }
    villager = next(r for r in many[3]["results"] if r["holder"] == "王小红")
    assert D(villager["available"]) == market.earned
    assert "王小红" in many[2] and "王家合作社" in many[2] and market.household.number in many[2]
