"""The rewards pages: the counter end to end, budgets and rewards, star ratings, incentive lists; who may do what."""

import io
import subprocess
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from households.models import Membership
from rewards import services
from rewards.models import Budget, Redemption, RewardAllocation, StarRun
from rewards.selectors import card_code
from tests.contract import member

pytestmark = pytest.mark.django_db
D = Decimal
NOW = "2026-06-15 10:00 +08:00"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def login(client):
    """Pages in English (the messages asserted below are the English msgids)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def market(stars, world):
    """The clerk's village of ten households, one resident each: the first two at 150 and 130 (net +50, +30), then
    120, 110, 105 … 100 — so one five-star, one four-star and one three-star household; a supermarket with soap.
    The budget: 10 residents, funded 1.5 × 10 + 1 × 10 = ¥25, limit 2 × 10 = ¥20."""
    stars.households = stars.village([150, 130, 120, 110, 105, 104, 103, 102, 101, 100])
    stars.village_ = village = stars.households[0].village
    for household in stars.households:
        household.members.create(township=stars.township, name=f"户主{household.number}", is_head=True)
    Membership.objects.get(user=world.a.clerk).villages.add(village)
    stars.clerk = world.a.clerk
    stars.budget = services.open_budget(membership=member(stars.admin), village=village, year=2026)
    stars.shop = services.open_shop(membership=member(stars.admin), village=village)
    stars.soap = services.add_product(
        membership=member(stars.admin), shop=stars.shop, name="肥皂", points=D("10"), cost=D("0.5"), stock=5
    )
    return stars


def page(market, name, **kwargs):
    return reverse(f"rewards:{name}", kwargs={"township_slug": market.township.slug, **kwargs})


@time_machine.travel(NOW, tick=False)
def test_the_clerk_redeems_at_the_counter_after_finding_the_household_by_its_card(market, login):
    client = login(market.clerk)
    household = market.households[0]
    found = client.get(page(market, "counter", pk=market.shop.pk), {"q": card_code(household)})
    counter = page(market, "counter-household", pk=market.shop.pk, household_pk=household.pk)
    assert found.status_code == 302 and found["Location"] == counter
    shown = client.get(counter)
    assert shown.status_code == 200 and "50" in shown.content.decode()
    confirm = client.post(counter, {f"qty_{market.soap.pk}": "3"})
    body = confirm.content.decode()
    assert "Confirm the redemption" in body and ">30<" in body and Redemption.objects.count() == 0
    key = confirm.context["key"]
    done = client.post(counter, {f"qty_{market.soap.pk}": "3", "confirm": "1", "key": key})
    redemption = Redemption.objects.get()
    assert done.status_code == 302 and done["Location"] == page(market, "redemption-detail", pk=redemption.pk)
    again = client.post(counter, {f"qty_{market.soap.pk}": "3", "confirm": "1", "key": key})  # a double tap
    assert again["Location"] == done["Location"] and Redemption.objects.count() == 1
    receipt = client.get(done["Location"]).content.decode()
    assert "肥皂" in receipt and "Points left to spend" in receipt and ">20<" in receipt.replace(".00", "")


@time_machine.travel(NOW, tick=False)
def test_the_counter_says_why_a_redemption_is_refused(market, login):
    client = login(market.clerk)
    counter = page(market, "counter-household", pk=market.shop.pk, household_pk=market.households[1].pk)
    refused = client.post(counter, {f"qty_{market.soap.pk}": "4", "confirm": "1", "key": "k"})
    assert refused.status_code == 200
    assert "cost 40 points but household" in refused.content.decode() and Redemption.objects.count() == 0
    nothing = client.post(counter, {f"qty_{market.soap.pk}": "0"})
    assert "Pick at least one product" in nothing.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_redemption_is_cancelled_from_its_receipt_with_a_reason(market, login):
    redemption = services.redeem(
        membership=member(market.admin),
        household=market.households[0],
        shop=market.shop,
        items={market.soap.pk: 2},
    )
    client = login(market.clerk)
    url = page(market, "redemption-detail", pk=redemption.pk)
    assert client.post(url, {"reason": ""}).status_code == 200 and Redemption.objects.count() == 1
    assert client.post(url, {"reason": "拿错"}).status_code == 302
    assert Redemption.objects.filter(reverses=redemption, reason="拿错").count() == 1
    market.soap.refresh_from_db()
    assert market.soap.stock == 5


def test_the_counter_search_lists_matches_and_says_when_none(market, login):
    client = login(market.clerk)
    url = page(market, "counter", pk=market.shop.pk)
    assert "No household of" in client.get(url, {"q": "nobody"}).content.decode()
    listed = client.get(url, {"q": "V01"}).content.decode()
    assert all(h.number in listed for h in market.households)


def test_stock_in_and_out_from_the_product_page(market, login):
    client = login(market.clerk)
    url = page(market, "product-detail", pk=market.soap.pk)
    assert client.post(url, {"stock": "1", "reason": "in", "change": "4", "note": ""}).status_code == 302
    refused = client.post(url, {"stock": "1", "reason": "out", "change": "20", "note": "过期"})
    assert "Only 9 of 肥皂 in stock" in refused.content.decode()
    market.soap.refresh_from_db()
    assert market.soap.stock == 9


def test_the_township_office_allocates_rewards_and_sees_the_shortfall(market, login):
    run, _, _ = services.rate_stars(membership=member(market.admin), scheme=market.scheme)
    services.publish_run(membership=member(market.admin), run=run)
    client = login(market.admin)
    settings_url = page(market, "scheme-rewards", scheme_pk=market.scheme.pk)
    levels = {"levels": "1"}
    for stars, value in ((5, "17"), (4, "3"), (3, "1")):
        levels.update(
            {f"l{stars}-plaque": f"{stars}星", f"l{stars}-reward": "毛巾", f"l{stars}-value": value}
        )
    assert client.post(settings_url, levels).status_code == 302
    # ¥17 + ¥3 + ¥1 = ¥21 against a limit of ¥20.
    allocate = page(market, "budget-allocate", pk=market.budget.pk)
    refused = client.post(allocate, {"run": run.pk}, follow=True).content.decode()
    assert "¥21.00" in refused and "¥1.00 short" in refused and RewardAllocation.objects.count() == 0
    levels["l5-value"] = "16"
    client.post(settings_url, levels)
    client.post(allocate, {"run": run.pk})
    assert RewardAllocation.objects.count() == 3
    detail = client.get(page(market, "budget-detail", pk=market.budget.pk)).content.decode()
    assert "¥16.00" in detail and "5星" in detail and "¥0.00" in detail


def test_opening_a_budget_and_adding_funding_from_the_pages(market, login):
    client = login(market.admin)
    other = market.village([120])[0].village
    response = client.post(
        page(market, "budget-list"),
        {"village": other.pk, "year": 2026, "cap_per_resident": "2", "fund_defaults": "on"},
    )
    budget = Budget.objects.get(village=other)
    assert response.status_code == 302
    assert (
        client.post(
            page(market, "budget-detail", pk=budget.pk),
            {"kind": "donation", "amount": "200", "source": "王老板"},
        ).status_code
        == 302
    )
    refused = client.post(page(market, "budget-detail", pk=budget.pk), {"kind": "donation"})
    assert "Give the amount in yuan" in refused.content.decode()
    assert budget.funding_lines.count() == 1  # no residents: no per-resident lines, and the donation


def test_the_star_pages_start_a_rating_job_and_publish(market, login):
    client = login(market.admin)
    started = client.post(page(market, "star-rate", scheme_pk=market.scheme.pk))
    assert started.status_code == 302 and "/jobs/" in started["Location"]
    run, _, _ = services.rate_stars(membership=member(market.admin), scheme=market.scheme)
    assert market.scheme.name in client.get(page(market, "star-overview")).content.decode()
    detail = client.get(
        page(market, "run-detail", pk=run.pk), {"village": market.village_.pk}
    ).content.decode()
    assert market.households[0].number in detail and "5★" in detail
    confirm = client.get(page(market, "run-publish", pk=run.pk)).content.decode()
    assert 'name="checked"' in confirm and 'name="confirm_overflow"' not in confirm  # no band overflows
    client.post(page(market, "run-publish", pk=run.pk))  # the checkbox not ticked: nothing is published
    run.refresh_from_db()
    assert run.state == "proposed"
    client.post(page(market, "run-publish", pk=run.pk), {"checked": "on"})
    run.refresh_from_db()
    assert run.state == "published"


def test_publishing_needs_the_right_to_manage_rewards_on_the_page_and_in_the_service(
    market, login, monkeypatch
):
    """The page and the service asked for different rights (MANAGE_REWARDS, APPROVE_ROUND): the service decides,
    with the page's right. A role given only MANAGE_REWARDS publishes; the office without it cannot."""
    from core.permissions import ROLE_ACTIONS, Action, Role

    run, _, _ = services.rate_stars(membership=member(market.admin), scheme=market.scheme)
    office = ROLE_ACTIONS[Role.TOWNSHIP_ADMIN]
    monkeypatch.setitem(ROLE_ACTIONS, Role.TOWNSHIP_ADMIN, office - {Action.MANAGE_REWARDS})
    client = login(market.admin)
    assert client.post(page(market, "run-publish", pk=run.pk), {"checked": "on"}).status_code == 403
    monkeypatch.setitem(ROLE_ACTIONS, Role.TOWNSHIP_ADMIN, office - {Action.APPROVE_ROUND})
    assert (
        page(market, "run-publish", pk=run.pk)
        in client.get(page(market, "run-detail", pk=run.pk)).content.decode()
    )
    client.post(page(market, "run-publish", pk=run.pk), {"checked": "on"})
    run.refresh_from_db()
    assert run.state == "published" and run.published_by == market.admin


