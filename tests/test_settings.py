"""The test settings' promise: the real services when reachable, loud fallback otherwise, never a silent skip in CI."""

import os
import subprocess
import sys

from django.conf import settings

PROBE = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"


def _settings_process(**env):
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unreachable_service_fails_when_services_are_required():
    result = _settings_process(JIFEN_REQUIRE_SERVICES="1", TEST_REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "Redis" in result.stderr and "unreachable" in result.stderr


def test_unreachable_database_falls_back_to_sqlite_loudly_when_not_required():
    result = _settings_process(
        JIFEN_REQUIRE_SERVICES="0", TEST_DATABASE_URL="postgres://postgres@127.0.0.1:1/jifen"
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "django.db.backends.sqlite3"
    assert "PostgreSQL unreachable" in result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr
