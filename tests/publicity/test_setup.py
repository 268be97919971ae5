"""The township office's notice and privacy settings page, and the setup checklist on its home page (issue 16,
item 1). World (tests/conftest.py): A has villages a东村 (clerk) and a西村 (no clerk), one area and one household
each; no scheme, no panels, no notice settings."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.tenancy import township_scope
from households.models import Role
from publicity.models import NoticeSettings
from publicity.setup_checklist import setup_steps
from review.models import PanelMember, PanelMemberKind, ReviewPanel
from scoring.models import Scheme, SchemeState
from tests.factories import AreaFactory, MembershipFactory, UserFactory, VillageFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def settings_url(township):
    return reverse("publicity:township-settings", kwargs={"township_slug": township.slug})


def home_url(township):
    return reverse("households:township-home", kwargs={"township_slug": township.slug})


# Settings ------------------------------------------------------------------------------------------------------


def test_the_admin_saves_the_notice_settings_on_the_page(world):
    client = client_for(world.a.admin)
    assert "公示和隐私设置" in client.get(settings_url(world.a.township)).content.decode()
    response = client.post(
        settings_url(world.a.township), {"full_names": "on", "contact": "镇办 0571-1234567"}
    )
    assert response.status_code == 302
    saved = NoticeSettings.objects.get(township=world.a.township)
    assert (saved.full_names, saved.contact) == (True, "镇办 0571-1234567")
    assert not NoticeSettings.objects.filter(township=world.b.township).exists()


@pytest.mark.parametrize(("role", "status"), [("clerk", 403), ("supervisor", 403)])
def test_other_roles_cannot_change_the_settings(world, role, status):
    response = client_for(getattr(world.a, role)).post(settings_url(world.a.township), {"contact": "x"})
    assert response.status_code == status
    assert not NoticeSettings.objects.exists()


def test_an_admin_of_a_cannot_open_the_settings_of_b(world):
    response = client_for(world.a.admin).post(settings_url(world.b.township), {"contact": "x"})
    assert response.status_code == 404
    assert not NoticeSettings.objects.exists()


# Checklist -----------------------------------------------------------------------------------------------------


def _steps(township):
    with township_scope(township):
        return {step.key: step for step in setup_steps(township)}


def _full_panel(township, area, name):
    panel = ReviewPanel.objects.create(township=township, village=area.village, name=name, home_area=area)
    for n, kind in enumerate(PanelMemberKind.values):
        PanelMember.objects.create(township=township, panel=panel, user=UserFactory(), kind=kind)
    return panel


def test_the_checklist_says_what_is_missing_for_the_world(world):
    steps = _steps(world.a.township)
    assert steps["villages"].done and steps["households"].done and steps["areas"].done
    assert (
        not steps["clerks"].done and "a西村" in steps["clerks"].todo and "a东村" not in steps["clerks"].todo
    )
    assert not steps["scheme"].done and not steps["panels"].done and not steps["notice"].done
    assert steps["notice"].url == settings_url(world.a.township)


def test_the_checklist_is_all_done_for_a_ready_township_and_then_hidden(world):
    a = world.a
    MembershipFactory(
        user=UserFactory(), township=a.township, role=Role.VILLAGE_CLERK, villages=[a.villages[1]]
    )
    year = timezone.now().astimezone(datetime.timezone(datetime.timedelta(hours=8))).year
    Scheme.objects.create(
        township=a.township,
        name="方案",
        year=year,
        starts_on=datetime.date(year, 1, 1),
        state=SchemeState.ACTIVE,
    )
    for n, area in enumerate(a.areas):
        _full_panel(a.township, area, f"评议小组{n}")
    NoticeSettings.objects.create(township=a.township, contact="镇办电话")
    assert all(step.done for step in _steps(a.township).values())
    assert 'id="setup-checklist"' not in client_for(a.admin).get(home_url(a.township)).content.decode()


def test_a_panel_with_four_members_does_not_count(world):
    a = world.a
    panel = _full_panel(a.township, a.areas[0], "评议小组")
    PanelMember.objects.filter(panel=panel).order_by("pk").first().delete()
    _full_panel(a.township, a.areas[1], "评议小组二")
    steps = _steps(a.township)
    assert not steps["panels"].done and "一组" in steps["panels"].todo


def test_the_checklist_shows_on_the_admins_home_page_only(world):
    admin_home = client_for(world.a.admin).get(home_url(world.a.township)).content.decode()
    clerk_home = client_for(world.a.clerk).get(home_url(world.a.township)).content.decode()
    assert 'id="setup-checklist"' in admin_home and "每个村都有文书" in admin_home
    assert 'id="setup-checklist"' not in clerk_home


def test_the_checklist_makes_a_constant_number_of_queries(world):
    a = world.a

    def count():
        with township_scope(a.township), CaptureQueriesContext(connection) as captured:
            setup_steps(a.township)
        return len(captured)

    few = count()
    for n in range(5):
        village = VillageFactory(township=a.township, name=f"新村{n}")
        AreaFactory(village=village, township=a.township, name="一组")
    assert count() == few == 5  # villages, areas, any household, the scheme, the notice settings
