"""Shared fixtures. Tests talk to a real PostgreSQL and Redis, system or embedded (config/settings/test.py)."""

import os
from contextlib import contextmanager

import pytest
from django.conf import settings

from core.tenancy import dangerously_all_townships
from households.models import Role
from tests.factories import (
    PASSWORD,
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    ResidentFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)


def pytest_collection_modifyitems(session, config, items):
    """Every test has its own node id: pytest-xdist sends tests by id, so of tests sharing one only one would run."""
    seen, twice = set(), set()
    for item in items:
        (twice if item.nodeid in seen else seen).add(item.nodeid)
    if twice:
        raise pytest.UsageError("tests sharing a node id (give each its own): " + ", ".join(sorted(twice)))


@pytest.fixture(autouse=True)
def all_townships(request):
    """Test set-up code may touch every township; each request still starts with no scope (middleware)."""
    with dangerously_all_townships():
        yield


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (zh-hans), whatever an earlier test of the same xdist worker left
    active (the suite's files share workers in no fixed order)."""
    from django.utils import translation

    translation.deactivate()
    yield


@pytest.fixture
def password():
    return PASSWORD


class World:
    """Two townships, A and B, each with two villages, areas, households and one user per role."""

    def __init__(self):
        self.a = self._township("a")
        self.b = self._township("b")

    def _township(self, key):
        township = TownshipFactory(slug=f"town-{key}", name=f"{key.upper()}镇")
        v1 = VillageFactory(township=township, name=f"{key}东村")
        v2 = VillageFactory(township=township, name=f"{key}西村")
        area1 = AreaFactory(village=v1, township=township, name="一组")
        area2 = AreaFactory(village=v2, township=township, name="一组")
        h1 = HouseholdFactory(area=area1, number=f"{key.upper()}-001")
        h2 = HouseholdFactory(area=area2, number=f"{key.upper()}-002")
        r1 = ResidentFactory(
            household=h1, name="张三明", is_head=True, id_number="11010519491231002X", mobile="13800138000"
        )
        ResidentFactory(household=h2, name="李四", is_head=True)

        def member(role, villages=()):
            user = UserFactory(username=f"{key}-{role}")
            MembershipFactory(user=user, township=township, role=role, villages=list(villages))
            return user

        return type(
            "T",
            (),
            {
                "township": township,
                "villages": [v1, v2],
                "areas": [area1, area2],
                "households": [h1, h2],
                "resident": r1,
                "admin": member(Role.TOWNSHIP_ADMIN),
                "clerk": member(Role.VILLAGE_CLERK, [v1]),
                "panel": member(Role.PANEL_MEMBER, [v1]),
                "supervisor": member(Role.SUPERVISOR),
                "county": member(Role.COUNTY_VIEWER),
            },
        )


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


# Browser tests: Debian's Chromium, never a downloaded browser (PITFALLS: Playwright) -------------------------
CHROMIUM = "/usr/bin/chromium"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop beside live_server
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = settings.BASE_DIR / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 390, "height": 844}}


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# A real Celery worker (for behaviour that depends on one): started by its own PID, stopped by it ------------
@contextmanager
def celery_worker():
    """A real `celery worker` process on the test database and the test Redis, stopped by its own PID.

    It is handed this process's exact database (pytest-django's, per xdist worker), broker (this xdist worker's
    Redis database, or the one a test points the app at) and media folder; it is no xdist worker itself, so the
    test settings take what it is given as it is (config/settings/test.py)."""
    import subprocess
    import sys
    import uuid

    from django.db import connection

    from config.celery import app
    from config.embedded import database_url

    url = database_url(connection.settings_dict)  # the test database, also on an embedded server's socket
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": url,
        "TEST_REDIS_URL": app.conf.broker_url,
        "JIFEN_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "-Q",
        "celery,documents",
    ]
    command += ["-n", name, "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
    try:
        wait_for(
            lambda: any(name in reply for reply in (app.control.ping(timeout=0.5) or [])) or process.poll()
        )
        if process.poll() is not None:
            raise RuntimeError("the Celery worker did not start")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real worker, and tasks really sent to it (not run eagerly) for the duration of the test."""
    from config.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with celery_worker() as process:
            yield process
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2):
    """Poll until `predicate()` is truthy (for work done by another process); fail after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
