"""A production smoke test without Docker (issue 18): gunicorn (2 workers), a `celery` worker, a `documents` worker
and beat, all with config.settings.production on loopback, against the test database and Redis. It walks: /healthz;
log in; record an entry; the notice sheet rendered on the `documents` queue and downloaded; the public page opened
from the address printed under the sheet's QR; the objection limit shared by both web workers; and a documents
worker stopped with SIGTERM while a job runs: the job finishes, exactly once, and the restarted worker takes the
next. Every process is started by this test and stopped by its own pid."""

import os
import re
import secrets
import signal
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import pytest
import redis
import requests
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from config.embedded import database_url
from core.models import Job, JobState
from scoring.models import Entry
from tests.conftest import wait_for
from tests.factories import PASSWORD
from tests.households.test_jobs import free_port
from tests.publicity.conftest import on_notice

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
PUBLIC = "https://jifen.example.org"


@pytest.fixture
def production_env(tmp_path):
    static = tmp_path / "static"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTEST_XDIST_WORKER", "DJANGO_ALLOW_ASYNC_UNSAFE")
        },
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "http://127.0.0.1",
        "JIFEN_PUBLIC_BASE_URL": PUBLIC,
        "JIFEN_BEHIND_PROXY": "false",
        "JIFEN_TRUSTED_PROXIES": "0",
        "JIFEN_SSL_REDIRECT": "false",  # plain HTTP on loopback: no proxy in front
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "JIFEN_MEDIA_ROOT": str(tmp_path / "media"),
        "JIFEN_STATIC_ROOT": str(static),
        "JIFEN_DOCUMENT_INLINE_ROWS": "0",  # every notice sheet through the documents queue
        "JIFEN_STATIC_COMPRESS": "false",  # hashed names without a minute of compression
    }
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert collected.returncode == 0, collected.stderr
    production_cache = redis.Redis.from_url(env["REDIS_URL"])

    def forget():  # the production cache's keys (prefix "jifen") in this test's Redis database
        for key in production_cache.scan_iter("jifen:*"):
            production_cache.delete(key)

    forget()
    yield env
    forget()
    cache.clear()


