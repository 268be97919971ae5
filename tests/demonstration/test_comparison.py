"""The city's comparison of a call (issue 20, item 2): counties side by side, their applying villages under each.

Township A (东县) carries the oversight ledger of tests/oversight/conftest.py (DashWorld), computed by hand:

a东村: households A-001, A-003, A-004, A-005, A-006 (5); approved entries for A-001 (+2 +3 −2 −2), A-003 (+3),
       A-004 (−2), A-005 (+2): 4 households with an entry (80.0 %), 10 points issued (the bonuses). A-003 redeems
       3 points: redemption share 30.0 %. Residents of the households taking part (A-001, A-003, A-004): 3.
       Awarded 300,000 yuan: 100,000.00 yuan per resident.
a西村: households A-002, A-007 (2); A-002 has +2 +2: 1 household (50.0 %), 4 points issued, none spent (0.0 %);
       residents 2; no award and no reward budget: 0.00 per resident.
东县 total: 7 households, 5 with an entry (71.4 %), 14 issued, 3 spent (21.4 %), 5 residents, 60,000.00 per resident.
c北村 (township C, 东县, no households) and b东村 (township B, 西县: B-001) have no scheme: households only.
"""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demonstration import services
from demonstration.comparison import comparison
from rewards import services as rewards
from tests.contract import member
from tests.demonstration.conftest import AFTER_APPLICATIONS, RESULT_NOTICE_OVER, SELECTION_DAY, region_member
from tests.oversight.conftest import DashWorld

pytestmark = pytest.mark.django_db
D = Decimal


def r_page(region, call, name="call-comparison"):
    return reverse(f"demonstration_region:{name}", kwargs={"region_slug": region.slug, "pk": call.pk})


def decide(user, application, move, **values):
    return services.decide_application(
        membership=region_member(user), application=application, move=move, **values
    )


@pytest.fixture
def city(world, programme):
    """The city's call: a东村 awarded, a西村 and b东村 not selected, c北村 not pre-selected; A-003 redeemed 3."""
    dash, p = DashWorld(world), programme
    with time_machine.travel(datetime.datetime(2026, 10, 1, 3, tzinfo=datetime.UTC), tick=False):
        office = member(dash.admin)
        shop = rewards.open_shop(membership=office, village=dash.v1)
        soap = rewards.add_product(membership=office, shop=shop, name="肥皂", points=D("3"), stock=5)
        rewards.redeem(membership=office, shop=shop, items={soap.pk: 1}, household=dash.h3)
    call = p.call(villages_wanted=1)
    apps = {name: p.apply(call, name) for name in ("a东村", "a西村", "c北村", "b东村")}
    for application in apps.values():
        p.forward(application)
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")
        decide(p.east_officer, apps["a东村"], "preselect")
        decide(p.east_officer, apps["a西村"], "preselect")
        decide(p.east_officer, apps["c北村"], "not_preselect", comment="材料不全")
        decide(p.west_officer, apps["b东村"], "preselect")
        services.move_call(membership=region_member(p.city_officer), call=call, move="start_selection")
    with time_machine.travel(SELECTION_DAY, tick=False):
        decide(p.city_officer, apps["a东村"], "select", score=D("90"))
        decide(p.city_officer, apps["a西村"], "not_select", score=D("70"), comment="得分较低")
        decide(p.city_officer, apps["b东村"], "not_select", score=D("75"), comment="得分较低")
        services.move_call(membership=region_member(p.city_officer), call=call, move="publish_result")
    with time_machine.travel(RESULT_NOTICE_OVER, tick=False):  # paid once the result's notice has ended
        decide(p.city_officer, apps["a东村"], "award", amount=D("300000"))
    return p, call


def test_the_city_sees_its_counties_and_their_villages_with_the_figures_computed_by_hand(city, login):
    p, call = city
    result = comparison(p.city, call)
    assert [c.county.name for c in result.counties] == ["东县", "西县"]
    east, west = result.counties
    assert [v.name for v in east.villages] == ["a东村", "a西村", "c北村"]
    a_east, a_west, c_north = east.villages
    assert (a_east.households, a_east.households_with_entries, a_east.participation) == (5, 4, D("80.0"))
    assert (a_east.points_issued, a_east.points_spent, a_east.redemption_share) == (
        D("10"),
        D("3"),
        D("30.0"),
    )
    assert (a_east.residents, a_east.award, a_east.per_resident) == (3, D("300000.00"), D("100000.00"))
    assert (a_west.households, a_west.households_with_entries, a_west.participation) == (2, 1, D("50.0"))
    assert (a_west.points_issued, a_west.points_spent, a_west.redemption_share) == (D("4"), D("0"), D("0.0"))
    assert (a_west.residents, a_west.award, a_west.per_resident) == (2, None, D("0.00"))
    assert (c_north.households, c_north.participation, c_north.redemption_share) == (0, None, None)
    total = east.total
    assert (total.households, total.households_with_entries, total.participation) == (7, 5, D("71.4"))
    assert (total.points_issued, total.points_spent, total.redemption_share) == (D("14"), D("3"), D("21.4"))
    assert (total.residents, total.per_resident) == (5, D("60000.00"))
    assert [v.name for v in west.villages] == ["b东村"]
    b_east = west.villages[0]  # township B has no scheme: its roster still counts (B-001), nothing else
    assert (b_east.households, b_east.participation, b_east.points_issued) == (1, D("0.0"), D("0"))

    page = login(p.city_officer).get(r_page(p.city, call))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("东县", "西县", "a东村", "b东村", "80.0", "21.4", "100000.00", "<svg"):
        assert text in html
    for personal in ("张三明", "李四", "王五", "13800138000", "A-001", "11010519491231002X"):
        assert personal not in html  # village figures only, never a household's

    download = login(p.city_officer).get(r_page(p.city, call, "call-comparison-xlsx"))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(download.content))
    counties = book.worksheets[0]
    rows = {row[0]: row for row in counties.iter_rows(min_row=4, values_only=True) if row[0]}
    assert rows["东县"][1:7] == (7, 5, 71.4, 14, 3, 21.4)
    villages = {row[0]: row for row in book.worksheets[1].iter_rows(min_row=4, values_only=True) if row[0]}
    assert villages["a东村"][1:11] == (5, 4, 80.0, 10, 3, 30.0, 3, 300000, 0, 100000)


def test_a_county_sees_only_its_own_county_and_not_the_citys_page(city, login):
    p, call = city
    client = login(p.east_officer)
    html = client.get(r_page(p.east, call)).content.decode()
    assert "a东村" in html and "c北村" in html
    assert "b东村" not in html and "西县" not in html
    assert client.get(r_page(p.city, call)).status_code == 404
    assert client.get(r_page(p.city, call, "call-comparison-xlsx")).status_code == 404
    assert login(p.west_officer).get(r_page(p.east, call)).status_code == 404


def test_the_comparison_costs_the_same_queries_for_more_villages(world, programme, login):
    DashWorld(world)
    p = programme
    small, big = p.call(title="两个村"), p.call(title="四个村")
    for name in ("a东村", "c北村"):
        p.apply(small, name)
    for name in ("a东村", "a西村", "c北村", "c南村"):
        p.apply(big, name)
    client = login(p.city_officer)

    def count(call):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(r_page(p.city, call)).status_code == 200
        return len(queries)

    assert count(small) == count(big)
