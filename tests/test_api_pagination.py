"""The API's paginator (core.api.ShortPageCountingPaginator, issue 19) leaves out the COUNT query when the page is
shorter than the page size, and otherwise answers as Django's: the same rows, count and pages, the same refusals."""

import pytest
from django.core.paginator import InvalidPage, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.api import ShortPageCountingPaginator
from core.tenancy import township_scope
from households.models import Household
from tests.factories import HouseholdFactory
from tests.households import test_api as roster_api

api = roster_api.api  # the roster tests' fixture (an API client logged in as a user)

NUMBERS = [
    1,
    2,
    3,
    4,
    5,
    "1",
    "2",
    "3",
    "4",
    "0",
    "-1",
    "",
    "x",
    "1.0",
    "²",
    2.0,
    2.5,
    None,
    10**30,
    "9" * 30,
]


def answer(paginator_class, rows, per_page, number):
    paginator = paginator_class(rows, per_page)
    try:
        page = paginator.page(number)
    except InvalidPage as refused:
        return type(refused), str(refused)
    return list(page), page.number, paginator.count, paginator.num_pages, page.has_next(), page.has_previous()


@pytest.mark.parametrize("size", [0, 1, 4, 5, 6, 10, 11])
@pytest.mark.parametrize("per_page", [1, 5])
def test_every_page_number_answers_as_djangos_paginator(size, per_page):
    rows = list(range(size))
    for number in NUMBERS:
        assert answer(ShortPageCountingPaginator, rows, per_page, number) == answer(
            Paginator, rows, per_page, number
        ), (size, per_page, number)


@pytest.mark.django_db
def test_a_short_page_is_counted_from_its_rows_and_a_full_one_by_a_count_query(world):
    area = world.a.areas[0]
    for k in range(3):
        HouseholdFactory(area=area, number=f"P-{k:03d}")
    with township_scope(world.a.township):
        households = Household.objects.filter(area=area).order_by("number")
        expected = households.count()
        for per_page, counts in ((expected + 1, False), (expected, True)):
            with CaptureQueriesContext(connection) as made:
                paginator = ShortPageCountingPaginator(households, per_page)
                page = paginator.page(1)
                assert (len(page), paginator.count, paginator.num_pages) == (expected, expected, 1)
            assert any("COUNT(" in q["sql"] for q in made.captured_queries) is counts, per_page


@pytest.mark.django_db
def test_a_page_past_the_end_is_refused_as_before(world, api):
    response = api(world.a.admin).get(f"/api/v1/t/{world.a.township.slug}/households/?page=99")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
