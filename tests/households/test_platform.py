"""The platform's pages for superusers (issue 16, item 1) and the Django admin's searchable lists."""

import io

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Area, Membership, Role, Township, Village
from tests.factories import HouseholdFactory, TownshipFactory, UserFactory, VillageFactory

pytestmark = pytest.mark.django_db

LIST, NEW = reverse("platform:township-list"), reverse("platform:township-create")


@pytest.fixture
def operator():
    user = UserFactory(username="operator")
    user.is_superuser = user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def _places() -> io.BytesIO:
    workbook = openpyxl.Workbook()
    for row in (["村", "组"], ["东村", "一组"], ["东村", "二组"], ["西村", "一组"]):
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "places.xlsx"
    return buffer


def test_the_operator_lists_townships_with_their_counts(world, operator):
    page = operator.get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert "A镇" in text and "B镇" in text and "全部乡镇" in text
    rows = {t.name: t for t in page.context["page"].object_list}
    # A: two villages, two households, five members (admin, clerk, panel, supervisor, county viewer)
    assert (rows["A镇"].village_count, rows["A镇"].household_count, rows["A镇"].member_count) == (2, 2, 5)
    a = rows["A镇"]
    assert reverse("admin:households_township_change", args=[a.pk]) in text  # into each township (the admin)


def test_the_search_finds_townships_by_name_or_short_name(world, operator):
    TownshipFactory(slug="qingshan", name="青山镇")
    by_name = [t.name for t in operator.get(LIST, {"q": "青山"}).context["page"].object_list]
    by_slug = [t.name for t in operator.get(LIST, {"q": "town-b"}).context["page"].object_list]
    assert by_name == ["青山镇"]
    assert by_slug == ["B镇"]


def test_the_list_makes_the_same_number_of_queries_for_more_townships(operator):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert operator.get(LIST).status_code == 200
        return len(captured)

    township = TownshipFactory()
    HouseholdFactory(area__village__township=township, area__township=township)
    few = queries()
    for _ in range(4):
        other = TownshipFactory()
        VillageFactory(township=other)
    assert queries() == few


def test_the_operator_creates_a_township_and_sees_the_password_once(operator):
    response = operator.post(
        NEW,
        {
            "name": "青山镇",
            "slug": "qingshan",
            "kind": "township",
            "timezone": "Asia/Shanghai",
            "admin_username": "qs-admin",
            "admin_name": "王主任",
            "places": _places(),
        },
    )
    assert response.status_code == 200
    password = response.context["created"].password
    assert password in response.content.decode()
    assert (
        "no-store" in response.headers.get("Cache-Control", "")
        or "max-age=0" in response.headers["Cache-Control"]
    )
    admin_user = get_user_model().objects.get(username="qs-admin")
    assert admin_user.check_password(password)
    township = Township.objects.get(slug="qingshan")
    assert Membership.objects.get(user=admin_user, township=township).role == Role.TOWNSHIP_ADMIN
    assert Village.objects.filter(township=township).count() == 2
    assert Area.objects.filter(township=township).count() == 3
    assert password not in operator.get(LIST).content.decode()


def test_a_taken_short_name_is_refused_on_the_form_and_nothing_is_written(world, operator):
    before = (Township.objects.count(), get_user_model().objects.count())
    response = operator.post(
        NEW,
        {
            "name": "另一个",
            "slug": "town-a",
            "kind": "township",
            "timezone": "Asia/Shanghai",
            "admin_username": "x",
        },
    )
    assert response.status_code == 200
    assert "已被 A镇 使用" in response.content.decode()
    assert (Township.objects.count(), get_user_model().objects.count()) == before


def test_a_members_who_is_not_a_superuser_gets_a_clear_refusal(world):
    client = Client()
    client.force_login(world.a.admin)
    before = Township.objects.count()
    for response in (
        client.get(LIST),
        client.post(
            NEW,
            {
                "name": "X",
                "slug": "x",
                "kind": "township",
                "timezone": "Asia/Shanghai",
                "admin_username": "x",
            },
        ),
    ):
        assert response.status_code == 403
        assert "只有平台运维人员可以打开此页面" in response.content.decode()
    assert Township.objects.count() == before


def test_an_anonymous_visitor_is_sent_to_sign_in():
    response = Client().get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# The Django admin ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    sorted(
        (m for m, a in admin.site._registry.items() if a.search_fields),
        key=lambda m: m._meta.label,
    ),
    ids=lambda m: m._meta.label,
)
def test_every_searchable_admin_list_answers_a_search(world, operator, model):
    info = (model._meta.app_label, model._meta.model_name)
    response = operator.get(reverse("admin:%s_%s_changelist" % info), {"q": "A镇"})
    assert response.status_code == 200


def test_the_roster_admin_lists_have_search():
    for label in ["households.Township", "households.Village", "households.Area", "households.Membership"]:
        model = next(m for m in admin.site._registry if m._meta.label == label)
        assert admin.site._registry[model].search_fields, label
