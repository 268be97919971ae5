"""The rewards REST API (issue 6 item 6): who may do what, the counter end to end, and constant-query lists.

Village V01 has ten households with annual totals 200, 190, … 110 (base 100: spendable 100, 90, … 10) and two
residents each: its 2026 budget is funded 1.5 × 20 + 1 × 20 = ¥50 and capped at 2 × 20 = ¥40. The published
rating gives V01-0000 five stars, V01-0001 four and V01-0002 three. V01's supermarket sells soap (10 points,
¥0.50, 7 in stock) and oil (25 points, donated, 2 in stock). V02 (one household) has its own supermarket.
The clerk works in V01 (and the world's own village), not in V02.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Job
from households.models import Membership
from rewards import services
from rewards.models import Product, Redemption, RewardAllocation, StarRule, StarRun, StockMove
from scoring import services as scoring
from tests.api_errors import fields
from tests.contract import member

pytestmark = pytest.mark.django_db
D = Decimal
IN_2026 = "2026-06-15 10:00 +08:00"


@pytest.fixture(autouse=True)
def in_2026():
    with time_machine.travel(IN_2026, tick=False):
        yield


@pytest.fixture
def w(stars, world):
    stars.households = stars.village([200 - 10 * i for i in range(10)])
    for household in stars.households:
        for n in range(2):
            household.members.create(
                township=stars.township,
                name=f"{household.number}-{n}",
                is_head=n == 0,
                mobile=f"1390000{household.number[-4:]}" if n == 0 else "",
            )
    stars.v1 = stars.households[0].village
    stars.budget = services.open_budget(membership=member(stars.admin), village=stars.v1, year=2026)
    run, _, _ = services.rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.run = services.publish_run(membership=member(stars.admin), run=run)
    stars.shop = services.open_shop(
        membership=member(stars.admin), village=stars.v1, opening_hours="周六 9:00–11:30"
    )
    stars.soap = services.add_product(
        membership=member(stars.admin), shop=stars.shop, name="肥皂", points=D("10"), cost=D("0.50"), stock=7
    )
    stars.oil = services.add_product(
        membership=member(stars.admin),
        shop=stars.shop,
        name="食用油",
        points=D("25"),
        stock=2,
        source="donated",
    )
    stars.other = stars.village([150])[0]
    stars.v2 = stars.other.village
    stars.other_shop = services.open_shop(membership=member(stars.admin), village=stars.v2)
    stars.other_soap = services.add_product(
        membership=member(stars.admin), shop=stars.other_shop, name="肥皂", points=D("1"), stock=3
    )
    Membership.objects.get(user=world.a.clerk).villages.add(stars.v1)
    stars.clerk, stars.supervisor, stars.county = world.a.clerk, world.a.supervisor, world.a.county
    stars.outsider = world.b.admin
    return stars


def url(path: str, slug: str = "town-a") -> str:
    return f"/api/v1/t/{slug}/{path}"


def send(client, user, method, path, data=None, **headers):
    client.force_login(user)
    kwargs = {"HTTP_ACCEPT_LANGUAGE": "en", **headers}
    if method == "get":
        return client.get(url(path), data or {}, **kwargs)
    return getattr(client, method)(url(path), data or {}, content_type="application/json", **kwargs)


def snapshot() -> dict:
    """Every row of every rewards table, and the jobs: what "nothing changed" means here."""
    rows = {
        model.__name__: sorted(map(repr, model.objects.order_by().values_list()))
        for model in apps.get_app_config("rewards").get_models()
    }
    return rows | {"jobs": Job.objects.count()}


def available(client, w, household) -> Decimal:
    response = send(client, w.admin, "get", f"households/{household.pk}/balance/")
    assert response.status_code == 200
    return D(response.json()["available"])


# Who may write what -----------------------------------------------------------------------------------------------


@dataclass
class Write:
    name: str
    method: str
    path: object  # w -> path (may prepare what the write needs)
    data: object  # w -> body
    writer: str  # "admin" (township office) or "clerk" (the village's clerk)
    status: int
    county: int = 403  # 404 on a household's own records, which a county viewer does not see

    def __str__(self):
        return self.name


def _new_version(w):
    w.record([(w.households[5], D("100"))])
    run, created, _ = services.rate_stars(membership=member(w.admin), scheme=w.scheme)
    assert created and run.version == 2
    return f"star-runs/{run.pk}/publish/"


def _levels(w, five="15", four="10", three="5"):
    for stars, value in ((5, five), (4, four), (3, three)):
        services.set_reward_level(membership=member(w.admin), scheme=w.scheme, stars=stars, value=D(value))


def _allocation(w):
    _levels(w)
    allocation = services.allocate_rewards(membership=member(w.admin), run=w.run, village=w.v1)[0]
    return f"allocations/{allocation.pk}/cancel/"


def _reward_level(w):
    level = services.set_reward_level(membership=member(w.admin), scheme=w.scheme, stars=4, value=D("8"))
    return f"reward-levels/{level.pk}/"


def _more_residents(w):
    w.households[0].members.create(township=w.township, name="新生儿")
    return f"budgets/{w.budget.pk}/recount/"


def _redemption(w):
    redemption = services.redeem(
        membership=member(w.admin), household=w.households[0], shop=w.shop, items={w.soap.pk: 1}
    )
    return f"redemptions/{redemption.pk}/cancel/"


WRITES = [
    Write("rate stars", "post", lambda w: f"schemes/{w.scheme.pk}/rate-stars/", lambda w: {}, "admin", 202),
    Write("publish", "post", _new_version, lambda w: {}, "admin", 200),
    Write(
        "set reward level",
        "post",
        lambda w: "reward-levels/",
        lambda w: {"scheme": w.scheme.pk, "stars": 5, "reward": "大米", "value": "15"},
        "admin",
        201,
    ),
    Write("change reward level", "patch", _reward_level, lambda w: {"value": "12"}, "admin", 200),
    Write(
        "open budget",
        "post",
        lambda w: "budgets/",
        lambda w: {"village": w.v2.pk, "year": 2026},
        "admin",
        201,
    ),
    Write("recount residents", "post", _more_residents, lambda w: {}, "admin", 200),
    Write(
        "add funding",
        "post",
        lambda w: "funding-lines/",
        lambda w: {"budget": w.budget.pk, "kind": "donation", "amount": "10", "source": "爱心企业"},
        "admin",
        201,
    ),
    Write(
        "allocate",
        "post",
        lambda w: (_levels(w), "allocations/allocate/")[1],
        lambda w: {"run": w.run.pk, "village": w.v1.pk},
        "admin",
        201,
    ),
    Write("cancel allocation", "post", _allocation, lambda w: {"reason": "搬离本村"}, "admin", 201, 404),
    Write(
        "open shop",
        "post",
        lambda w: "shops/",
        lambda w: {"village": w.world.a.villages[0].pk, "name": "东村积分超市"},
        "clerk",
        201,
    ),
    Write(
        "change shop",
        "patch",
        lambda w: f"shops/{w.shop.pk}/",
        lambda w: {"opening_hours": "周日"},
        "clerk",
        200,
    ),
    Write(
        "add product",
        "post",
        lambda w: "products/",
        lambda w: {"shop": w.shop.pk, "name": "毛巾", "points": "15", "cost": "2", "stock": 4},
        "clerk",
        201,
    ),
    Write(
        "change product",
        "patch",
        lambda w: f"products/{w.soap.pk}/",
        lambda w: {"points": "12"},
        "clerk",
        200,
    ),
    Write(
        "stock in",
        "post",
        lambda w: f"products/{w.soap.pk}/stock/",
        lambda w: {"change": 5, "reason": "in"},
        "clerk",
        201,
    ),
    Write(
        "redeem",
        "post",
        lambda w: "redemptions/",
        lambda w: {
            "household": w.households[0].pk,
            "shop": w.shop.pk,
            "items": [{"product": w.soap.pk, "quantity": 2}],
        },
        "clerk",
        201,
    ),
    Write("cancel redemption", "post", _redemption, lambda w: {"reason": "退货"}, "clerk", 201, 404),
]


@pytest.mark.parametrize("case", WRITES, ids=str)
def test_a_write_needs_the_role_and_an_outsider_learns_nothing(case, w, client):
    path, data = case.path(w), case.data(w)
    before = snapshot()
    refused = [(w.outsider, 404), (w.supervisor, 403), (w.county, case.county)]
    if case.writer == "admin":
        refused.append((w.clerk, 403))  # budgets and rewards are the township office's
    for user, status in refused:
        response = send(client, user, case.method, path, data)
        assert response.status_code == status, (user.username, response.content)
        assert snapshot() == before, user.username

    response = send(client, getattr(w, case.writer), case.method, path, data)

    assert response.status_code == case.status, response.content
    assert snapshot() != before


def test_rating_stars_answers_the_job_and_its_page(w, client):
    response = send(client, w.admin, "post", f"schemes/{w.scheme.pk}/rate-stars/")

    job = Job.objects.get()
    assert response.status_code == 202
    assert response.json() == {"job": job.pk, "url": f"/t/town-a/jobs/{job.pk}/"}
    assert (job.kind, job.params, job.created_by) == ("star_rating", {"scheme_id": w.scheme.pk}, w.admin)


READS = [
    "star-runs/",
    "reward-levels/",
    "budgets/",
    "funding-lines/",
    "allocations/",
    "shops/",
    "products/",
    "stock-moves/",
    "redemptions/",
    "counter/households/?search=V01",
    "shop-participation/",
]


@pytest.mark.parametrize("path", READS)
def test_members_read_and_an_outsider_gets_404(path, w, client):
    for user in (w.admin, w.clerk, w.supervisor):
        assert send(client, user, "get", path).status_code == 200, user.username
    assert send(client, w.outsider, "get", path).status_code == 404


def test_detail_reads_need_membership(w, client):
    for path in (
        f"star-runs/{w.run.pk}/",
        f"star-runs/{w.run.pk}/results/",
        f"budgets/{w.budget.pk}/",
        f"shops/{w.shop.pk}/",
        f"products/{w.soap.pk}/",
        f"households/{w.households[0].pk}/balance/",
    ):
        assert send(client, w.supervisor, "get", path).status_code == 200, path
        assert send(client, w.outsider, "get", path).status_code == 404, path


def test_nothing_of_the_trail_is_changed_or_deleted(w, client):
    _allocation(w)
    _redemption(w)
    line = w.budget.funding_lines.first()
    allocation = RewardAllocation.objects.first()
    redemption = Redemption.objects.first()
    before = snapshot()
    for path in (
        f"funding-lines/{line.pk}/",
        f"allocations/{allocation.pk}/",
        f"redemptions/{redemption.pk}/",
    ):
        for method in ("put", "patch", "delete"):
            assert send(client, w.admin, method, path, {"reason": "x"}).status_code == 405, (method, path)
            assert send(client, w.supervisor, method, path).status_code == 405, (method, path)
            assert send(client, w.outsider, method, path).status_code == 404, (method, path)
    for path in (
        f"star-runs/{w.run.pk}/",
        f"budgets/{w.budget.pk}/",
        f"shops/{w.shop.pk}/",
        f"products/{w.soap.pk}/",
        f"reward-levels/{w.scheme.reward_levels.first().pk}/",
    ):
        assert send(client, w.admin, "delete", path).status_code == 405, path
    assert snapshot() == before


# Villages: a clerk sees and runs only their own ---------------------------------------------------------------


def test_the_clerk_does_not_see_another_villages_supermarket(w, client):
    before = snapshot()
    shops = send(client, w.clerk, "get", "shops/").json()["results"]
    assert [shop["id"] for shop in shops] == [w.shop.pk]
    for method, path, data in (
        ("get", f"shops/{w.other_shop.pk}/", None),
        ("patch", f"shops/{w.other_shop.pk}/", {"name": "x"}),
        ("get", f"products/{w.other_soap.pk}/", None),
        ("patch", f"products/{w.other_soap.pk}/", {"points": "2"}),
        ("post", f"products/{w.other_soap.pk}/stock/", {"change": 1, "reason": "in"}),
        ("get", f"households/{w.other.pk}/balance/", None),
    ):
        assert send(client, w.clerk, method, path, data).status_code == 404, (method, path)
    products = send(client, w.clerk, "get", "products/").json()["results"]
    assert {p["id"] for p in products} == {w.soap.pk, w.oil.pk}
    response = send(
        client,
        w.clerk,
        "post",
        "redemptions/",
        {
            "household": w.other.pk,
            "shop": w.other_shop.pk,
            "items": [{"product": w.other_soap.pk, "quantity": 1}],
        },
    )
    assert response.status_code == 400
    assert fields(response) == {"household", "shop"}
    budgets = send(client, w.clerk, "get", "budgets/").json()["results"]
    assert [b["id"] for b in budgets] == [w.budget.pk]
    assert snapshot() == before


def test_a_county_viewer_sees_no_households_records(w, client):
    _redemption(w)
    assert send(client, w.county, "get", "redemptions/").json()["results"] == []
    assert send(client, w.county, "get", f"star-runs/{w.run.pk}/results/").json()["results"] == []
    assert send(client, w.county, "get", f"households/{w.households[0].pk}/balance/").status_code == 404
    assert send(client, w.county, "get", "budgets/").json()["count"] == 1


# Star runs and budgets ---------------------------------------------------------------------------------------------


def test_star_results_by_village_and_stars(w, client):
    response = send(client, w.supervisor, "get", f"star-runs/{w.run.pk}/results/", {"village": w.v1.pk})
    rows = response.json()["results"]
    assert response.json()["count"] == 10
    assert [(r["household_number"], r["rank"], r["n"], r["stars"]) for r in rows[:4]] == [
        ("V01-0000", 1, 10, 5),
        ("V01-0001", 2, 10, 4),
        ("V01-0002", 3, 10, 3),
        ("V01-0003", 4, 10, 0),
    ]
    starred = send(client, w.supervisor, "get", f"star-runs/{w.run.pk}/results/", {"stars": 5}).json()
    assert [r["household_number"] for r in starred["results"]] == ["V01-0000"]
    runs = send(client, w.supervisor, "get", "star-runs/", {"year": 2026}).json()["results"]
    assert [(r["version"], r["state"], r["current"]) for r in runs] == [(1, "published", True)]
    assert send(client, w.supervisor, "get", "star-runs/", {"year": 2025}).json()["results"] == []


def test_publishing_an_out_of_date_rating_is_refused(w, client):
    w.record([(w.households[5], D("100"))])
    services.rate_stars(membership=member(w.admin), scheme=w.scheme)

    response = send(client, w.admin, "post", f"star-runs/{w.run.pk}/publish/")

    assert response.status_code == 400
    assert "out of date" in response.json()["errors"]["non_field_errors"][0]


def test_a_budget_shows_funded_cap_limit_committed_spent_and_left(w, client):
    _levels(w)
    services.allocate_rewards(membership=member(w.admin), run=w.run, village=w.v1)  # 15 + 10 + 5
    services.redeem(
        membership=member(w.admin), household=w.households[0], shop=w.shop, items={w.soap.pk: 2}
    )  # ¥1.00

    budget = send(client, w.clerk, "get", f"budgets/{w.budget.pk}/").json()

    figures = {k: budget[k] for k in ("funded", "cap", "limit", "committed", "spent", "left")}
    assert figures == {
        "funded": "50.00",
        "cap": "40.00",
        "limit": "40.00",
        "committed": "30.00",
        "spent": "1.00",
        "left": "9.00",
    }
    assert (budget["residents"], budget["village_name"], budget["year"]) == (20, w.v1.name, 2026)


def test_opening_a_second_budget_for_the_year_is_a_400_on_the_year(w, client):
    response = send(client, w.admin, "post", "budgets/", {"village": w.v1.pk, "year": 2026})
    assert response.status_code == 400
    assert "already has a budget" in response.json()["errors"]["year"][0]


def test_allocating_over_the_budget_is_refused_with_the_shortfall(w, client):
    _levels(w, "20", "15", "10")  # ¥45 asked, ¥40 allowed
    before = snapshot()

    response = send(client, w.admin, "post", "allocations/allocate/", {"run": w.run.pk, "village": w.v1.pk})

    assert response.status_code == 400
    message = response.json()["errors"]["non_field_errors"][0]
    assert "¥45.00" in message and "¥40.00 left" in message and "¥5.00 short" in message
    assert snapshot() == before


def test_allocating_and_cancelling_give_and_take_back_the_money(w, client):
    _levels(w)
    response = send(client, w.admin, "post", "allocations/allocate/", {"run": w.run.pk, "village": w.v1.pk})
    assert response.status_code == 201
    rows = sorted((a["household_number"], a["stars"], a["value"], a["plaque"]) for a in response.json())
    assert rows == [
        ("V01-0000", 5, "15.00", "五星级文明户"),
        ("V01-0001", 4, "10.00", "四星级文明户"),
        ("V01-0002", 3, "5.00", "三星级文明户"),
    ]
    again = send(client, w.admin, "post", "allocations/allocate/", {"run": w.run.pk, "village": w.v1.pk})
    assert (again.status_code, again.json()) == (201, [])

    five = next(a for a in response.json() if a["stars"] == 5)
    cancel = send(client, w.admin, "post", f"allocations/{five['id']}/cancel/", {"reason": "搬离本村"})
    assert cancel.status_code == 201
    assert (cancel.json()["value"], cancel.json()["reverses"]) == ("-15.00", five["id"])
    assert send(client, w.admin, "get", f"budgets/{w.budget.pk}/").json()["left"] == "25.00"
    listed = send(client, w.admin, "get", "allocations/", {"household": w.households[0].pk}).json()["results"]
    assert sorted((a["value"], a["cancelled"]) for a in listed) == [("-15.00", False), ("15.00", True)]
    twice = send(client, w.admin, "post", f"allocations/{five['id']}/cancel/", {"reason": "again"})
    assert twice.status_code == 400 and "already cancelled" in twice.json()["errors"]["non_field_errors"][0]


def test_a_funding_correction_needs_a_note(w, client):
    response = send(
        client, w.admin, "post", "funding-lines/", {"budget": w.budget.pk, "kind": "donation", "amount": "-5"}
    )
    assert response.status_code == 400 and "note" in fields(response)


# The counter -------------------------------------------------------------------------------------------------------


def test_redeeming_at_the_counter_end_to_end(w, client):
    first = w.households[0]
    response = send(
        client,
        w.clerk,
        "post",
        "redemptions/",
        {
            "household": first.pk,
            "shop": w.shop.pk,
            "items": [{"product": w.soap.pk, "quantity": 2}, {"product": w.oil.pk, "quantity": 1}],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["points"], body["cost"], body["year"], body["cancelled"]) == ("45.00", "1.00", 2026, False)
    assert sorted((line["product_name"], line["quantity"]) for line in body["lines"]) == [
        ("肥皂", 2),
        ("食用油", 1),
    ]
    balance = send(client, w.clerk, "get", f"households/{first.pk}/balance/").json()
    assert (balance["earned"], balance["spent"], balance["available"]) == ("100.00", "45.00", "55.00")
    assert sorted(Product.objects.filter(shop=w.shop).values_list("name", "stock")) == [
        ("肥皂", 5),
        ("食用油", 1),
    ]
    assert send(client, w.clerk, "get", f"budgets/{w.budget.pk}/").json()["spent"] == "1.00"
    moves = send(client, w.clerk, "get", "stock-moves/", {"product": w.soap.pk}).json()["results"]
    assert sorted((m["change"], m["reason"]) for m in moves) == [(-2, "redemption"), (7, "in")]


@pytest.mark.parametrize(
    "household, items, field, words",
    [
        (9, [("oil", 1)], "items", ["25", "10", "to spend"]),  # V01-0009 has 10 points to spend
        (0, [("oil", 3)], "items", ["Only 2 of 食用油 in stock"]),
        (0, [("cooker", 1)], "non_field_errors", ["¥45.00", "¥40.00 left", "¥5.00 short"]),
    ],
    ids=["not enough points", "not enough stock", "budget shortfall"],
)
def test_a_refused_redemption_is_a_400_that_says_why_and_changes_nothing(
    w, client, household, items, field, words
):
    w.cooker = services.add_product(
        membership=member(w.admin), shop=w.shop, name="电饭锅", points=D("50"), cost=D("45"), stock=1
    )
    before = snapshot()
    body = {
        "household": w.households[household].pk,
        "shop": w.shop.pk,
        "items": [{"product": getattr(w, name).pk, "quantity": n} for name, n in items],
    }

    response = send(client, w.clerk, "post", "redemptions/", body)

    assert response.status_code == 400
    message = response.json()["errors"][field][0]
    assert all(word in message for word in words), message
    assert snapshot() == before


def test_redemption_input_errors_are_400s(w, client):
    before = snapshot()
    for items in ([], [{"product": w.soap.pk, "quantity": 0}], [{"product": w.soap.pk, "quantity": 1}] * 2):
        body = {"household": w.households[0].pk, "shop": w.shop.pk, "items": items}
        assert send(client, w.clerk, "post", "redemptions/", body).status_code == 400, items
    foreign = {
        "household": w.households[0].pk,
        "shop": w.shop.pk,
        "items": [{"product": w.other_soap.pk, "quantity": 1}],
    }
    response = send(client, w.admin, "post", "redemptions/", foreign)
    assert (
        response.status_code == 400
        and "not sold at this supermarket" in response.json()["errors"]["items"][0]
    )
    assert snapshot() == before


def test_a_retried_redemption_with_the_same_key_records_once(w, client):
    body = {
        "household": w.households[0].pk,
        "shop": w.shop.pk,
        "items": [{"product": w.soap.pk, "quantity": 1}],
    }

    first = send(client, w.clerk, "post", "redemptions/", body, HTTP_IDEMPOTENCY_KEY="tap-1")
    again = send(client, w.clerk, "post", "redemptions/", body, HTTP_IDEMPOTENCY_KEY="tap-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Redemption.objects.count() == 1
    assert available(client, w, w.households[0]) == D("90")
    other = {**body, "household": w.households[1].pk}
    reused = send(client, w.clerk, "post", "redemptions/", other, HTTP_IDEMPOTENCY_KEY="tap-1")
    assert reused.status_code == 400 and "another household" in reused.json()["errors"]["non_field_errors"][0]
    bad = send(client, w.clerk, "post", "redemptions/", body, HTTP_IDEMPOTENCY_KEY="not a key!")
    assert bad.status_code == 400 and "Idempotency-Key" in fields(bad)
    assert Redemption.objects.count() == 1


def test_cancelling_a_redemption_gives_points_goods_and_money_back(w, client):
    redemption = services.redeem(
        membership=member(w.admin), household=w.households[0], shop=w.shop, items={w.soap.pk: 2, w.oil.pk: 1}
    )
    assert available(client, w, w.households[0]) == D("55")

    response = send(client, w.clerk, "post", f"redemptions/{redemption.pk}/cancel/", {"reason": "退货"})

    assert response.status_code == 201
    body = response.json()
    assert (body["points"], body["cost"], body["reverses"], body["reason"]) == (
        "-45.00",
        "-1.00",
        redemption.pk,
        "退货",
    )
    assert available(client, w, w.households[0]) == D("100")
    assert sorted(Product.objects.filter(shop=w.shop).values_list("name", "stock")) == [
        ("肥皂", 7),
        ("食用油", 2),
    ]
    assert send(client, w.clerk, "get", f"budgets/{w.budget.pk}/").json()["spent"] == "0.00"
    listed = send(client, w.clerk, "get", "redemptions/", {"household": w.households[0].pk}).json()["results"]
    assert sorted((r["points"], r["cancelled"]) for r in listed) == [("-45.00", False), ("45.00", True)]
    twice = send(client, w.clerk, "post", f"redemptions/{redemption.pk}/cancel/", {"reason": "again"})
    assert twice.status_code == 400 and "already cancelled" in twice.json()["errors"]["non_field_errors"][0]
    no_reason = send(client, w.clerk, "post", f"redemptions/{body['id']}/cancel/", {"reason": ""})
    assert no_reason.status_code == 400


def test_stock_out_needs_a_reason_and_never_goes_below_zero(w, client):
    response = send(client, w.clerk, "post", f"products/{w.oil.pk}/stock/", {"change": 1, "reason": "out"})
    assert response.status_code == 400 and "note" in fields(response)
    response = send(
        client, w.clerk, "post", f"products/{w.oil.pk}/stock/", {"change": 3, "reason": "out", "note": "过期"}
    )
    assert response.status_code == 400 and "Only 2" in response.json()["errors"]["change"][0]
    response = send(
        client, w.clerk, "post", f"products/{w.oil.pk}/stock/", {"change": 2, "reason": "out", "note": "过期"}
    )
    assert (response.status_code, response.json()["change"]) == (201, -2)
    low = send(client, w.clerk, "get", "products/", {"low": "true"}).json()["results"]
    assert [(p["name"], p["stock"], p["is_low"]) for p in low] == [("食用油", 0, True)]


def test_a_products_stock_is_not_changed_by_an_update(w, client):
    response = send(client, w.clerk, "patch", f"products/{w.soap.pk}/", {"stock": 100})
    assert response.status_code == 400 and "stock" in fields(response)
    assert Product.objects.get(pk=w.soap.pk).stock == 7


def test_the_counter_finds_households_by_number_name_mobile_and_card(w, client):
    def found(search, user=w.clerk, **page):
        response = send(client, user, "get", "counter/households/", {"search": search, **page})
        assert response.status_code == 200, response.content
        return response.json()["results"]

    card = found("JIFEN-HH:town-a:V01-0001")
    assert [(h["number"], h["available"], h["card_code"]) for h in card] == [
        ("V01-0001", "90.00", "JIFEN-HH:town-a:V01-0001")
    ]
    assert card[0]["members"] == ["V01-0001-0", "V01-0001-1"]
    assert [h["number"] for h in found("V01-0003-1")] == ["V01-0003"]
    assert [h["number"] for h in found("13900000004")] == ["V01-0004"]
    assert len(found("V01")) == 10  # ten a page, the counter's screen
    assert [h["number"] for h in found("V01", page=2, page_size=3)] == ["V01-0003", "V01-0004", "V01-0005"]
    assert found("V02", user=w.clerk) == []  # not the clerk's village
    assert [h["number"] for h in found("V02", user=w.admin)] == ["V02-0000"]
    assert found("JIFEN-HH:town-b:B-002", user=w.admin) == []
    assert send(client, w.clerk, "get", "counter/households/", {"search": "a\x00b"}).status_code == 400
    assert fields(send(client, w.clerk, "get", "counter/households/", {"q": "V01"})) == {"search"}


def test_the_counter_search_makes_a_bounded_number_of_queries(w, client):
    w.village([120] * 15, name="大村")  # 15 more households numbered V03-…
    client.force_login(w.admin)
    with CaptureQueriesContext(connection) as few:
        assert send(client, w.admin, "get", "counter/households/", {"search": "V02"}).json()["count"] == 1
    with CaptureQueriesContext(connection) as many:
        assert (
            len(send(client, w.admin, "get", "counter/households/", {"search": "V03"}).json()["results"])
            == 10
        )
    assert len(many) <= len(few) + 9 * 6  # at most a few queries per balance, at most ten balances


def test_shop_participation_per_visible_village(w, client):
    services.redeem(membership=member(w.admin), household=w.households[0], shop=w.shop, items={w.soap.pk: 1})
    cancelled = services.redeem(
        membership=member(w.admin), household=w.households[1], shop=w.shop, items={w.soap.pk: 1}
    )
    services.cancel_redemption(membership=member(w.admin), redemption=cancelled, reason="退货")

    rows = send(client, w.clerk, "get", "shop-participation/", {"year": 2026}).json()["results"]

    by_village = {row["village"]: row for row in rows}
    assert set(by_village) == {w.v1.pk, w.world.a.villages[0].pk}
    v1 = by_village[w.v1.pk]
    assert (v1["households_redeemed"], v1["households_taking_part"], v1["household_share"]) == (1, 10, "10.0")
    assert (v1["residents_redeemed"], v1["residents_taking_part"], v1["resident_share"]) == (2, 20, "10.0")
    assert send(client, w.clerk, "get", "shop-participation/", {"year": 1}).status_code == 400


# Lists make a constant number of queries ------------------------------------------------------------------------


def _grow_runs(w):
    w.record([(w.households[5], D("100"))])
    services.rate_stars(membership=member(w.admin), scheme=w.scheme)


def _grow_budgets(w):
    for village in w.world.a.villages:
        services.open_budget(membership=member(w.admin), village=village, year=2026)
    services.open_budget(membership=member(w.admin), village=w.v1, year=2025)


def _grow_funding(w):
    for amount in ("5", "6", "7"):
        services.add_funding(
            membership=member(w.admin), budget=w.budget, kind="donation", amount=D(amount), source="x"
        )


def _grow_allocations(w):
    for household in w.households[3:6]:
        RewardAllocation.objects.create(
            township=w.township,
            budget=w.budget,
            run=w.run,
            household=household,
            stars=3,
            plaque="三星级文明户",
            value=D("1"),
            created_by=w.admin,
        )


def _grow_shops(w):
    for village in w.world.a.villages:
        services.open_shop(membership=member(w.admin), village=village)


def _grow_products(w):
    for n in range(3):
        services.add_product(
            membership=member(w.admin), shop=w.shop, name=f"商品{n}", points=D("1"), stock=n + 1
        )


def _grow_redemptions(w):
    for household in w.households[1:3]:
        services.redeem(membership=member(w.admin), household=household, shop=w.shop, items={w.soap.pk: 1})
    services.redeem(
        membership=member(w.admin), household=w.households[3], shop=w.shop, items={w.soap.pk: 1, w.oil.pk: 1}
    )


def _grow_levels(w):
    next_year = scoring.create_scheme(
        membership=member(w.admin), township=w.township, name="星级评定", year=2027
    )
    for stars in (5, 4):
        services.set_reward_level(membership=member(w.admin), scheme=next_year, stars=stars, value=D("1"))


def _first_allocation_and_redemption(w):
    _allocation(w)
    _redemption(w)


LISTS = [
    ("star-runs/", _grow_runs),
    ("reward-levels/", _grow_levels),
    ("budgets/", _grow_budgets),
    ("funding-lines/", _grow_funding),
    ("allocations/", _grow_allocations),
    ("shops/", _grow_shops),
    ("products/", _grow_products),
    ("stock-moves/", _grow_products),
    ("redemptions/", _grow_redemptions),
]


@pytest.mark.parametrize("path, grow", LISTS, ids=[p for p, _ in LISTS])
def test_a_list_makes_the_same_number_of_queries_for_more_rows(path, grow, w, client):
    _first_allocation_and_redemption(w)
    client.force_login(w.supervisor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(path))
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    few, rows_before = count()
    grow(w)
    many, rows_after = count()
    assert rows_after > rows_before
    assert many == few


def test_star_results_make_the_same_number_of_queries_for_more_rows(w, client):
    client.force_login(w.supervisor)
    counts = []
    for query, rows in (({"village": w.v1.pk, "stars": 5}, 1), ({"village": w.v1.pk}, 10)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(f"star-runs/{w.run.pk}/results/"), query)
        assert response.json()["count"] == rows
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_stock_moves_are_read_only_and_listed_per_shop(w, client):
    moves = send(client, w.clerk, "get", "stock-moves/", {"shop": w.shop.pk}).json()["results"]
    assert sorted((m["product_name"], m["change"]) for m in moves) == [("肥皂", 7), ("食用油", 2)]
    move = StockMove.objects.filter(product=w.soap).first()
    assert send(client, w.admin, "delete", f"stock-moves/{move.pk}/").status_code == 405
    assert send(client, w.clerk, "get", "stock-moves/", {"shop": w.other_shop.pk}).status_code == 400


def test_star_runs_are_listed_newest_version_first(w, client):
    _grow_runs(w)
    runs = send(client, w.admin, "get", "star-runs/", {"scheme": w.scheme.pk}).json()["results"]
    assert [(r["version"], r["current"], r["state"]) for r in runs] == [
        (2, True, "proposed"),
        (1, False, "published"),
    ]
    assert StarRun.objects.count() == 2


def test_a_product_photo_is_uploaded_as_an_image_and_checked_by_content(w, client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format="PNG")
    PNG = buffer.getvalue()
    client.force_login(w.clerk)
    photo = SimpleUploadedFile("towel.png", PNG, content_type="image/png")
    data = {"shop": w.shop.pk, "name": "毛巾", "points": "15", "photo": photo}
    response = client.post(url("products/"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.content
    towel = Product.objects.get(name="毛巾")
    assert response.json()["photo"].endswith(
        f"/rewards/products/{towel.pk}/photo/"
    )  # never a /media/ address
    assert towel.photo.read() == PNG
    served = client.get(response.json()["photo"])
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PNG

    fake = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    response = client.patch(
        url(f"products/{w.soap.pk}/"),
        encode_multipart(BOUNDARY, {"photo": fake}),
        content_type=MULTIPART_CONTENT,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and "photo" in fields(response)
    assert not Product.objects.get(pk=w.soap.pk).photo


def test_the_township_office_reads_and_changes_a_schemes_reward_settings(w, client):
    path = f"schemes/{w.scheme.pk}/reward-settings/"
    read = send(client, w.supervisor, "get", path)
    assert read.status_code == 200
    assert read.json() == {
        "id": w.scheme.pk,
        "star_five_percent": 10,
        "star_four_percent": 20,
        "star_three_percent": 30,
        "star_floor": None,
        "tie_break_fewer_penalties": True,
        "tie_break_category": None,
        "tie_break_category_first": False,
        "spendable_basis": "net",
        "spendable_resets_yearly": False,
    }
    assert send(client, w.supervisor, "patch", path, {"spendable_basis": "total"}).status_code == 403
    assert send(client, w.clerk, "patch", path, {"spendable_basis": "total"}).status_code == 403
    assert send(client, w.outsider, "patch", path, {"spendable_basis": "total"}).status_code == 404
    client.force_login(w.outsider)
    assert client.get(url(path, "town-b")).status_code == 404
    refused = send(client, w.admin, "patch", path, {"star_five_percent": 40})  # above the four-star band
    assert refused.status_code == 400 and "Star bands must grow" in str(refused.json())
    changed = send(
        client, w.admin, "patch", path, {"spendable_basis": "total", "spendable_resets_yearly": True}
    )
    assert changed.status_code == 200 and changed.json()["spendable_basis"] == "total"
    rule = StarRule.objects.get(scheme=w.scheme)
    assert (rule.spendable_basis, rule.spendable_resets_yearly, rule.star_five_percent) == ("total", True, 10)
