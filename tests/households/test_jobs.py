import io
import os
import shutil
import signal
import socket
import subprocess
from contextlib import contextmanager

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import get_resolver, reverse

from core import jobs
from core.models import Job, JobState
from core.tasks import run_job
from tests.conftest import celery_worker, wait_for
from tests.contract import member
from tests.factories import HouseholdFactory


def _rows(job):
    job.file.open("rb")
    sheet = openpyxl.load_workbook(io.BytesIO(job.file.read()), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.django_db
def test_export_job_runs_in_process_without_a_broker_and_twice_is_harmless(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_job(
            membership=member(world.a.admin),
            kind="roster_export",
            params={"membership_id": world.a.admin.memberships.get().pk},
        )
    job.refresh_from_db()
    assert job.state == JobState.DONE
    rows = _rows(job)
    assert rows[0][2] == "户号" and {r[2] for r in rows[1:]} == {"A-001", "A-002"}  # never township B's
    finished = job.finished_at
    run_job.apply(args=[world.a.township.pk, job.pk])  # a re-delivered task: nothing happens again
    job.refresh_from_db()
    assert job.finished_at == finished and Job.objects.count() == 1


@pytest.mark.django_db
def test_big_roster_export_goes_to_a_job_page(world, login, settings, django_capture_on_commit_callbacks):
    settings.JIFEN_EXPORT_INLINE_LIMIT = 1
    client = login(world.a.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"}))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
    page = client.get(response["Location"]).content.decode()
    # The page names what the job makes and leads back to where it was started (issue 17.6).
    assert "已完成" in page and "<h1>花名册导出（Excel）</h1>" in page and "后台任务" not in page
    households = reverse("households:household-list", kwargs={"township_slug": "town-a"})
    assert f'id="job-source" href="{households}"' in page and "返回：农户" in page
    download = client.get(
        reverse("households:job-download", kwargs={"township_slug": "town-a", "pk": job.pk})
    )
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"


def test_every_kind_of_job_names_what_it_makes_and_where_it_came_from():
    get_resolver().url_patterns  # the pages import every module that registers a runner
    assert len(jobs.RUNNERS) >= 8
    assert set(jobs.RUNNERS) == set(jobs.TITLES) == set(jobs.SOURCES)


@pytest.mark.django_db
def test_jobs_of_another_township_or_user_are_not_found(world, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_job(
            membership=member(world.a.admin),
            kind="roster_export",
            params={"membership_id": world.a.admin.memberships.get().pk},
        )
    for user, slug in ((world.b.admin, "town-a"), (world.b.admin, "town-b"), (world.a.clerk, "town-a")):
        client = login(user)
        for name in ("households:job-detail", "households:job-download"):
            assert client.get(reverse(name, kwargs={"township_slug": slug, "pk": job.pk})).status_code == 404


@pytest.mark.django_db
def test_job_waits_instead_of_crashing_when_the_broker_is_down(world, login):
    from config.celery import app

    job = Job.objects.create(
        township=world.a.township,
        kind="roster_export",
        created_by=world.a.admin,
        params={"membership_id": world.a.admin.memberships.get().pk},
    )
    app.conf.task_always_eager = False
    try:
        # A real connection attempt to a port where nothing listens.
        with app.connection_for_write("redis://127.0.0.1:1/0") as down:
            jobs.enqueue(job, connection=down)
    finally:
        app.conf.task_always_eager = True
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and "not reachable" in job.message
    page = login(world.a.admin).get(
        reverse("households:job-detail", kwargs={"township_slug": "town-a", "pk": job.pk})
    )
    assert "任务队列暂时无法连接" in page.content.decode()


@pytest.mark.postgres
@pytest.mark.redis
def test_a_real_worker_runs_the_export_job_in_the_township_scope(world, celery_worker_process):
    for n in range(5):
        HouseholdFactory(area=world.a.areas[0], number=f"A-1{n:02d}")
    job = jobs.start_job(
        membership=member(world.a.admin),
        kind="roster_export",
        params={"membership_id": world.a.admin.memberships.get().pk},
    )
    jobs.enqueue(job)  # transactional test: no surrounding transaction to wait for
    wait_for(lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).exists())
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    numbers = {r[2] for r in _rows(job)[1:]}
    assert numbers == {"A-001", "A-002", *(f"A-1{n:02d}" for n in range(5))}


@pytest.mark.django_db
def test_sweeper_sends_stale_queued_jobs_again(world):
    from django.utils import timezone

    job = Job.objects.create(
        township=world.a.township,
        kind="roster_export",
        created_by=world.a.admin,
        params={"membership_id": world.a.admin.memberships.get().pk},
    )
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timezone.timedelta(hours=1))
    call_command("shell", "-c", "from core.tasks import requeue_stale_jobs; requeue_stale_jobs()")
    job.refresh_from_db()
    assert job.state == JobState.DONE  # tasks run eagerly in tests


# A real Redis of the test's own, stopped and started again (issue 8, faults) -------------------------------------


def free_port() -> int:
    """A port nothing listens on (never the shared Redis on 6379: others' tests and workers use it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server on its own port, started with a pidfile and stopped by that PID."""

    def __init__(self, directory, port: int):
        self.port, self.pidfile, self.directory = port, directory / "redis.pid", directory
        self.url = f"redis://127.0.0.1:{port}/0"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def start(self) -> None:
        assert not self._answers(), f"something already listens on port {self.port}"
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "yes"]
            + [
                "--pidfile",
                str(self.pidfile),
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        wait_for(lambda: self._answers() and self.pidfile.exists(), timeout=10)

    def stop(self) -> None:
        if not self.pidfile.exists():
            return
        pid = int(self.pidfile.read_text())
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not self._answers() and not self.pidfile.exists(), timeout=10)


@contextmanager
def broker_at(url: str):
    """Tasks really sent (not eager) to the broker at `url`; the app's connection pools are rebuilt for it."""
    from config.celery import app

    saved = app.conf.broker_url

    def forget_connections():  # kombu keeps one pool per URL for the process: only drop the app's references
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url = url
    forget_connections()
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = saved
        forget_connections()


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed: this test starts and stops a Redis of its own"
        if os.environ.get("JIFEN_REQUIRE_SERVICES"):
            pytest.fail(message)  # CI requires the services: a missing one is a failure, not a skip
        pytest.skip(message)
    redis = OwnRedis(tmp_path, free_port())
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_pages_work_a_started_job_waits_and_runs_once_redis_is_back(
    world, login, settings, own_redis, monkeypatch
):
    from django.utils import timezone

    from core.tasks import requeue_stale_jobs

    settings.JIFEN_EXPORT_INLINE_LIMIT = 1  # the roster export becomes a job
    monkeypatch.setenv("TEST_REDIS_URL", own_redis.url)  # the worker started below uses the same Redis
    client = login(world.a.admin)
    with broker_at(own_redis.url) as app:
        assert app.control.ping(timeout=0.5) == []  # the broker answers (no worker yet)
        own_redis.stop()

        for name, kwargs in (("township-home", {}), ("household-list", {})):
            page = client.get(reverse(f"households:{name}", kwargs={"township_slug": "town-a", **kwargs}))
            assert page.status_code == 200, name
        response = client.get(reverse("households:roster-export", kwargs={"township_slug": "town-a"}))
        job = Job.objects.get()
        assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
        page = client.get(response["Location"])
        assert page.status_code == 200 and "任务队列暂时无法连接" in page.content.decode()
        assert job.state == JobState.QUEUED and "not reachable" in job.message

        Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timezone.timedelta(minutes=11))
        assert requeue_stale_jobs() == 1  # the sweeper, while Redis is still down: it tries, nothing crashes
        job.refresh_from_db()
        assert job.state == JobState.QUEUED and "not reachable" in job.message

        own_redis.start()  # an empty Redis: the task that could not be sent is nowhere
        assert requeue_stale_jobs() == 1  # the periodic sweeper sends it again
        with celery_worker():
            wait_for(
                lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).exists()
            )
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 1, job.message
    assert {r[2] for r in _rows(job)[1:]} == {"A-001", "A-002"} and Job.objects.count() == 1
    assert "已完成" in client.get(response["Location"]).content.decode()


def test_a_fresh_process_knows_the_job_task_by_name_without_importing_tasks_itself():
    """core.jobs sends `core.tasks.run_job` by its registered name (no import cycle): every Django
    process must register it at start-up, or a command or a web worker could not start a job (bench found it)."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    probe = "from celery import current_app; print('core.tasks.run_job' in current_app.tasks)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", probe],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.stdout.strip().splitlines()[-1] == "True", result.stderr
