"""The star rating as a job (eager and on a real worker that is killed mid-way) and as a command."""

import base64
import io
import json
import os
import signal
from decimal import Decimal

import openpyxl
import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

import rewards.tasks  # registers the "star_rating" runner (the worker imports it by autodiscovery)
from core import jobs
from core.models import Job, JobState
from core.tenancy import township_scope
from rewards.models import StarResult, StarRun
from rewards.services import bands_of
from tests.conftest import celery_worker, wait_for
from tests.contract import member
from tests.rewards.oracle import rank_households, star_inputs

D = Decimal


def descending(n: int) -> list[int]:
    return [100 + n - i for i in range(n)]


def sheet_rows(job, sheet=0):
    job.file.open("rb")
    workbook = openpyxl.load_workbook(io.BytesIO(job.file.read()), read_only=True)
    rows = [list(row) for row in workbook.worksheets[sheet].iter_rows(values_only=True)]
    for row in rows:  # read-only sheets pad every row to the widest one
        while row and row[-1] is None:
            row.pop()
    return rows


def start(stars):
    return jobs.start_job(
        membership=member(stars.admin),
        kind="star_rating",
        params={"scheme_id": stars.scheme.pk},
    )


@pytest.mark.django_db
def test_the_job_rates_and_writes_a_summary_per_village(stars, login, django_capture_on_commit_callbacks):
    stars.village(descending(100), name="大村")
    stars.village([120, 118, 118, 118, 110, 109, 108, 107, 106, 105], name="小村")
    with django_capture_on_commit_callbacks(execute=True):
        job = start(stars)
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    assert job.filename == "stars-2026-v1.xlsx" and (job.done, job.total, job.message) == (2, 2, "")
    rows = sheet_rows(job)
    assert rows[:2] == [["2026 星级评定", "第 1 版"], ["新版本"]]
    assert rows[3] == ["村", "参评农户", "五星", "四星", "三星"]
    # 大村: N=100 → 10 / 10 / 10; 小村: 120 | 118×3 tied at rank 2 → 1 five, 3 four, none three.
    assert rows[4:] == [["大村", 100, 10, 10, 10], ["小村", 10, 1, 3, 0]]
    assert StarRun.objects.count() == 1 and StarResult.objects.count() == 110
    # The job page shows it done, with the file to download.
    page = login(stars.admin).get(
        reverse("households:job-detail", kwargs={"township_slug": "town-a", "pk": job.pk})
    )
    assert "已完成" in page.content.decode() and "stars-2026-v1.xlsx" in page.content.decode()


@pytest.mark.django_db
def test_a_second_job_on_the_same_ledger_makes_no_new_version_and_a_changed_one_lists_changes(
    stars, django_capture_on_commit_callbacks
):
    households = stars.village(descending(10))
    with django_capture_on_commit_callbacks(execute=True):
        start(stars)
    with django_capture_on_commit_callbacks(execute=True):
        again = start(stars)
    again.refresh_from_db()
    assert sheet_rows(again)[1][0] == "输入未变：没有新版本" and StarRun.objects.count() == 1
    stars.record([(households[9], D("50"))])  # 101 → 151: first; everyone above moves down one place
    with django_capture_on_commit_callbacks(execute=True):
        changed = start(stars)
    changed.refresh_from_db()
    assert changed.filename == "stars-2026-v2.xlsx"
    numbers = [h.number for h in households]
    assert sheet_rows(changed, sheet=1) == [
        ["户号", "原星级", "现星级"],
        [numbers[0], 5, 4],
        [numbers[1], 4, 3],
        [numbers[2], 3, 0],
        [numbers[9], 0, 5],
    ]


@pytest.mark.django_db
def test_a_redelivered_job_is_not_run_again(stars, django_capture_on_commit_callbacks):
    from core.tasks import run_job

    stars.village(descending(10))
    with django_capture_on_commit_callbacks(execute=True):
        job = start(stars)
    job.refresh_from_db()
    finished = job.finished_at
    run_job.apply(args=[stars.township.pk, job.pk])
    job.refresh_from_db()
    assert job.finished_at == finished and StarRun.objects.count() == 1


@pytest.mark.django_db
def test_the_command_prints_each_village_and_says_whether_a_version_was_made(stars):
    households = stars.village(descending(10), name="东星村")
    stars.village(descending(20), name="西星村")
    out = io.StringIO()
    office = ("--user", "a-township_admin")
    call_command("rate_stars", "--township", "town-a", "--year", "2026", *office, stdout=out)
    text = out.getvalue()
    # 东星村 N=10: 1/1/1; 西星村 N=20: five r≤2, four r≤4, three r≤6 → 2/2/2.
    assert "东星村：10 户参评，五星 1 户，四星 1 户，三星 1 户" in text
    assert "西星村：20 户参评，五星 2 户，四星 2 户，三星 2 户" in text
    assert "第 1 版" in text
    out = io.StringIO()
    call_command("rate_stars", "--township", "town-a", "--year", "2026", *office, stdout=out)
    assert "没有新版本" in out.getvalue() and StarRun.objects.count() == 1
    stars.record([(households[9], D("50"))])
    out = io.StringIO()
    call_command(
        "rate_stars", "--township", "town-a", "--year", "2026", "--user", "a-township_admin", stdout=out
    )
    assert "第 2 版" in out.getvalue() and "4 户星级有变化" in out.getvalue()
    assert StarRun.objects.get(version=2).created_by == stars.admin


