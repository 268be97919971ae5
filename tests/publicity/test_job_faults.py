"""The notice-sheet job on a real Celery worker killed with SIGKILL mid-way, then run again (issue 8, faults)."""

import base64
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

import publicity.tasks  # noqa: F401 — registers the "notice_sheet" runner (the worker imports it by autodiscovery)
from core import jobs
from core.models import Job, JobState
from publicity.documents import notice_sheet_pdf
from tests.conftest import celery_worker, wait_for
from tests.contract import member
from tests.publicity.conftest import on_notice
from tests.rewards.test_job import backends, redeliver_unacknowledged


def blocker():
    """A second connection to the test database, to hold locks the worker will wait on."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def forget_unacknowledged_jobs(township_id: int) -> None:
    """Drop messages a worker killed in an EARLIER test run left unacknowledged for this township's jobs (ids start
    at 1 again each run), so that only this run's message is redelivered below."""
    from config.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        client = channel.client
        for tag, payload in client.hgetall(channel.unacked_key).items():
            message = json.loads(payload)[0]
            body = message["body"]
            if message["properties"].get("body_encoding") == "base64":
                body = base64.b64decode(body)
            if (
                message["headers"].get("task") == "core.tasks.run_job"
                and json.loads(body)[0][0] == township_id
            ):
                client.hdel(channel.unacked_key, tag)
                client.zrem(channel.unacked_index_key, tag)


@pytest.fixture
def dead_clients_noticed(monkeypatch):
    """The worker's database sessions end as soon as the worker is gone, even while waiting on a lock (PostgreSQL
    checks the client every 100 ms), instead of finishing the statement it had sent (and committing it)."""
    monkeypatch.setenv("PGOPTIONS", "-c client_connection_check_interval=100")


@pytest.mark.postgres
@pytest.mark.redis
def test_a_worker_killed_after_writing_the_sheet_leaves_one_job_and_one_file_with_the_same_text(
    dead_clients_noticed, rw, celery_worker_process
):
    forget_unacknowledged_jobs(rw.township.pk)
    round_ = on_notice(rw, extra_households=40)
    expected_text = pdf_text(notice_sheet_pdf(round_)[0])
    # Two locks make "mid-way" deterministic, whatever the machine's speed: the roster's residents table holds the
    # worker inside the runner (job running, progress written) until the job's own row is locked too; then the
    # worker renders and writes the PDF file, and stops at the very end, where the job would be marked done.
    residents, job_row = blocker(), blocker()
    try:
        residents.execute("LOCK TABLE households_resident IN ACCESS EXCLUSIVE MODE")
        job = jobs.start_job(  # no surrounding transaction: the task is sent at once, exactly once
            membership=member(rw.admin), kind="notice_sheet", params={"round_id": round_.pk}
        )
        directory = Path(settings.MEDIA_ROOT) / "jobs" / str(rw.township.pk) / str(job.pk)
        shutil.rmtree(directory, ignore_errors=True)  # an earlier test run's files (ids start at 1 each run)
        wait_for(lambda: backends("wait_event_type = 'Lock' AND query ILIKE '%households_resident%'"))
        job_row.execute("SELECT id FROM households_job WHERE id = %s FOR UPDATE", [job.pk])
        residents.rollback()
        [stuck] = wait_for(
            lambda: backends("wait_event_type = 'Lock' AND query ILIKE 'UPDATE \"households_job\"%'")
        )
        assert [p.name for p in directory.iterdir()] == [f"notice-{rw.village.name}-2026-a4.pdf"]
        os.kill(celery_worker_process.pid, signal.SIGKILL)
        celery_worker_process.wait(timeout=20)
        wait_for(lambda: not backends(f"pid = {stuck}"), timeout=10)  # its session ended, nothing committed
    finally:
        residents.close()
        job_row.rollback()
        job_row.close()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.filename) == (JobState.RUNNING, 1, "")  # the page still says running

    assert redeliver_unacknowledged(rw.township.pk, job.pk) == 1
    with celery_worker():
        wait_for(lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).exists())
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2, job.message
    assert Job.objects.count() == 1
    # The re-run replaced the killed run's file instead of leaving it beside a second copy.
    assert [p.name for p in directory.iterdir()] == [job.filename]
    assert job.file.name == f"jobs/{rw.township.pk}/{job.pk}/{job.filename}"
    job.file.open("rb")
    assert pdf_text(job.file.read()) == expected_text
    assert "积分评议结果公示" in expected_text and expected_text.count("*") >= 40  # 42 masked heads
