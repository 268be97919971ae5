"""/healthz and /readyz (core/health.py): answered before the HTTPS redirect, the host check and the session."""

import time

import pytest

from core import health


@pytest.fixture
def production_like(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["jifen.example.gov.cn"]
    return settings


@pytest.fixture
def heartbeat_key():
    connection, client = health.broker_client()
    yield client
    client.delete(health.HEARTBEAT_KEY)
    connection.release()


def test_liveness_answers_plain_http_on_loopback_without_a_session(client, production_like, db):
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "Set-Cookie" not in response.headers
    assert response["Cache-Control"] == "no-store"


def test_other_paths_still_redirect_to_https_and_check_the_host(client, production_like, db):
    assert client.get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400  # not an allowed host
    assert client.get("/", HTTP_HOST="jifen.example.gov.cn").status_code == 301  # to https


def test_readiness_checks_database_redis_worker_and_disk(client, settings, db, heartbeat_key):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    health.beat()
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert set(checks) == {"database", "redis", "worker", "disk"}
    assert all(check["ok"] for check in checks.values())
    assert checks["worker"]["detail"].endswith("s ago")


def test_readiness_fails_naming_a_stale_worker_heartbeat(client, settings, db, heartbeat_key):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    heartbeat_key.set(health.HEARTBEAT_KEY, str(time.time() - 600))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["detail"].endswith("s old")
    assert body["checks"]["database"]["ok"] is True


def test_readiness_fails_without_any_heartbeat(client, settings, db, heartbeat_key):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    heartbeat_key.delete(health.HEARTBEAT_KEY)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "no worker heartbeat" in response.json()["checks"]["worker"]["detail"]


def test_readiness_fails_when_the_media_disk_is_nearly_full(client, settings, db):
    settings.JIFEN_MIN_FREE_DISK_MB = 10**12
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["disk"]["ok"] is False


def test_heartbeat_task_writes_the_heartbeat(settings, db, heartbeat_key):
    from core.tasks import heartbeat

    before = time.time()
    heartbeat.delay()  # eager in tests: the task body runs here
    assert float(heartbeat_key.get(health.HEARTBEAT_KEY)) >= before
    assert "worker-heartbeat" in settings.CELERY_BEAT_SCHEDULE
