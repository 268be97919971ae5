"""Households' tasks: the periodic sweeps that mask the full ID numbers kept for finished imports, remove the
photos kept across failed submits that were never used (core.uploads), and delete finished import batches after
the retention period."""

from celery import shared_task

from core.tenancy import dangerously_all_townships
from core.uploads import purge_pending_uploads

from .importing import services as importing


@shared_task
def purge_import_identities() -> tuple[int, int]:
    # A sweep over every township: conditional updates and deletes, safe to run twice.
    with dangerously_all_townships():
        purge_pending_uploads()
        return importing.purge_import_identities()


@shared_task(ignore_result=True)
def purge_old_import_batches() -> int:
    # Every township's finished import batches past the retention: one delete, safe to run twice.
    with dangerously_all_townships():
        return importing.purge_old_import_batches()
