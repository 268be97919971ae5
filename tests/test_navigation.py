"""The navigation offers each role only the pages it can use (issue 17, problem 8: no dead ends).

Every link of every demo role's navigation answers 200; read-only roles are not offered lists that are always
empty for them (the county viewer never sees a household's records), and the incentive policies and lists appear
only for roles that may keep them.
"""

import re

import pytest
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import Client

from core.tenancy import dangerously_all_townships
from households.models import Role
from tests.role_ground import Ground

pytestmark = pytest.mark.django_db

# One user per role (tests/role_ground.py), the school's included, and the links their navigation offers.
ROLES = {
    Role.TOWNSHIP_ADMIN: {
        "work",
        "households",
        "entries",
        "rounds",
        "units",
        "rewards",
        "demonstration",
        "schemes",
    }
    | {"import", "members", "history"},
    Role.VILLAGE_CLERK: {
        "work",
        "households",
        "entries",
        "rounds",
        "units",
        "rewards",
        "demonstration",
        "schemes",
    }
    | {"import"},
    Role.PANEL_MEMBER: {
        "work",
        "households",
        "entries",
        "rounds",
        "units",
        "rewards",
        "demonstration",
        "schemes",
    },
    Role.GRID_WORKER: {
        "work",
        "households",
        "entries",
        "rounds",
        "units",
        "rewards",
        "demonstration",
        "schemes",
    },
    Role.SUPERVISOR: {"households", "entries", "rounds", "units", "dashboard", "rewards", "demonstration"}
    | {"schemes", "history"},
    Role.COUNTY_VIEWER: {"rounds", "dashboard", "rewards", "demonstration", "schemes", "county"},
    Role.HEAD_TEACHER: {"work", "households", "entries", "rounds", "schemes", "import", "history"},
    Role.CLASS_OFFICER: {"work", "households", "entries", "rounds", "schemes"},
    Role.PARENT: {"work", "households", "entries", "rounds", "schemes"},
}
LINK = re.compile(r'<a href="([^"]+)" data-nav="([a-z]+)"')


@pytest.fixture(scope="module")
def ground(django_db_setup, django_db_blocker):
    """Seeded once for the module and rolled back at its end (each test runs in its own savepoint)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), dangerously_all_townships(), transaction.atomic():
            yield Ground()
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _nav(client: Client) -> dict[str, str]:
    home = client.get("/", follow=True)
    assert home.status_code == 200
    return {key: url for url, key in LINK.findall(home.content.decode())}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", list(ROLES))
def test_every_navigation_link_of_a_role_answers(ground, role):
    client = _client(ground.users[role])
    links = _nav(client)
    assert set(links) == ROLES[role]
    for key, url in links.items():
        response = client.get(url)
        assert response.status_code == 200, (key, url, response.status_code)
        assert "请检查输入" not in response.content.decode(), (key, url)


def test_county_viewer_is_not_offered_household_lists(ground):
    client = _client(ground.users[Role.COUNTY_VIEWER])
    links = _nav(client)
    assert "households" not in links and "entries" not in links and "work" not in links
    assert {"dashboard", "county"} <= set(links)


@pytest.mark.parametrize(("role", "offered"), [(Role.TOWNSHIP_ADMIN, True), (Role.VILLAGE_CLERK, False)])
def test_incentive_policies_and_lists_are_offered_only_to_who_keeps_them(ground, role, offered):
    client = _client(ground.users[role])
    page = client.get(_nav(client)["rewards"]).content.decode()
    for url in ("/publicity/policies/", "/publicity/incentive-lists/"):
        assert (url in page) is offered
        if offered:
            target = re.search(rf'href="([^"]*{re.escape(url)})"', page).group(1)
            assert client.get(target).status_code == 200
