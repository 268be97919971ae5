"""The scores list (API `score-list`): one statement per page, highest total first, ties by number, any page."""

import datetime
from decimal import Decimal

import pytest

from households.models import Household
from scoring import services
from scoring.selectors import ScoreList, category_key
from tests.contract import member
from tests.factories import HouseholdFactory
from tests.notices import approve_through_notice

from .test_api import api, build_catalogue, url  # noqa: F401 (api: the roster tests' client fixture)

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 5, 4)


@pytest.fixture
def catalogue(world):
    return build_catalogue(world.a.township, world.a.admin)


@pytest.fixture
def ranked(world, catalogue):
    """Five households of village 1: A-001 and the new A-301…A-304, with 遵纪守法 bonuses of 0.5 each
    (调解纠纷): A-303 three, A-301 and A-304 one each, the others none. The world's A-002 (village 2) stays at 60."""
    area = world.a.areas[0]
    new = [HouseholdFactory(area=area, number=f"A-30{n}") for n in range(1, 5)]
    times = {"A-301": 1, "A-303": 3, "A-304": 1}
    entries = [
        services.record_entry(
            membership=member(world.a.admin),
            household=h,
            item=catalogue.mediate,
            occurred_on=DAY,
            reason=str(n),
        )
        for h in new
        for n in range(times.get(h.number, 0))
    ]
    approve_through_notice(entries, membership=member(world.a.admin))
    return Household.objects.filter(village=world.a.villages[0])


def test_the_list_is_ranked_by_total_then_by_number_and_pages_slice_it(world, catalogue, ranked):
    listed = ScoreList(catalogue.scheme, ranked)

    # 60 + 1.5 = 61.5; 60.5 twice (A-301 before A-304 by number); 60 twice (A-001 before A-302).
    expected = [
        ("A-303", D("61.5")),
        ("A-301", D("60.5")),
        ("A-304", D("60.5")),
        ("A-001", D("60")),
        ("A-302", D("60")),
    ]
    assert listed.count() == 5
    assert [(h.number, h.total) for h in listed[0:5]] == expected
    assert [(h.number, h.total) for h in listed[0:2] + listed[2:4] + listed[4:6]] == expected
    first = listed[0:1][0]
    assert getattr(first, category_key(catalogue.law)) == D("21.5")  # 20 + 3 × 0.5
    assert first.village_id == world.a.villages[0].pk and first.role_base_delta == 0


def test_the_api_pages_follow_the_same_order(world, catalogue, ranked, api):  # noqa: F811
    client = api(world.a.admin)
    query = {"scheme": catalogue.scheme.pk, "village": world.a.villages[0].pk, "page_size": 2}

    pages = [client.get(url("score-list", world.a.township, page=n, **query)).json() for n in (1, 2, 3)]

    assert [p["count"] for p in pages] == [5, 5, 5]
    assert [[row["number"] for row in p["results"]] for p in pages] == [
        ["A-303", "A-301"],
        ["A-304", "A-001"],
        ["A-302"],
    ]
    assert pages[0]["results"][0]["total"] == "61.50"
