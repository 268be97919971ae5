"""Review tasks: the periodic sweeper that closes notices whose time is up."""

from celery import shared_task

from core.tenancy import dangerously_all_townships

from . import services


@shared_task
def close_ended_notices() -> int:
    # A sweep over every township's rounds: one conditional UPDATE, safe to run twice.
    with dangerously_all_townships():
        return services.close_ended_notices()
