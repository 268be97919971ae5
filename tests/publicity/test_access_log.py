"""Every denied access is one line on the `jifen.access` log (core/logs.py) with the user, the township, the route
and the reason: permission refusals, scope refusals answered with 404 (pages and API), failed logins, lockouts and
rate-limited objections. Each line also carries the request id that the response names."""

import json
import logging

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from core.logs import JsonFormatter, RequestContextFilter
from tests.factories import PASSWORD
from tests.publicity.conftest import on_notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def denied(caplog):
    caplog.set_level(logging.WARNING, logger="jifen.access")

    def lines(event):
        return [r for r in caplog.records if r.name == "jifen.access" and r.event == event]

    return lines


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_permission_refusal_on_a_page_names_user_township_route_and_reason(client, world, denied):
    client.force_login(world.a.clerk)
    response = client.get(reverse("households:people-list", kwargs={"township_slug": "town-a"}))
    assert response.status_code == 403
    (line,) = denied("permission")
    assert line.user == f"a-village_clerk#{world.a.clerk.pk}"
    assert line.township == "town-a"
    assert "/t/town-a/people/" in line.route and "households:people-list" in line.route
    assert line.reason
    assert line.request_id == response["X-Request-ID"]


def test_a_scope_refusal_answered_with_404_is_logged_on_pages_and_in_the_api(client, world, denied):
    client.force_login(world.b.admin)
    other = world.a.households[0]
    page = reverse("households:household-detail", kwargs={"township_slug": "town-b", "pk": other.pk})
    assert client.get(page).status_code == 404
    assert client.get(f"/api/v1/t/town-b/households/{other.pk}/").status_code == 404
    routes = [line.route for line in denied("not_found")]
    assert len(routes) == 2
    assert any(page in route for route in routes) and any("/api/v1/t/town-b/households/" in r for r in routes)
    assert {line.township for line in denied("not_found")} == {"town-b"}


def test_an_api_permission_refusal_is_logged(client, world, denied):
    client.force_login(world.a.county)
    response = client.post("/api/v1/t/town-a/households/", {}, content_type="application/json")
    assert response.status_code == 403
    (line,) = denied("permission")
    assert line.user.startswith("a-county_viewer#") and "/api/v1/t/town-a/households/" in line.route


def test_failed_logins_and_the_lockout_are_logged_with_the_attempted_name(client, world, denied):
    username = world.a.clerk.username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": username, "password": "wrong-password"})
    assert client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code == 429
    failed = denied("login_failed")
    assert len(failed) >= settings.AXES_FAILURE_LIMIT - 1
    assert failed[0].user == f"{username} (attempted)" and failed[0].reason == "wrong username or password"
    assert denied("lockout") and denied("lockout")[0].user == f"{username} (attempted)"


def test_a_rate_limited_objection_is_logged(client, rw, denied):
    round_ = on_notice(rw)
    url = reverse("publicity:public-notice", kwargs={"token": round_.notice_token})
    form = {
        "objector_name": "周二",
        "objector_phone": "13900139000",
        "household": str(rw.h2.pk),
        "reason": "不对",
    }
    for _ in range(settings.JIFEN_OBJECTIONS_PER_HOUR + 1):
        client.post(url, {**form, "website": ""})
    (line,) = denied("rate_limited")
    assert line.user == "anonymous" and "objections an hour" in line.reason


def test_a_json_line_carries_time_level_request_id_and_township():
    record = logging.LogRecord("jifen.access", logging.WARNING, __file__, 1, "denied %s", ("x",), None)
    RequestContextFilter().filter(record)
    body = json.loads(JsonFormatter().format(record))
    assert set(body) >= {"time", "level", "logger", "request_id", "township", "message"}
    assert body["level"] == "WARNING" and body["message"] == "denied x"


def test_a_plain_request_id_from_the_proxy_is_kept_and_a_strange_one_replaced(client, db):
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="abc-123-def")["X-Request-ID"] == "abc-123-def"
    replaced = client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 16
