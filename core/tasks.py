"""Celery tasks take ids, open the township scope themselves and call a service (three lines each)."""

from celery import shared_task

from . import health, jobs
from .tenancy import dangerously_all_townships, township_model, township_scope


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(township_id: int, job_id: int) -> None:
    with township_scope(township_model().objects.get(pk=township_id)):
        jobs.run(job_id)


@shared_task(ignore_result=True)
def requeue_stale_jobs() -> int:
    """Periodic sweeper (beat): jobs whose sending failed (Redis was down) or whose worker died are sent again."""
    with dangerously_all_townships():
        stale = list(jobs.stale_jobs())
        return sum(jobs.requeue(job) for job in stale)


@shared_task(ignore_result=True)
def purge_finished_jobs() -> int:
    # Every township's finished jobs past the retention: deletes by id, safe to run twice.
    with dangerously_all_townships():
        return jobs.purge_finished_jobs()


@shared_task(ignore_result=True)
def heartbeat() -> float:
    """A worker is alive and takes tasks (core.health: /readyz)."""
    return health.beat()
