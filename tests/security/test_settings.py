"""Security settings: `check --deploy` is clean with production settings, and the headers, cookies, session
expiry, password rules and lockout they promise are really in force."""

import datetime
import json
import os
import secrets
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import PASSWORD

PROBE = """
import django, json; django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in [
    "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SESSION_COOKIE_AGE", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "MIDDLEWARE",
    "JIFEN_TRUSTED_PROXIES", "AXES_CLIENT_IP_CALLABLE", "CACHES",
]} | {"DB": {k: s.DATABASES["default"][k] for k in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}}))
"""


def production(command: list[str], **env) -> subprocess.CompletedProcess:
    environment = {
        **{
            k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"
        },  # set for Playwright only
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "jifen.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://jifen.example.org",
        "JIFEN_PUBLIC_BASE_URL": "https://jifen.example.org",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        **env,
    }
    return subprocess.run(
        [sys.executable, *command],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_secure_cookies_hsts_redirect_and_frames():
    values = json.loads(production(["-c", PROBE]).stdout)
    assert values["DEBUG"] is False
    assert (
        values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    )
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600 and values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["JIFEN_TRUSTED_PROXIES"] == 1
    assert values["AXES_CLIENT_IP_CALLABLE"] == "core.security.client_ip"
    assert values["X_FRAME_OPTIONS"] == "DENY" and values["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert values["SESSION_COOKIE_AGE"] == 8 * 3600 and values["SESSION_EXPIRE_AT_BROWSER_CLOSE"]
    assert "core.csp.ContentSecurityPolicyMiddleware" in values["MIDDLEWARE"]
    assert "axes.middleware.AxesMiddleware" in values["MIDDLEWARE"]
    # shared by every worker and host: the rate limits live in Redis, connections persist and are checked
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHES"]["default"]["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert values["DB"]["CONN_MAX_AGE"] > 0 and values["DB"]["CONN_HEALTH_CHECKS"] is True
    assert values["MIDDLEWARE"][:2] == ["core.health.HealthMiddleware", "core.logs.RequestContextMiddleware"]


def test_production_settings_refuse_to_start_without_redis():
    result = production(["-c", "import django; django.setup()"], REDIS_URL="")
    assert result.returncode != 0 and "REDIS_URL" in result.stderr


def test_without_a_proxy_a_forged_forwarded_proto_header_is_not_trusted():
    values = json.loads(
        production(["-c", PROBE], JIFEN_BEHIND_PROXY="false", JIFEN_SSL_REDIRECT="false").stdout
    )
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["JIFEN_TRUSTED_PROXIES"] == 0
    assert values["SECURE_SSL_REDIRECT"] is False


def test_production_refuses_a_short_secret_key():
    result = production(["-c", "import django; django.setup()"], DJANGO_SECRET_KEY="too-short")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_pages_carry_the_policy_and_the_frame_and_sniffing_headers(client, world):
    login_page = client.get(reverse("login"))
    client.force_login(world.a.clerk)
    home = client.get(reverse("households:township-home", args=[world.a.township.slug]))
    for url, response in [("login", login_page), ("township home", home)]:
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
        ]:
            assert directive in policy, (url, directive)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"


def test_the_policy_is_for_pages_not_for_data(client, world):
    client.force_login(world.a.clerk)
    response = client.get(f"/api/v1/t/{world.a.township.slug}/households/")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_the_api_docs_load_their_script_from_a_url_not_inline(client, db):
    page = client.get("/api/docs/")
    html = page.content.decode()
    assert "<script>" not in html
    # third-party developer pages: inline styles allowed under /api/ only, scripts as strict as everywhere
    assert "style-src 'self' 'unsafe-inline'" in page["Content-Security-Policy"]
    assert "script-src 'self';" in page["Content-Security-Policy"]
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize("password", ["short1", "1234567890123", "password1234", "zhangsan-a-clerk"])
def test_weak_passwords_are_refused(password, world):
    user = world.a.clerk
    user.username = "zhangsan-a-clerk"
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_uncommon_password_is_accepted(world):
    validate_password("绿水青山-village-2026!", world.a.clerk)


def test_the_password_change_page_applies_the_rules(client, world):
    client.force_login(world.a.clerk)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678901", "new_password2": "12345678901"},
    )
    assert response.status_code == 200  # the form again, with the errors
    world.a.clerk.refresh_from_db()
    assert world.a.clerk.check_password(PASSWORD)