@pytest.mark.django_db
def test_the_command_refuses_unknown_townships_years_and_users(stars, world):
    with pytest.raises(CommandError, match="没有"):
        call_command("rate_stars", "--township", "nowhere", "--year", "2026", "--user", "a-township_admin")
    with pytest.raises(CommandError, match="2025"):
        call_command("rate_stars", "--township", "town-a", "--year", "2025", "--user", "a-township_admin")
    with pytest.raises(CommandError, match="--user"):
        call_command("rate_stars", "--township", "town-a", "--year", "2026")
    with pytest.raises(CommandError):
        call_command("rate_stars", "--township", "town-a", "--year", "2026", "--user", "a-supervisor")
    with pytest.raises(CommandError):
        call_command("rate_stars", "--township", "town-a", "--year", "2026", "--user", "b-township_admin")
    assert not StarRun.objects.exists()


# A real worker, killed in the middle of the rating ---------------------------------------------------------------


def redeliver_unacknowledged(township_id: int, job_id: int) -> int:
    """What Redis does once the visibility timeout (1 h) has passed: put the killed worker's message back."""
    from config.celery import app

    restored = 0
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        client = channel.client
        for tag, payload in client.hgetall(channel.unacked_key).items():
            message = json.loads(payload)[0]
            body = message["body"]
            if message["properties"].get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args = json.loads(body)[0]
            if message["headers"].get("task") == "core.tasks.run_job" and args == [township_id, job_id]:
                channel.qos.restore_by_tag(tag, client)
                restored += 1
    return restored


def backends(where: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND {where}"
        )
        return [pid for (pid,) in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.redis
def test_a_worker_killed_mid_rating_leaves_nothing_and_the_job_runs_again_to_the_clean_result(
    stars, celery_worker_process
):
    for _ in range(3):
        stars.village(descending(150))
    stars.village([120, 118, 118, 118, 110, 109, 108, 107, 106, "99.5"])
    db = connection.settings_dict
    # A second connection holds the results table, so the worker stops INSIDE its rating transaction: its run row
    # is written, the INSERT of the ranked results waits. Deterministic "mid-way", whatever the machine's speed.
    blocker = psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
    )
    try:
        blocker.execute("LOCK TABLE rewards_starresult IN EXCLUSIVE MODE")
        job = start(stars)  # no surrounding transaction: the task is sent at once, exactly once
        [stuck] = wait_for(
            lambda: backends("wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO rewards_starresult%'")
        )
        assert Job.objects.get(pk=job.pk).state == JobState.RUNNING
        os.kill(celery_worker_process.pid, signal.SIGKILL)
        celery_worker_process.wait(timeout=20)
    finally:
        blocker.rollback()
        blocker.close()
    # The killed worker's database session ends without a commit: nothing half-written.
    wait_for(lambda: not backends(f"pid = {stuck}"))
    assert not StarRun.objects.exists() and not StarResult.objects.exists()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.attempts == 1  # the job page still shows it running

    from config.celery import app

    with app.connection_for_write() as conn:
        assert conn.default_channel.client.llen("celery") == 0  # no other copy of the task is waiting
    assert redeliver_unacknowledged(stars.township.pk, job.pk) == 1
    with celery_worker():
        wait_for(lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).exists())
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.attempts == 2, job.message

    [run] = StarRun.objects.all()
    assert run.version == 1 and run.household_count == 460
    with township_scope(stars.township):
        clean = rank_households(star_inputs(stars.scheme), bands_of(stars.scheme))
    stored = list(
        StarResult.objects.filter(run=run)
        .order_by("household_id")
        .values_list("household_id", "village_id", "total", "rank", "n", "stars", "disqualified")
    )
    assert stored == [
        (r.household_id, r.village_id, r.total, r.rank, r.n, r.stars, r.disqualified) for r in clean
    ]
    # Each village of 150: five r≤15, four r≤30, three r≤45.
    assert sorted(StarResult.objects.filter(stars__gt=0, n=150).values_list("stars", flat=True)) == (
        [3] * 45 + [4] * 45 + [5] * 45
    )


@pytest.mark.django_db
def test_the_job_reports_its_steps_and_the_page_shows_them_in_chinese(stars, login):
    stars.village(descending(10))
    job = Job.objects.create(
        township=stars.township,
        kind="star_rating",
        params={"scheme_id": stars.scheme.pk},
        created_by=stars.admin,
    )
    steps = []
    rewards.tasks.run_star_rating(job, lambda done, total, message="": steps.append((done, total, message)))
    assert steps == [(0, 2, rewards.tasks.RANKING), (1, 2, rewards.tasks.SUMMARISING), (2, 2, "")]
    Job.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, done=0, total=2, message=rewards.tasks.RANKING
    )
    page = login(stars.admin).get(
        reverse("households:job-detail", kwargs={"township_slug": "town-a", "pk": job.pk}),
        headers={"HX-Request": "true"},
    )
    assert "正在汇总全年总分并在各村排名" in page.content.decode() and "0%" in page.content.decode()
