"""Slow work in a Celery worker, with progress the browser can show and a file kept for download.

A runner is a function `runner(job, progress) -> (content: bytes, filename: str)` registered for a kind with
`@runner("kind", title=…, source=…)`: the title names what the job makes (the job's page is headed by it) and
`source(job) -> (label, url) | None` leads back to the page the job was started from. `start_job` records the job and sends the task after the transaction commits; the task opens
the township scope itself. Running a job twice is harmless: a finished job is not run again, a running one is left
to its worker unless its heartbeat is stale (the worker died), and a re-run of an interrupted one writes its file
anew. The sweeper (`requeue_stale_jobs`) sends again only what was never sent and what lost its worker; finished
jobs and their files are purged after JIFEN_RETENTION_DAYS (`purge_finished_jobs`), except the kinds that are a
record to keep (KEPT_KINDS).
"""

import datetime
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .models import Job, JobState
from .permissions import Member, Role
from .tenancy import township_scope

logger = logging.getLogger(__name__)
RUNNERS: dict[str, Callable] = {}
# Stored untranslated; the page translates it in the reader's language.
WAITING_FOR_BROKER = gettext_noop(
    "Waiting: the job queue is not reachable right now; it will start when it is back."
)


QUEUES: dict[str, str] = {}
TITLES: dict[str, Any] = {}
SOURCES: dict[str, Callable[[Job], tuple[str, str] | None]] = {}


def runner(
    kind: str,
    *,
    queue: str = "celery",
    title: Any = None,
    source: Callable[[Job], tuple[str, str] | None] | None = None,
) -> Callable[[Callable], Callable]:
    """Register `fn` as the runner of `kind`; heavy documents go to a queue of their own ("documents").

    `title` (a lazy translation) names what the job makes; `source(job)` gives the label and address of the page
    it belongs to (a round, a village, the star ratings), read inside the job's township scope."""

    def register(fn: Callable) -> Callable:
        RUNNERS[kind] = fn
        QUEUES[kind] = queue
        if title is not None:
            TITLES[kind] = title
        if source is not None:
            SOURCES[kind] = source
        return fn

    return register


def job_title(job: Job) -> str:
    return str(TITLES.get(job.kind, _("Background job")))


def job_source(job: Job) -> tuple[str, str] | None:
    """Where the job came from, or None when that record is gone (the job page then shows only its file)."""
    source = SOURCES.get(job.kind)
    if source is None:
        return None
    try:
        return source(job)
    except ObjectDoesNotExist:
        return None


def start_job(*, membership: Member, kind: str, params: dict | None = None) -> Job:
    """A job of the member's township, started by the member (its runner acts for them)."""
    if kind not in RUNNERS:
        raise ValueError(f"no runner for job kind {kind!r}")
    job = Job.objects.create(
        township_id=membership.township_id, kind=kind, params=params or {}, created_by=membership.user
    )
    transaction.on_commit(lambda: enqueue(job))
    return job


def enqueue(job: Job, *, connection: Any = None) -> None:
    """Send the task; if the broker is down the job says it is waiting (the sweeper sends it again later)."""
    # The task by its registered name: jobs (the service) do not import tasks (their caller), no cycle.
    run_job = current_app.tasks["core.tasks.run_job"]
    with township_scope(job.township):  # marked sent first: a fast worker may finish before the send returns
        Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(enqueued_at=timezone.now())
    try:
        run_job.apply_async(
            args=[job.township_id, job.pk],
            retry=False,
            connection=connection,
            queue=QUEUES.get(job.kind, "celery"),
        )
    except Exception as exc:  # noqa: BLE001 — any broker failure leaves the job queued, never a 500
        logger.warning("could not enqueue job %s: %s", job.pk, exc)
        # After a request's commit (and in the sweeper) no township scope is open any more: open the job's own.
        with township_scope(job.township):
            Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
                message=WAITING_FOR_BROKER, enqueued_at=None
            )


class Progress:
    def __init__(self, job: Job):
        self.job = job

    def __call__(self, done: int, total: int, message: str = "") -> None:
        Job.objects.filter(pk=self.job.pk).update(
            done=done, total=total, message=message[:300], heartbeat_at=timezone.now()
        )


