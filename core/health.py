"""Health for the operator and the orchestrator (issue 18).

- `/healthz` (liveness): the process answers. No database, no session, no host check.
- `/readyz` (readiness): the database, Redis (the broker), a worker's heartbeat and free disk space for media, each
  with its time; 200 when all hold, 503 naming what failed.

Both are answered by a middleware placed first, before the HTTPS redirect, the host check and the session, so that a
load balancer or `docker compose` healthcheck on plain HTTP at 127.0.0.1 reaches them. They reveal no data."""

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

HEARTBEAT_KEY = "jifen:worker-heartbeat"


def broker_client() -> tuple[Any, Any]:
    """The Redis client of the Celery broker (works for redis:// and the embedded redis+socket:// alike)."""
    from config.celery import app

    connection_ = app.connection_for_write()
    return connection_, connection_.default_channel.client


def beat() -> float:
    """Record that a worker is alive and takes tasks (core.tasks.heartbeat, sent by beat every minute)."""
    now = time.time()
    connection_, client = broker_client()
    try:
        client.set(HEARTBEAT_KEY, str(now), ex=24 * 3600)
    finally:
        connection_.release()
    return now


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _redis() -> str:
    connection_, client = broker_client()
    try:
        client.ping()
    finally:
        connection_.release()
    return "ok"


def _worker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process (no broker configured)"
    connection_, client = broker_client()
    try:
        raw = client.get(HEARTBEAT_KEY)
    finally:
        connection_.release()
    if raw is None:
        raise RuntimeError("no worker heartbeat yet: are a worker and beat running?")
    age = time.time() - float(raw)
    if age > settings.JIFEN_HEARTBEAT_STALE_SECONDS:
        raise RuntimeError(f"the last worker heartbeat is {age:.0f} s old")
    return f"{age:.0f} s ago"


def _disk() -> str:
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # media not written yet: the disk it will be on
    free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    if free_mb < settings.JIFEN_MIN_FREE_DISK_MB:
        raise RuntimeError(f"{free_mb} MB free for media, below {settings.JIFEN_MIN_FREE_DISK_MB} MB")
    return f"{free_mb} MB free"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "redis": _redis,
    "worker": _worker,
    "disk": _disk,
}


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as exc:  # a check that fails for any reason is "not ready", never a 500
            detail, ok = f"{type(exc).__name__}: {exc}"[:300], False
        results[name] = {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return all(result["ok"] for result in results.values()), results


def _json(body: dict[str, object], status: int) -> HttpResponse:
    response = HttpResponse(json.dumps(body), content_type="application/json", status=status)
    response["Cache-Control"] = "no-store"
    return response


class HealthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path == "/healthz":
            return _json({"status": "ok", "time": timezone.now().isoformat()}, 200)
        if request.path == "/readyz":
            ok, checks = readiness()
            return _json({"status": "ok" if ok else "fail", "checks": checks}, 200 if ok else 503)
        return self.get_response(request)
