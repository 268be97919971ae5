"""County viewers compare townships and villages: they never read a household's own records (issue 7).

Pages and API alike: a household, its residents, its ledger, passbook and evidence are "not found"; lists of them
are empty; villages and areas (no personal data) stay readable.
"""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from scoring.models import Entry


def page(name, township, **kwargs):
    return reverse(name, kwargs={"township_slug": township.slug, **kwargs})


def client_for(user, api=False):
    client = APIClient() if api else Client()
    client.force_login(user)
    return client


def test_county_viewer_cannot_open_a_households_pages(dash):
    client = client_for(dash.a.county)
    h1, t = dash.h1, dash.township

    assert client.get(page("households:household-detail", t, pk=h1.pk)).status_code == 404
    assert client.get(page("scoring:passbook", t, household_pk=h1.pk)).status_code == 404
    assert client.get(page("publicity:passbook-print", t, pk=h1.pk)).status_code == 404
    listed = client.get(page("households:household-list", t))
    assert listed.status_code == 200 and "A-001" not in listed.content.decode()
    ledger = client.get(page("scoring:entry-list", t))
    assert ledger.status_code == 200 and "A-001" not in ledger.content.decode()


@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_other_whole_township_members_still_open_them(dash, role):
    client = client_for(getattr(dash.a, role))

    assert client.get(page("households:household-detail", dash.township, pk=dash.h1.pk)).status_code == 200
    assert client.get(page("scoring:passbook", dash.township, household_pk=dash.h1.pk)).status_code == 200


def test_county_viewer_cannot_read_a_household_through_the_api(dash):
    client = client_for(dash.a.county, api=True)
    t, h1 = dash.township, dash.h1
    entry = Entry.objects.filter(household=h1).first()

    assert client.get(page("api:household-detail", t, pk=h1.pk)).status_code == 404
    assert client.get(page("api:resident-detail", t, pk=dash.a.resident.pk)).status_code == 404
    assert client.get(page("scoring_api:entry-detail", t, pk=entry.pk)).status_code == 404
    assert client.get(page("scoring_api:household-passbook", t, household_id=h1.pk)).status_code == 404
    for name in (
        "api:household-list",
        "api:resident-list",
        "scoring_api:entry-list",
        "scoring_api:alert-list",
    ):
        response = client.get(page(name, t))
        assert response.status_code == 200 and response.json()["count"] == 0, name


def test_county_viewer_still_reads_villages_and_areas(dash):
    client = client_for(dash.a.county, api=True)

    assert client.get(page("api:village-list", dash.township)).json()["count"] == 2
    assert client.get(page("api:area-detail", dash.township, pk=dash.v1_area1.pk)).status_code == 200
