"""Exact jobs (issue 18): the sweeper sends again only what was never sent and what lost its worker; a job already
running is not run twice; finished jobs with their files and finished import batches are purged after the
retention period; jobs are in the admin."""

import datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from core import jobs
from core.models import Job, JobState
from core.tasks import purge_finished_jobs, requeue_stale_jobs, run_job
from households.import_models import ImportBatch, ImportStatus
from households.tasks import purge_old_import_batches

pytestmark = pytest.mark.django_db


def _job(world, **fields):
    job = Job.objects.create(
        township=world.a.township,
        kind="roster_export",
        created_by=world.a.admin,
        params={"membership_id": world.a.admin.memberships.get().pk},
    )
    Job.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def ago(**delta):
    return timezone.now() - datetime.timedelta(**delta)


def test_the_sweeper_sends_again_only_jobs_never_sent_or_whose_worker_died(world, settings):
    never_sent = _job(world, created_at=ago(minutes=5))
    just_started = _job(world, created_at=ago(seconds=10))  # its request's commit is still sending it
    sent_and_waiting = _job(world, created_at=ago(hours=2), enqueued_at=ago(hours=2))
    running = _job(world, state=JobState.RUNNING, started_at=ago(hours=1), heartbeat_at=ago(minutes=1))
    worker_died = _job(
        world,
        state=JobState.RUNNING,
        started_at=ago(hours=1),
        heartbeat_at=ago(minutes=settings.JIFEN_JOB_STALE_MINUTES + 1),
    )
    assert set(jobs.stale_jobs()) == {never_sent, worker_died}

    assert requeue_stale_jobs() == 2  # tasks run eagerly in tests: both run now
    for job in (never_sent, just_started, sent_and_waiting, running, worker_died):
        job.refresh_from_db()
    assert never_sent.state == worker_died.state == JobState.DONE
    assert never_sent.enqueued_at is not None and worker_died.attempts == 1
    assert just_started.state == sent_and_waiting.state == JobState.QUEUED
    assert running.state == JobState.RUNNING and running.attempts == 0


def test_a_job_already_running_is_not_run_again_unless_its_worker_died(world, settings):
    running = _job(world, state=JobState.RUNNING, started_at=ago(minutes=2), heartbeat_at=ago(minutes=1))
    run_job.apply(args=[world.a.township.pk, running.pk])  # a duplicate delivery of the same task
    running.refresh_from_db()
    assert (running.state, running.attempts, running.file.name) == (JobState.RUNNING, 0, "")

    Job.objects.filter(pk=running.pk).update(heartbeat_at=ago(minutes=settings.JIFEN_JOB_STALE_MINUTES + 1))
    run_job.apply(args=[world.a.township.pk, running.pk])
    running.refresh_from_db()
    assert running.state == JobState.DONE and running.attempts == 1 and running.file


def test_progress_is_the_running_jobs_heartbeat(world):
    job = _job(world, state=JobState.RUNNING, heartbeat_at=ago(hours=1))
    jobs.Progress(job)(3, 10, "row 3")
    job.refresh_from_db()
    assert job.heartbeat_at > ago(minutes=1) and (job.done, job.total) == (3, 10)


def test_tasks_store_no_results(settings):
    assert settings.CELERY_TASK_IGNORE_RESULT is True
    assert run_job.ignore_result and requeue_stale_jobs.ignore_result


def test_finished_jobs_and_their_files_are_purged_after_the_retention_period(world, settings):
    settings.JIFEN_RETENTION_DAYS = 30
    old, recent, archive, failed, running = (_job(world) for _ in range(5))
    for job, kind in ((old, "roster_export"), (recent, "roster_export"), (archive, "year_archive")):
        job.kind = kind
        job.file.save("export.xlsx", ContentFile(b"x"), save=False)
        job.state = JobState.DONE
        job.save()
    storage, old_name = old.file.storage, old.file.name
    Job.objects.filter(pk__in=[old.pk, archive.pk]).update(finished_at=ago(days=31))
    Job.objects.filter(pk=failed.pk).update(state=JobState.FAILED, finished_at=ago(days=40))
    Job.objects.filter(pk=recent.pk).update(finished_at=ago(days=29))
    Job.objects.filter(pk=running.pk).update(state=JobState.RUNNING, created_at=ago(days=90))

    assert purge_finished_jobs() == 2
    assert set(Job.objects.values_list("pk", flat=True)) == {recent.pk, archive.pk, running.pk}
    assert not storage.exists(old_name) and archive.file.storage.exists(archive.file.name)
    assert purge_finished_jobs() == 0  # safe to run twice

    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert purge_finished_jobs() == 1  # the recent one's turn came
    assert not Job.objects.filter(pk=recent.pk).exists()


def test_finished_import_batches_are_purged_after_the_retention_period(world, settings):
    settings.JIFEN_RETENTION_DAYS = 30

    def batch(status, **times):
        return ImportBatch.objects.create(
            township=world.a.township, uploaded_by=world.a.admin, filename="名册.xlsx", status=status, **times
        )

    committed_old = batch(ImportStatus.COMMITTED, committed_at=ago(days=31))
    abandoned_old = batch(ImportStatus.ABANDONED, abandoned_at=ago(days=45))
    committed_recent = batch(ImportStatus.COMMITTED, committed_at=ago(days=3))
    previewed = batch(ImportStatus.PREVIEWED)
    ImportBatch.objects.filter(pk=previewed.pk).update(
        created_at=ago(days=60)
    )  # the identity sweep abandons it

    assert purge_old_import_batches() == 2
    remaining = set(ImportBatch.objects.values_list("pk", flat=True))
    assert remaining == {committed_recent.pk, previewed.pk}
    assert committed_old.pk not in remaining and abandoned_old.pk not in remaining
    assert purge_old_import_batches() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(days=28)):
        assert purge_old_import_batches() == 1


def test_the_purges_run_daily_from_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"core.tasks.purge_finished_jobs", "households.tasks.purge_old_import_batches"} <= tasks


def test_jobs_are_in_the_admin_filterable_by_kind_state_and_township(client, world, django_user_model):
    _job(world, state=JobState.DONE)
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(superuser)
    response = client.get(
        "/admin/core/job/",
        {"kind": "roster_export", "state": "done", "township__id__exact": world.a.township.pk},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "roster_export" in page and world.a.township.name in page


def test_a_running_job_whose_process_on_this_host_is_gone_is_taken_over_at_once(world):
    import os
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])  # noqa: S607 — a process that exits: its pid names no process once reaped
    gone.wait()
    host = socket.gethostname()
    alive = _job(world, state=JobState.RUNNING, heartbeat_at=ago(minutes=1), worker=f"{host}:{os.getppid()}")
    killed = _job(world, state=JobState.RUNNING, heartbeat_at=ago(minutes=1), worker=f"{host}:{gone.pid}")
    elsewhere = _job(
        world, state=JobState.RUNNING, heartbeat_at=ago(minutes=1), worker=f"other-host:{gone.pid}"
    )
    for job in (alive, killed, elsewhere):
        run_job.apply(args=[world.a.township.pk, job.pk])  # the task delivered again
        job.refresh_from_db()
    assert alive.state == elsewhere.state == JobState.RUNNING and alive.attempts == elsewhere.attempts == 0
    assert killed.state == JobState.DONE and killed.attempts == 1 and killed.worker == jobs.this_worker()
