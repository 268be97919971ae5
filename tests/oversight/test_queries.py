"""The dashboards cost a fixed number of queries, whatever the number of villages, areas and households."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Area, Household, Role, Village
from scoring import services as scoring
from tests.contract import member
from tests.factories import MembershipFactory, TownshipFactory
from tests.notices import approve_through_notice

pytestmark = pytest.mark.postgres

MAX_TOWNSHIP_QUERIES = 30


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count(client, target, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(target, params).status_code == 200
    return len(queries)


def grow(dash, villages: int = 4, each: int = 12) -> None:
    """More villages, areas, households and approved entries in township A."""
    for v in range(villages):
        village = Village.objects.create(township=dash.township, name=f"新村{v}")
        areas = [
            Area.objects.create(township=dash.township, village=village, name=f"{a}组") for a in range(3)
        ]
        households = Household.objects.bulk_create(
            Household(township=dash.township, village=village, area=areas[i % 3], number=f"N{v}-{i:03d}")
            for i in range(each)
        )
        entries = scoring.record_bulk(
            membership=member(dash.admin),
            households=households,
            item=dash.clean,
            occurred_on=datetime.date(2026, 4, 1),
        )
        approve_through_notice(entries, membership=member(dash.admin))


def test_township_dashboard_queries_do_not_grow_with_villages_and_households(
    dash, django_assert_max_num_queries
):
    client = client_for(dash.admin)
    target = reverse("oversight:dashboard", kwargs={"township_slug": dash.township.slug})
    small = count(client, target, {"year": 2026})
    grow(dash)
    with django_assert_max_num_queries(MAX_TOWNSHIP_QUERIES):
        big = count(client, target, {"year": 2026})

    assert big == small


def test_village_page_queries_do_not_grow_with_areas_and_households(dash):
    client = client_for(dash.admin)
    target = reverse("oversight:village", kwargs={"township_slug": dash.township.slug, "pk": dash.v1.pk})
    small = count(client, target, {"year": 2026, "quarter": 2})
    for a in range(3):
        area = Area.objects.create(township=dash.township, village=dash.v1, name=f"新{a}组")
        households = Household.objects.bulk_create(
            Household(township=dash.township, village=dash.v1, area=area, number=f"V{a}-{i:03d}")
            for i in range(10)
        )
        entries = scoring.record_bulk(
            membership=member(dash.admin),
            households=households,
            item=dash.mess,
            occurred_on=datetime.date(2026, 5, 2),
        )
        approve_through_notice(entries, membership=member(dash.admin))

    assert count(client, target, {"year": 2026, "quarter": 2}) == small


def test_township_xlsx_queries_do_not_grow(dash):
    client = client_for(dash.admin)
    target = reverse("oversight:dashboard-xlsx", kwargs={"township_slug": dash.township.slug})
    small = count(client, target, {"year": 2026})
    grow(dash, villages=3, each=5)

    assert count(client, target, {"year": 2026}) == small


def test_county_view_costs_the_same_per_township_whatever_its_size(dash):
    client = client_for(dash.a.county)
    target = reverse("oversight:county")
    one = count(client, target, {"year": 2026})
    grow(dash, villages=2, each=5)
    assert count(client, target, {"year": 2026}) == one

    MembershipFactory(user=dash.a.county, township=TownshipFactory(slug="town-c"), role=Role.COUNTY_VIEWER)
    two = count(client, target, {"year": 2026})
    MembershipFactory(user=dash.a.county, township=TownshipFactory(slug="town-d"), role=Role.COUNTY_VIEWER)
    three = count(client, target, {"year": 2026})
    assert three - two == two - one  # a fixed cost per township overseen
