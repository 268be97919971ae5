"""The county viewer reads a township's rounds to compare them, not its villagers (issue 17.8): household names
masked as on the public notice, and objectors unnamed."""

import pytest
from django.urls import reverse

from review.services import file_public_objection
from tests.publicity.conftest import on_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def objected(rw):
    round_ = on_notice(rw)  # h1 (head 张三明) has an accepted declaration: a proposal on the round page
    objection = file_public_objection(
        round=round_, household=rw.h2, objector_name="钱多多", objector_phone="13900139000", reason="请复核"
    )
    return round_, objection


def _round_page(round_, slug="town-a"):
    return reverse("review:round-detail", kwargs={"township_slug": slug, "pk": round_.pk})


def test_the_clerk_sees_the_names_on_the_round_page(login, world, objected):
    round_, _objection = objected
    page = login(world.a.clerk).get(_round_page(round_)).content.decode()
    assert "张三明" in page and "钱多多" in page


def test_the_county_viewer_sees_masked_names_and_no_objector(login, world, objected):
    round_, objection = objected
    client = login(world.a.county)
    page = client.get(_round_page(round_)).content.decode()
    assert "张*明" in page and "张三明" not in page
    assert "钱多多" not in page and "13900139000" not in page and "姓名不公开" in page
    resolve = reverse("review:objection-resolve", kwargs={"township_slug": "town-a", "pk": objection.pk})
    response = client.get(resolve)
    assert response.status_code in (403, 404) and "钱多多" not in response.content.decode()


def test_another_townships_county_viewer_does_not_find_the_round(login, world, objected):
    round_, _objection = objected
    assert login(world.b.county).get(_round_page(round_, "town-b")).status_code == 404
    assert login(world.b.county).get(_round_page(round_)).status_code == 404