@contextmanager
def process(command, env, log):
    started = subprocess.Popen(  # noqa: S603
        command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield started
    finally:
        if started.poll() is None:
            os.kill(started.pid, signal.SIGTERM)  # by its own pid
            try:
                started.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(started.pid, signal.SIGKILL)
                started.wait()


def celery(name, queue, env, log, tmp_path):
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-n", f"{name}@smoke"]
    command += ["--concurrency", "1", "-l", "info", "--without-gossip", "--without-mingle"]
    return process(command, env, log)


def worker_ready(name):
    from config.celery import app

    return lambda: any(f"{name}@smoke" in reply for reply in (app.control.ping(timeout=0.5) or []))


def login(base, user):
    # Production's hashers do not read the tests' fast MD5 hashes: the password hashed as production stores it.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    username = user.username
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    # The cookies are Secure (production): over plain loopback HTTP they are sent by hand.
    cookies = {"csrftoken": page.cookies["csrftoken"]}
    answer = session.post(
        f"{base}/accounts/login/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        cookies=cookies,
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    cookies["sessionid"] = answer.cookies["sessionid"]
    return session, cookies


def test_production_processes_serve_the_whole_walk(rw, production_env, tmp_path):
    round_ = on_notice(rw, extra_households=120)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = production_env
    with ExitStack() as stack:
        log = stack.enter_context(open(tmp_path / "processes.log", "w"))  # noqa: SIM115
        web = stack.enter_context(
            process(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
                + ["--workers", "2", "--access-logfile", "-", "--graceful-timeout", "10"],
                env,
                log,
            )
        )
        stack.enter_context(celery("worker", "celery", env, log, tmp_path))
        documents = stack.enter_context(celery("documents", "documents", env, log, tmp_path))
        beat = stack.enter_context(
            process(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "beat",
                    "-l",
                    "info",
                    "-s",
                    str(tmp_path / "beat"),
                ],
                env,
                log,
            )
        )

        def up():
            try:
                return requests.get(f"{base}/healthz", timeout=10).status_code == 200
            except requests.RequestException:
                return web.poll() is not None

        wait_for(up, timeout=60)
        assert web.poll() is None, (tmp_path / "processes.log").read_text()[-3000:]
        assert requests.get(f"{base}/healthz", timeout=5).json()["status"] == "ok"
        wait_for(worker_ready("worker"), timeout=60)
        wait_for(worker_ready("documents"), timeout=60)

        # Log in and record an entry (the API, with the session and its CSRF token).
        session, cookies = login(base, rw.clerk)
        recorded = session.post(
            f"{base}/api/v1/t/{rw.township.slug}/entries/",
            json={"household": rw.h1.pk, "item": rw.clean.pk, "occurred_on": "2026-06-02"},
            headers={"X-CSRFToken": cookies["csrftoken"], "Referer": base},
            cookies=cookies,
            timeout=20,
        )
        assert recorded.status_code == 201, recorded.text[:500]
        assert Entry.objects.filter(pk=recorded.json()["id"], household=rw.h1).exists()

        # The notice sheet: a job on the documents queue, then its file downloaded.
        slug = rw.township.slug
        sheet = base + reverse("publicity:notice-sheet", kwargs={"township_slug": slug, "pk": round_.pk})
        started = session.get(sheet, cookies=cookies, allow_redirects=False, timeout=20)
        assert started.status_code == 302 and "/jobs/" in started.headers["Location"], started.text[:300]
        job = Job.objects.get(kind="notice_sheet")
        wait_for(
            lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).exists(),
            timeout=120,
        )
        job.refresh_from_db()
        assert job.state == JobState.DONE, job.message
        download_url = reverse("households:job-download", kwargs={"township_slug": slug, "pk": job.pk})
        download = session.get(base + download_url, cookies=cookies, timeout=20)
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
        pdf = tmp_path / "sheet.pdf"
        pdf.write_bytes(download.content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout  # noqa: S607

        # The address under the QR is the public one; its path opens the public page on this server.
        printed = f"{PUBLIC}/notice/{round_.notice_token}/"
        # The address may wrap on the sheet, after a "-" that pdftotext then takes for a hyphenation and drops.
        assert printed.replace("-", "") in re.sub(r"\s+", "", text).replace("-", ""), text[-800:]
        public_path = urlsplit(printed).path
        public = requests.get(base + public_path, timeout=20)
        assert public.status_code == 200 and round_.village.name in public.text

        # The objection limit is kept in Redis: both gunicorn workers count the same objections.
        statuses = []
        for n in range(settings.JIFEN_OBJECTIONS_PER_HOUR + 1):
            fresh = requests.Session()  # a new connection each time: the two workers take turns
            form = fresh.get(base + public_path, timeout=20)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
            posted = fresh.post(
                base + public_path,
                {
                    "objector_name": "周二",
                    "objector_phone": "13900139000",
                    "household": rw.h2.pk,
                    "reason": f"异议{n}",
                    "website": "",
                    "csrfmiddlewaretoken": token,
                },
                cookies={"csrftoken": form.cookies["csrftoken"]},
                headers={"Referer": base},
                allow_redirects=False,
                timeout=20,
            )
            statuses.append(posted.status_code)
        assert statuses[-1] == 429 and 429 not in statuses[:-1], statuses
        # The count lives in Redis (the production cache), not in either worker's memory.
        counted = redis.Redis.from_url(env["REDIS_URL"]).keys("jifen:*objections*")
        assert counted, "the objection count is not in Redis"
        assert "POST /notice/" in (tmp_path / "processes.log").read_text()  # gunicorn's access log

        # A documents worker stopped with SIGTERM while a job runs: it finishes the job (a warm shutdown; compose gives
        # it stop_grace_period), the restarted worker does not run it again and takes the next one.
        session.get(sheet, cookies=cookies, allow_redirects=False, timeout=20)
        second = Job.objects.filter(kind="notice_sheet").exclude(pk=job.pk).get()
        wait_for(lambda: Job.objects.filter(pk=second.pk).exclude(state=JobState.QUEUED).exists(), timeout=60)
        second.refresh_from_db()
        assert (
            second.state == JobState.RUNNING
        )  # caught while the sheet renders (a few seconds for 122 households)
        os.kill(documents.pid, signal.SIGTERM)
        documents.wait(
            timeout=120
        )  # a warm shutdown: the running job is finished first, then the worker exits
        second.refresh_from_db()
        assert second.state == JobState.DONE and second.attempts == 1
        with celery("documents", "documents", env, log, tmp_path):
            wait_for(worker_ready("documents"), timeout=60)
            wait_for(lambda: Job.objects.filter(pk=second.pk, state=JobState.DONE).exists(), timeout=120)
            session.get(sheet, cookies=cookies, allow_redirects=False, timeout=20)
            third = Job.objects.filter(kind="notice_sheet").exclude(pk__in=[job.pk, second.pk]).get()
            wait_for(lambda: Job.objects.filter(pk=third.pk, state=JobState.DONE).exists(), timeout=120)
        second.refresh_from_db()
        assert second.state == JobState.DONE and second.attempts == 1  # exactly once
        assert beat.poll() is None and web.poll() is None
