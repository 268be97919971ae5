"""`make restore FILE=…`: pg_restore a backup into the configured database (its tables are replaced)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from core.backups import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup made by `make backup` into the configured PostgreSQL database (tables replaced)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the .dump file written by make backup")
        parser.add_argument("--noinput", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, file, noinput, **options):
        db = connection.settings_dict
        if not noinput and db["ENGINE"] == "django.db.backends.postgresql":
            where = f"database {db['NAME']!r} on {db['HOST'] or 'localhost'}"
            answer = input(f"This replaces every table of {where} with {file}. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing changed.")
        try:
            backup = restore_backup(Path(file))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {backup.dump}"))
        self.stdout.write(f"Media: {backup.media or 'no media archive beside the dump'}")
