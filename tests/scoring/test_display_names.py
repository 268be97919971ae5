"""People are named by their display name on pages and passbooks, never by their login (issue 17.5)."""

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template

from households.demo import DEMO_USERS
from scoring.demo_school import SCHOOL_USERS
from tests.scoring import test_pages
from tests.scoring.test_pages import client_for, url

pytestmark = pytest.mark.django_db
catalogue = test_pages.catalogue  # the scoring pages' fixture


def test_the_person_filter_names_a_user_by_their_full_name_and_nobody_as_nothing():
    User = get_user_model()
    named = User(username="qs-clerk-7", first_name="李秀梅")
    template = Template("{% load people %}[{{ named|person }}][{{ nameless|person }}][{{ nobody|person }}]")
    rendered = template.render(Context({"named": named, "nameless": User(username="x1"), "nobody": None}))
    assert rendered == "[李秀梅][x1][]"


def test_the_passbook_names_who_recorded_and_approved_by_name(catalogue):
    t = catalogue.a
    t.admin.first_name = "王建国"
    t.admin.save(update_fields=["first_name"])
    page = client_for(t.supervisor).get(url("passbook", t.township, household_pk=t.households[0].pk))
    body = page.content.decode()
    assert "王建国" in body and "a-township_admin" not in body


def test_every_demo_login_has_a_name_to_be_shown_by():
    assert all(demo.name for demo in [*DEMO_USERS, *SCHOOL_USERS])
