"""The test settings' promise: the system services when they let us log in, the embedded ones otherwise (loudly),
and in CI (JIFEN_REQUIRE_SERVICES=1) the system ones or nothing."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from config import embedded

PROBE = (
    "import json, django; django.setup(); from django.conf import settings; db = settings.DATABASES['default'];"
    "print(json.dumps([db['ENGINE'], db['HOST'], db['NAME'], settings.CELERY_BROKER_URL]))"
)
WORKER_PROBE = (
    "import json, django; django.setup(); from django.conf import settings;"
    "print(json.dumps([settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND, str(settings.MEDIA_ROOT)]))"
)
REFUSED_LOGIN = "postgres://no_such_role_jifen@127.0.0.1:5432/jifen"  # the port answers, the login fails


def _settings_process(probe=PROBE, **env):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    environment.pop("PYTEST_XDIST_WORKER", None)  # a plain process, whichever xdist worker runs this test
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def embedded_dir(tmp_path):
    yield tmp_path
    embedded.stop_redis(tmp_path / "test-redis")
    embedded.stop_postgres(tmp_path / "test-postgres")


def test_unreachable_service_fails_when_services_are_required():
    result = _settings_process(JIFEN_REQUIRE_SERVICES="1", TEST_REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "Redis" in result.stderr and "unreachable" in result.stderr


@pytest.mark.postgres
def test_a_postgresql_refusing_the_login_fails_when_services_are_required_and_starts_nothing(embedded_dir):
    result = _settings_process(
        JIFEN_REQUIRE_SERVICES="1", TEST_DATABASE_URL=REFUSED_LOGIN, JIFEN_TEST_EMBEDDED_DIR=str(embedded_dir)
    )
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr and "refusing the login" in result.stderr
    assert list(embedded_dir.iterdir()) == []


@pytest.mark.embedded
def test_settings_use_the_embedded_servers_loudly_when_the_configured_ones_refuse_and_none_are_required(
    embedded_dir,
):
    result = _settings_process(
        JIFEN_REQUIRE_SERVICES="0",
        TEST_DATABASE_URL=REFUSED_LOGIN,
        TEST_REDIS_URL="redis://127.0.0.1:1/0",
        JIFEN_TEST_EMBEDDED_DIR=str(embedded_dir),
    )
    assert result.returncode == 0, result.stderr
    engine, host, name, broker = json.loads(result.stdout.strip().splitlines()[-1])
    assert (engine, host, name) == (
        "django.db.backends.postgresql",
        str(embedded_dir / "test-postgres"),
        "jifen",
    )
    assert broker == f"redis+socket://{embedded_dir / 'test-redis' / 'redis.sock'}"
    assert "PostgreSQL does not let us log in" in result.stderr and "Redis does not answer" in result.stderr
    assert embedded.postgres_pid(embedded_dir / "test-postgres") and embedded.redis_pid(
        embedded_dir / "test-redis"
    )


def test_each_xdist_worker_has_its_own_redis_database_and_media_folder_and_a_plain_process_takes_them_as_given(
    tmp_path,
):
    """Worker gwN: TEST_REDIS_URL's database minus N (system or embedded Redis alike), var/test-media/gwN. The real
    Celery worker a test starts is a plain process handed the exact URL and folder (tests/conftest.py)."""
    base = embedded.redis_db(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    worker = _settings_process(WORKER_PROBE, PYTEST_XDIST_WORKER="gw1")
    assert worker.returncode == 0, worker.stderr
    broker, backend, media = json.loads(worker.stdout.strip().splitlines()[-1])
    assert embedded.redis_db(broker) == base - 1 and backend == broker
    assert media == str(settings.BASE_DIR / "var" / "test-media" / "gw1")

    plain = _settings_process(WORKER_PROBE, TEST_REDIS_URL=broker, JIFEN_TEST_MEDIA_ROOT=str(tmp_path))
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout.strip().splitlines()[-1]) == [broker, broker, str(tmp_path)]


def test_a_redis_database_leaving_no_room_for_the_worker_is_an_error_not_a_wrap_around():
    result = _settings_process(
        WORKER_PROBE, PYTEST_XDIST_WORKER="gw3", TEST_REDIS_URL="redis://127.0.0.1:6379/2"
    )
    assert result.returncode != 0
    assert "would use Redis database -1" in result.stderr and "PYTEST_WORKERS" in result.stderr


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