def run(job_id: int) -> None:
    """Run one job inside the township scope the task opened. Idempotent."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.state == JobState.DONE:
            return
        me = this_worker()
        if job.state == JobState.RUNNING and not is_stale(job) and not is_orphaned(job, me):
            logger.info("job %s is already running in %s: not run twice", job.pk, job.worker or "a worker")
            return
        now = timezone.now()
        job.state, job.started_at, job.heartbeat_at = JobState.RUNNING, now, now
        job.attempts, job.message, job.worker = job.attempts + 1, "", me
        job.save(update_fields=["state", "started_at", "heartbeat_at", "attempts", "message", "worker"])
    try:
        content, filename = RUNNERS[job.kind](job, Progress(job))
    except Exception as exc:
        logger.exception("job %s failed", job.pk)
        Job.objects.filter(pk=job.pk).update(
            state=JobState.FAILED, finished_at=timezone.now(), message=str(exc)[:300]
        )
        raise
    job.refresh_from_db()
    # An attempt killed after writing its file leaves it behind: replace it, never keep a second copy beside it.
    stale = job.file.field.generate_filename(job, filename)
    if job.file.storage.exists(stale):
        job.file.storage.delete(stale)
    job.file.save(filename, ContentFile(content), save=False)
    job.filename, job.state, job.finished_at = filename, JobState.DONE, timezone.now()
    job.done = job.total = max(job.total, 1)
    job.save(update_fields=["file", "filename", "state", "finished_at", "done", "total"])


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def is_orphaned(job: Job, me: str) -> bool:
    """A running job whose process is gone, known without waiting for its heartbeat to go stale: it was this very
    process (a worker process runs one job at a time, so that was an earlier life of its pid, e.g. after a restart),
    or a process of this host that no longer exists (killed; its task delivered again). Another host's worker is
    left to the heartbeat."""
    if job.worker == me:
        return True
    host, _, pid = job.worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, as another user's process
    return False


def is_stale(job: Job) -> bool:
    """A running job whose worker gave no sign of life for JIFEN_JOB_STALE_MINUTES: the worker died."""
    limit = timezone.now() - datetime.timedelta(minutes=settings.JIFEN_JOB_STALE_MINUTES)
    return (job.heartbeat_at or job.started_at or job.created_at) < limit


def stale_jobs() -> QuerySet[Job]:
    """What the sweeper sends again: jobs whose sending failed (a minute's grace for the commit that sends them)
    and running jobs whose worker died. A job queued and sent is left to the broker, however long its queue."""
    now = timezone.now()
    never_sent = Q(
        state=JobState.QUEUED, enqueued_at__isnull=True, created_at__lt=now - datetime.timedelta(minutes=1)
    )
    worker_died = Q(state=JobState.RUNNING) & Q(
        Q(heartbeat_at__lt=now - datetime.timedelta(minutes=settings.JIFEN_JOB_STALE_MINUTES))
        | Q(
            heartbeat_at__isnull=True,
            started_at__lt=now - datetime.timedelta(minutes=settings.JIFEN_JOB_STALE_MINUTES),
        )
    )
    return Job.objects.filter(never_sent | worker_died)


def requeue(job: Job) -> bool:
    """Send a stale job again; a running one is first put back in the queue (a conditional update: two sweepers
    never both take it)."""
    if job.state == JobState.RUNNING and not Job.objects.filter(
        pk=job.pk, state=JobState.RUNNING, heartbeat_at=job.heartbeat_at
    ).update(state=JobState.QUEUED, enqueued_at=None, message=""):
        return False
    enqueue(job)
    return True


# Finished jobs whose file is a record to keep, not a download (the year's archive): never purged.
KEPT_KINDS = {"year_archive"}


def purge_finished_jobs(*, now: datetime.datetime | None = None) -> int:
    """Finished and failed jobs older than JIFEN_RETENTION_DAYS, with their files; safe to run twice."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.JIFEN_RETENTION_DAYS)
    old = Job.objects.filter(state__in=(JobState.DONE, JobState.FAILED), finished_at__lt=cutoff).exclude(
        kind__in=KEPT_KINDS
    )
    purged = 0
    for job in old.order_by("pk").iterator():
        if job.file:
            job.file.delete(save=False)
        purged += Job.objects.filter(pk=job.pk).delete()[0]
    return purged


def jobs_visible_to(membership: Member) -> QuerySet[Job]:
    """A member sees the jobs they started; the township office sees all of its township's."""
    jobs = Job.objects.all()
    return jobs if membership.role == Role.TOWNSHIP_ADMIN else jobs.filter(created_by=membership.user)