def test_a_session_ends_after_eight_hours(client, world):
    start = datetime.datetime(2026, 5, 4, 8, 0, tzinfo=datetime.UTC)
    home = reverse("households:township-home", args=[world.a.township.slug])
    with time_machine.travel(start, tick=False) as clock:
        client.post(reverse("login"), {"username": world.a.clerk.username, "password": PASSWORD})
        assert client.get(home).status_code == 200
        assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""  # ends when the browser closes
        clock.move_to(start + datetime.timedelta(hours=7, minutes=59))
        assert client.get(home).status_code == 200
        clock.move_to(start + datetime.timedelta(hours=8, minutes=1))
        response = client.get(home)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_lockout_counts_failures_per_username_and_address(client, world):
    username = world.a.clerk.username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": username, "password": "wrong-password"})
    assert client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code == 429
    # another user from the same address is not locked out by someone guessing the clerk's password
    other = client.post(reverse("login"), {"username": world.a.admin.username, "password": PASSWORD})
    assert other.status_code == 302
    assert settings.AXES_COOLOFF_TIME and settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def login_from(client, username, password, *, proxy="10.0.0.2", forwarded: str):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_a_proxy_the_lockout_counts_the_client_not_the_proxy(client, world, settings):
    settings.JIFEN_TRUSTED_PROXIES = 1
    username = world.a.clerk.username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        # the guesser writes a fresh address of its own in front each time: the proxy's entry is what counts
        login_from(client, username, "wrong-password", forwarded=f"1.2.3.{_}, 203.0.113.7")
    assert login_from(client, username, PASSWORD, forwarded="203.0.113.7").status_code == 429
    # the clerk, from another address behind the same proxy, still logs in
    assert login_from(client, username, PASSWORD, forwarded="198.51.100.4").status_code == 302


def test_without_a_trusted_proxy_a_forwarded_header_changes_nothing(client, world, settings):
    settings.JIFEN_TRUSTED_PROXIES = 0
    username = world.a.clerk.username
    for n in range(settings.AXES_FAILURE_LIMIT):
        login_from(client, username, "wrong-password", proxy="203.0.113.7", forwarded=f"1.2.3.{n}")
    assert login_from(client, username, PASSWORD, proxy="203.0.113.7", forwarded="9.9.9.9").status_code == 429


def test_an_outsider_browsing_the_api_in_a_browser_gets_404_not_a_server_error(client, world):
    client.force_login(world.b.admin)
    response = client.get(f"/api/v1/t/{world.a.township.slug}/households/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert "script-src 'self';" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "https://[::1]/",
        "http://0.0.0.0",
        "jifen.example.org",
        "",
    ],
)
def test_production_refuses_to_start_with_a_public_address_phones_cannot_reach(address):
    result = production(["-c", "import django; django.setup()"], JIFEN_PUBLIC_BASE_URL=address)
    assert result.returncode != 0
    assert "JIFEN_PUBLIC_BASE_URL" in result.stderr and "QR" in result.stderr


def test_production_starts_with_a_public_address_and_prints_it_under_the_qr():
    probe = "import django; django.setup(); from django.conf import settings; print(settings.JIFEN_PUBLIC_BASE_URL)"
    result = production(["-c", probe], JIFEN_PUBLIC_BASE_URL="https://jifen.example.gov.cn")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://jifen.example.gov.cn"
