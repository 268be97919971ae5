"""`make backup`: pg_dump of the database (custom format) and a tar of the media files into JIFEN_BACKUP_DIR (var/backups/)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, make_backup, rotate_backups


class Command(BaseCommand):
    help = "Back up the PostgreSQL database (pg_dump custom format) and the media files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            type=Path,
            default=Path(settings.JIFEN_BACKUP_DIR),
            help="where to write the backup",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="then keep only the newest N backups in that folder (rotation for a daily schedule)",
        )

    def handle(self, *args, dir, keep, **options):  # noqa: A002 (the option's name)
        try:
            backup = make_backup(Path(dir))
            deleted = rotate_backups(Path(dir), keep=keep) if keep is not None else []
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for path in deleted:
            self.stdout.write(f"Deleted (older than the newest {keep}): {path}")
        self.stdout.write(self.style.SUCCESS(f"Database: {backup.dump}"))
        self.stdout.write(f"Media: {backup.media or 'none (no media directory)'}")
        self.stdout.write(f"Restore with: make restore FILE={backup.dump}")
