"""No user-supplied HTML is rendered: a household whose address, head's name and entry reason are markup shows them
as text on every page that prints them (the template scan in test_templates.py keeps |safe out)."""

import datetime

import pytest
from django.urls import reverse

from review.models import RoundState
from scoring import services
from tests.contract import member
from tests.review.conftest import ReviewWorld
from tests.review.test_pages import make_round

SCRIPT = "<script>alert(1)</script>"
IMAGE = "<img src=x onerror=alert(2)>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile(world):
    rw = ReviewWorld(world)
    household = rw.h1
    household.address = SCRIPT
    household.save()
    head = household.members.get(is_head=True)
    head.name = IMAGE  # names are at most 50 characters
    head.save()
    services.record_entry(
        membership=member(rw.clerk),
        household=household,
        item=rw.clean,
        occurred_on=datetime.date(2026, 3, 10),
        reason=SCRIPT,
    )
    return rw


def pages(rw, round_) -> list[str]:
    town = rw.township.slug
    h = rw.h1.pk
    return [
        reverse("households:household-list", kwargs={"township_slug": town}) + "?q=A-001",
        reverse("households:household-detail", kwargs={"township_slug": town, "pk": h}),
        reverse("scoring:entry-list", kwargs={"township_slug": town}),
        reverse("scoring:passbook", kwargs={"township_slug": town, "household_pk": h}),
        reverse("scoring:entry-household-search", kwargs={"township_slug": town}) + "?q=A-001",
        reverse("review:round-detail", kwargs={"township_slug": town, "pk": round_.pk}),
    ]


def test_markup_stored_by_users_is_shown_as_text_on_every_page(hostile, client):
    rw = hostile
    round_ = make_round(rw, RoundState.ON_NOTICE, period="2026-Q2")
    client.force_login(rw.admin)
    shown = 0
    for url in pages(rw, round_):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert SCRIPT not in html and IMAGE not in html, url
        shown += ESCAPED in html or "&lt;img src=x" in html
    assert shown >= 4  # the address, the name or the reason really appears, escaped, on most of them

    public = client.get(reverse("publicity:public-notice", kwargs={"token": round_.notice_token}))
    assert public.status_code == 200
    assert SCRIPT not in public.content.decode() and "<img src=x" not in public.content.decode()


def test_the_api_returns_markup_as_json_text_not_as_a_page(hostile, client):
    client.force_login(hostile.admin)
    response = client.get(f"/api/v1/t/{hostile.township.slug}/households/{hostile.h1.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json()["address"] == SCRIPT
