"""Mask the full ID numbers kept for imports finished more than JIFEN_IMPORT_RETENTION_DAYS ago (as the beat
task does every hour); uploads left unfinished that long are marked abandoned first."""

from django.core.management.base import BaseCommand

from core.tenancy import dangerously_all_townships
from households.importing.services import purge_import_identities


class Command(BaseCommand):
    help = "Mark stale import previews abandoned and mask the full ID numbers of finished imports. Safe to rerun."

    def handle(self, *args, **options):
        with dangerously_all_townships():
            abandoned, purged = purge_import_identities()
        self.stdout.write(f"abandoned: {abandoned}, purged: {purged}")
