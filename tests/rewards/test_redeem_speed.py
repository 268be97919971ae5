"""The counter's redemption endpoint (bench/redeem.py) answers a redemption recorded now from the objects it wrote,
byte for byte what a fresh read of it answers (`GET redemptions/<id>/`), and makes a fixed number of queries
whatever the basket holds.

Village 0 of the governance world (tests/rewards/test_account_redemptions.py's Market): a villager, a unit and the
household A-001 with one approved claim each; its supermarket sells soap, rice, tea and a pen (donated) and oil (¥0.50
from the village's budget of 2026)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.tenancy import township_scope
from rewards import services as rewards
from rewards.models import Redemption
from scoring import services
from tests.notices import approve_through_notice
from tests.review.test_api_e2e import Api
from tests.rewards.test_account_redemptions import Market

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")

# What one redemption costs, as the API makes it for a token or forced login (no session read) at the township
# office: the membership with its township (a village's clerk adds its villages), the household (or account) and
# the shop named in the body; then, in the service, the account locked, the products locked, the schemes with their
# star rules, the balance (earned and spent in one statement), the redemption, its lines, and the stock with its
# moves (one statement); the answer reads nothing. Goods that cost money add the budget locked and its figures read
# after the lock.
QUERIES = 10
BUDGET_QUERIES = 2


@pytest.fixture(autouse=True)
def in_november():
    with time_machine.travel(TODAY, tick=False):
        yield


class Counter(Market):
    def __init__(self, world):
        super().__init__(world)
        t = world.a
        with township_scope(t.township):
            claim = services.record_claim(
                membership=self.office,
                account=self.accounts["household"],
                item=self.item,
                occurred_on=datetime.date(2026, 11, 1),
                channel="phone",
                cause="巡逻",
            )
            assert approve_through_notice([claim]) == 1
            rewards.open_budget(membership=self.office, village=t.villages[0], year=2026)
            cheap = self.earned / 10
            self.tea = rewards.add_product(
                membership=self.office, shop=self.shop, name="茶叶", points=cheap, stock=9
            )
            self.pen = rewards.add_product(
                membership=self.office, shop=self.shop, name="笔", points=cheap, stock=9, source="donated"
            )
            self.oil = rewards.add_product(
                membership=self.office, shop=self.shop, name="食用油", points=cheap, cost=D("0.50"), stock=9
            )
        self.api = Api(t.township, t.admin)

    def redeem(self, products, *, key="", **holder):
        body = {**holder, "shop": self.shop.pk, "items": [{"product": p.pk, "quantity": 1} for p in products]}
        return self.api.post("redemptions/", body, headers={"Idempotency-Key": key} if key else None)


@pytest.fixture
def counter(world):
    return Counter(world)


def test_a_redemption_recorded_now_is_answered_as_a_fresh_read_of_it(counter):
    holders = {
        "household": {"household": counter.household.pk},
        "villager": {"account": counter.accounts["villager"].pk},
        "unit": {"account": counter.accounts["unit"].pk},
    }
    for n, (name, holder) in enumerate(holders.items()):
        answer = counter.redeem([counter.soap, counter.oil], key=f"tap-{n}", **holder)
        assert answer.status_code == 201, answer.json()
        fresh = counter.api.get(f"redemptions/{answer.json()['id']}/")
        assert answer.content == fresh.content, name
        again = counter.redeem([counter.soap, counter.oil], key=f"tap-{n}", **holder)
        assert (again.status_code, again.content) == (200, fresh.content), name
    # What the answers say, by hand: the household's account, its number, its two lines in product order.
    family = Redemption.objects.get(idempotency_key="tap-0")
    answer = counter.api.get(f"redemptions/{family.pk}/").json()
    assert (answer["household"], answer["household_number"], answer["holder"]) == (
        counter.household.pk,
        counter.household.number,
        counter.household.number,
    )
    assert [(line["product_name"], line["quantity"], line["cost"]) for line in answer["lines"]] == [
        ("肥皂", 1, "0.00"),
        ("食用油", 1, "0.50"),
    ]
    assert (answer["cost"], answer["cancelled"], answer["created_by"]) == ("0.50", False, "a-township_admin")


def queries(call) -> list[str]:
    with CaptureQueriesContext(connection) as made:
        answer = call()
    assert answer.status_code == 201, answer.json()
    return [q["sql"] for q in made.captured_queries if not q["sql"].startswith(TRANSACTION_CONTROL)]


def test_a_redemption_makes_the_same_few_queries_whatever_the_basket(counter):
    household = {"household": counter.household.pk}
    one = queries(lambda: counter.redeem([counter.soap], **household))
    three = queries(lambda: counter.redeem([counter.soap, counter.tea, counter.pen], **household))
    villager = queries(
        lambda: counter.redeem([counter.soap, counter.pen], account=counter.accounts["villager"].pk)
    )
    costing = queries(lambda: counter.redeem([counter.oil, counter.tea], **household))

    assert len(one) == len(three) == len(villager) == QUERIES, "\n".join(three)
    assert len(costing) == QUERIES + BUDGET_QUERIES, "\n".join(costing)
