"""Celery tasks take ids, open the township scope themselves and call a service (three lines each)."""

from celery import shared_task

from . import health, jobs
from .tenancy import dangerously_all_townships, township_model, township_scope


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(township_id: int, job_id: int) -> None:
    with township_scope(township_model().objects.get(pk=township_id)):
        jobs.run(job_id)


@shared_task
def requeue_stale_jobs() -> int:
    """Periodic sweeper (beat): jobs still queued after 10 minutes are sent again (e.g. Redis was down)."""
    with dangerously_all_townships():
        stale = list(jobs.stale_jobs())
    for job in stale:
        jobs.enqueue(job)
    return len(stale)


@shared_task(ignore_result=True)
def heartbeat() -> float:
    """A worker is alive and takes tasks (core.health: /readyz)."""
    return health.beat()
