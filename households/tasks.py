"""Households' tasks: the periodic retention sweep that masks the full ID numbers kept for finished imports, and
removes the photos kept across failed submits that were never used (core.uploads)."""

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