def test_incentive_lists_download_as_xlsx_and_pdf(market, login):
    run, _, _ = services.rate_stars(membership=member(market.admin), scheme=market.scheme)
    client = login(market.admin)
    url = reverse("publicity:incentive-lists", kwargs={"township_slug": market.township.slug})
    not_yet = client.get(url, {"year": 2026, "purpose": "bank", "format": "xlsx"})
    assert "No published star rating of 2026" in not_yet.content.decode()
    services.publish_run(membership=member(market.admin), run=run)
    xlsx = client.get(url, {"year": 2026, "purpose": "bank", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "积分贷" in rows[0][0]
    assert rows[2][1:3] == (market.households[0].number, f"户主{market.households[0].number}")
    assert rows[2][5] == 5 and len(rows) == 5  # title, header, the five-, four- and three-star households
    pdf = client.get(url, {"year": 2026, "purpose": "party", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "党组织" in text and market.households[1].number in text


def test_the_reward_list_pdf_has_a_column_to_sign(market, world, login):
    run, _, _ = services.rate_stars(membership=member(market.admin), scheme=market.scheme)
    services.publish_run(membership=member(market.admin), run=run)
    services.set_reward_level(
        membership=member(market.admin), scheme=market.scheme, stars=5, reward="大米一袋", value=D("2")
    )
    services.allocate_rewards(membership=member(market.admin), run=run, village=market.village_)
    client = login(market.admin)
    pdf = client.get(
        reverse(
            "publicity:reward-list", kwargs={"township_slug": market.township.slug, "pk": market.budget.pk}
        )
    )
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "领取人签字" in text and "大米一袋" in text and market.households[0].number in text
    # It names households and their heads: not for a county viewer, nor for another township.
    path = reverse(
        "publicity:reward-list", kwargs={"township_slug": market.township.slug, "pk": market.budget.pk}
    )
    assert login(world.a.county).get(path).status_code == 404
    assert login(world.b.admin).get(path).status_code == 404


# Who may do what ------------------------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_outsiders_get_not_found_and_change_nothing(market, world, login):
    redemption = services.redeem(
        membership=member(market.admin),
        household=market.households[0],
        shop=market.shop,
        items={market.soap.pk: 1},
    )
    run, _, _ = services.rate_stars(membership=member(market.admin), scheme=market.scheme)
    allocation_free = {
        "shop-detail": {"pk": market.shop.pk},
        "counter": {"pk": market.shop.pk},
        "counter-household": {"pk": market.shop.pk, "household_pk": market.households[0].pk},
        "product-detail": {"pk": market.soap.pk},
        "redemption-detail": {"pk": redemption.pk},
        "budget-detail": {"pk": market.budget.pk},
        "run-detail": {"pk": run.pk},
    }
    for user in (world.b.admin, world.b.clerk):
        client = login(user)
        for name, kwargs in allocation_free.items():
            # Township B's user, on A's slug (not a member) and on B's own slug with A's ids.
            assert client.get(page(market, name, **kwargs)).status_code == 404, name
            own = reverse(f"rewards:{name}", kwargs={"township_slug": world.b.township.slug, **kwargs})
            assert client.get(own).status_code == 404, name
            assert (
                client.post(own, {"reason": "x", "confirm": "1", f"qty_{market.soap.pk}": "1"}).status_code
                == 404
            )
    assert Redemption.objects.count() == 1


def test_a_clerk_sees_only_the_supermarkets_of_their_villages(market, world, login):
    other_shop = services.open_shop(membership=member(market.admin), village=world.a.villages[1])
    client = login(market.clerk)
    assert client.get(page(market, "shop-detail", pk=other_shop.pk)).status_code == 404
    assert client.get(page(market, "counter", pk=other_shop.pk)).status_code == 404
    listed = client.get(page(market, "shop-list")).content.decode()
    assert market.shop.name in listed and other_shop.name not in listed


@time_machine.travel(NOW, tick=False)
def test_read_only_members_read_but_cannot_redeem_or_fund(market, world, login):
    client = login(world.a.supervisor)
    assert client.get(page(market, "shop-detail", pk=market.shop.pk)).status_code == 200
    assert client.get(page(market, "budget-detail", pk=market.budget.pk)).status_code == 200
    counter = page(market, "counter-household", pk=market.shop.pk, household_pk=market.households[0].pk)
    assert client.post(counter, {f"qty_{market.soap.pk}": "1", "confirm": "1"}).status_code == 403
    assert (
        client.post(
            page(market, "budget-detail", pk=market.budget.pk), {"kind": "donation", "amount": "5"}
        ).status_code
        == 403
    )
    clerk = login(market.clerk)
    assert clerk.post(page(market, "budget-allocate", pk=market.budget.pk), {"run": 1}).status_code == 403
    assert Redemption.objects.count() == 0 and market.budget.funding_lines.count() == 2
    assert StarRun.objects.count() == 0


def test_a_product_photo_is_checked_by_content_and_served_only_inside_the_township(market, world, login):
    import io as _io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = _io.BytesIO()
    Image.new("RGB", (4, 3), "blue").save(buffer, format="PNG")
    client = login(market.clerk)
    shop_url = page(market, "shop-detail", pk=market.shop.pk)
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    refused = client.post(
        shop_url,
        {"name": "假图", "points": "5", "low_stock": 5, "source": "bought", "stock": 0, "photo": fake},
    )
    assert refused.status_code == 200 and not market.shop.products.filter(name="假图").exists()
    photo = SimpleUploadedFile("towel.png", buffer.getvalue(), content_type="image/png")
    client.post(
        shop_url,
        {"name": "毛巾", "points": "5", "low_stock": 5, "source": "bought", "stock": 1, "photo": photo},
    )
    towel = market.shop.products.get(name="毛巾")
    photo_url = page(market, "product-photo", pk=towel.pk)
    assert photo_url in client.get(shop_url).content.decode()
    served = client.get(photo_url)
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert login(world.b.admin).get(photo_url).status_code == 404


def test_a_product_photo_is_kept_when_the_new_product_form_has_other_errors(market, login):
    import io as _io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from core.models import PendingUpload
    from core.tenancy import township_scope

    buffer = _io.BytesIO()
    Image.new("RGB", (4, 3), "blue").save(buffer, format="PNG")
    client = login(market.clerk)
    shop_url = page(market, "shop-detail", pk=market.shop.pk)
    fields = {"points": "5", "low_stock": 5, "source": "bought", "stock": 2}
    photo = SimpleUploadedFile("soap.png", buffer.getvalue(), content_type="image/png")
    refused = client.post(shop_url, {**fields, "name": "", "photo": photo})
    assert refused.status_code == 200
    with township_scope(market.shop.township):
        token = PendingUpload.objects.get().token
    assert f'name="photo_kept" value="{token}"' in refused.content.decode()
    assert client.post(shop_url, {**fields, "name": "香皂", "photo_kept": token}).status_code == 302
    soap = market.shop.products.get(name="香皂")
    assert soap.photo
    with township_scope(market.shop.township):
        assert not PendingUpload.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_supermarket_and_budget_pages_make_the_same_number_of_queries_whatever_their_length(
    market, login
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run, _, _ = services.rate_stars(membership=member(market.admin), scheme=market.scheme)
    services.publish_run(membership=member(market.admin), run=run)
    for stars in (5, 4, 3):
        services.set_reward_level(
            membership=member(market.admin), scheme=market.scheme, stars=stars, value=D("1")
        )
    client = login(market.admin)
    urls = [
        page(market, "shop-list"),
        page(market, "shop-detail", pk=market.shop.pk),
        page(market, "budget-list"),
        page(market, "budget-detail", pk=market.budget.pk),
        page(market, "product-detail", pk=market.soap.pk),
    ]

    def counts():
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    allocations = services.allocate_rewards(membership=member(market.admin), run=run, village=market.village_)
    services.redeem(
        membership=member(market.admin),
        household=market.households[0],
        shop=market.shop,
        items={market.soap.pk: 1},
    )
    before = counts()  # one of each row
    services.cancel_allocation(membership=member(market.admin), allocation=allocations[0], reason="搬走")
    for n in range(3):
        services.add_product(
            membership=member(market.admin), shop=market.shop, name=f"商品{n}", points=D("1"), stock=2
        )
    for household in market.households[:3]:
        services.redeem(
            membership=member(market.admin), household=household, shop=market.shop, items={market.soap.pk: 1}
        )
    services.move_stock(membership=member(market.admin), product=market.soap, change=3, reason="in")
    assert counts() == before
    detail = client.get(page(market, "budget-detail", pk=market.budget.pk)).content.decode()
    assert "已撤销" in detail or "Cancelled" in detail


@time_machine.travel(NOW, tick=False)
def test_a_county_viewer_never_reads_a_households_redemptions_rewards_or_ranking(market, world, login):
    """Issue 7: a household's own records stay inside the township (the API already says so: pages too)."""
    redemption = services.redeem(
        membership=member(market.admin),
        household=market.households[0],
        shop=market.shop,
        items={market.soap.pk: 1},
    )
    run, _, _ = services.rate_stars(membership=member(market.admin), scheme=market.scheme)
    client = login(world.a.county)
    assert client.get(page(market, "redemption-detail", pk=redemption.pk)).status_code == 404
    shop = client.get(page(market, "shop-detail", pk=market.shop.pk)).content.decode()
    assert market.households[0].number not in shop
    ranking = client.get(
        page(market, "run-detail", pk=run.pk), {"village": market.village_.pk}
    ).content.decode()
    assert market.households[0].number not in ranking
    # The clerk of the village still sees them.
    clerk = login(market.clerk)
    assert clerk.get(page(market, "redemption-detail", pk=redemption.pk)).status_code == 200
    assert (
        market.households[0].number
        in clerk.get(page(market, "shop-detail", pk=market.shop.pk)).content.decode()
    )
