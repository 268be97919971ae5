"""Households' tasks: the periodic sweep that masks the full ID numbers kept for finished imports."""

from celery import shared_task

from core.tenancy import dangerously_all_townships

from .importing import services as importing


@shared_task
def purge_import_identities() -> tuple[int, int]:
    # A sweep over every township's import batches: conditional updates, safe to run twice.
    with dangerously_all_townships():
        return importing.purge_import_identities()
