"""`make backup` then `make restore` into an empty database: every ledger entry comes back, with the same annual
totals (scoring.selectors.annual_totals), the evidence files, and the database trigger that keeps approved entries
immutable. Runs the real make targets (pg_dump / pg_restore) against the test database."""

import datetime
import json
import os
import subprocess
import uuid
from decimal import Decimal

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from config import embedded
from households.models import Household
from scoring import services
from scoring.models import Entry, EntryState
from scoring.selectors import annual_totals
from tests.contract import member
from tests.notices import approve_through_notice
from tests.scoring.test_ledger import PNG

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal

# Run inside the restored database by `manage.py shell`: what the restored Jifen sees.
PROBE = """
import json
from django.db import connection, transaction
from core.tenancy import dangerously_all_townships
from scoring.models import Entry, Evidence, Scheme
from scoring.selectors import annual_totals
with dangerously_all_townships():
    out = {
        "entries": sorted([e.pk, e.household_id, str(e.points), e.state] for e in Entry.objects.all()),
        "totals": {s.name: {str(h): str(t) for h, t in annual_totals(s).items()} for s in Scheme.objects.all()},
        "evidence": sorted([e.original_name, e.file.read().hex()] for e in Evidence.objects.all()),
    }
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE scoring_entry SET points = points + 1 WHERE state = 'approved'")
    out["trigger"] = "missing"
except Exception as exc:
    out["trigger"] = "refused" if "approved entries are never updated" in str(exc) else repr(exc)
print("PROBE " + json.dumps(out))
"""


def database_url(name: str) -> str:
    return embedded.database_url(connection.settings_dict, name)  # also an embedded server's socket


def run(command: list[str], *, database: str, media, **env) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": database_url(database),
        "JIFEN_MEDIA_ROOT": str(media),
        "REDIS_URL": "",
        **env,
    }
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        command, cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def empty_database():
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    admin_url = database_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def ledger(world, settings, tmp_path):
    """Township A's 2026 scheme: A-001 +2 +2 −1 approved and +2 proposed; A-002 −1 approved; B untouched."""
    settings.MEDIA_ROOT = tmp_path / "media"
    a = world.a
    scheme = services.create_scheme(
        membership=member(a.admin), township=a.township, name="村规民约", year=2026
    )
    env = services.add_category(
        membership=member(a.admin), scheme=scheme, name="环境整治", base_score=D("40"), cadence="quarterly"
    )
    clean = services.add_item(
        membership=member(a.admin), category=env, name="庭院整洁", kind="bonus", points=D("2")
    )
    mess = services.add_item(
        membership=member(a.admin), category=env, name="乱堆乱放", kind="penalty", points=D("1")
    )
    services.activate_scheme(membership=member(a.admin), scheme=scheme)
    h1, h2 = a.households

    def entry(household, item, day, **extra):
        return services.record_entry(
            membership=member(a.admin),
            household=household,
            item=item,
            occurred_on=datetime.date(2026, 3, day),
            **extra,
        )

    photo = SimpleUploadedFile("院子.png", PNG)
    approved = [
        entry(h1, clean, 2, evidence=[photo]),
        entry(h1, clean, 3),
        entry(h1, mess, 4),
        entry(h2, mess, 5),
    ]
    approve_through_notice(approved, actor=a.admin)
    entry(h1, clean, 6)  # proposed: kept, does not count
    return scheme


def test_backup_and_restore_into_an_empty_database_keep_every_entry_and_total(
    ledger, empty_database, tmp_path
):
    h1, h2 = Household.objects.filter(township=ledger.township).order_by("number")
    assert annual_totals(ledger) == {h1.pk: D("43"), h2.pk: D("39")}  # 40 + 2 + 2 − 1; 40 − 1
    assert Entry.objects.filter(state=EntryState.APPROVED).count() == 4 and Entry.objects.count() == 5
    media = settings.MEDIA_ROOT
    backups = tmp_path / "backups"

    made = run(
        ["make", "-s", "backup", f"BACKUP_DIR={backups}"],
        database=connection.settings_dict["NAME"],
        media=media,
    )
    assert made.returncode == 0, made.stderr
    [dump] = backups.glob("jifen-*.dump")
    assert (backups / dump.name.replace(".dump", "-media.tar.gz")).is_file()
    assert not list(backups.glob("*.partial"))

    restored_media = tmp_path / "restored-media"
    restored = run(
        ["make", "-s", "restore", f"FILE={dump}", "YES=1"], database=empty_database, media=restored_media
    )
    assert restored.returncode == 0, restored.stderr

    probe = run(
        [str(settings.BASE_DIR / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", PROBE],
        database=empty_database,
        media=restored_media,
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout.split("PROBE ", 1)[1])
    assert found["entries"] == sorted(
        [e.pk, e.household_id, str(e.points), e.state] for e in Entry.objects.all()
    )
    assert found["totals"] == {"村规民约": {str(h1.pk): "43.00", str(h2.pk): "39.00"}}
    assert found["evidence"] == [["院子.png", PNG.hex()]]
    assert found["trigger"] == "refused"  # approved entries stay immutable in the restored database


def test_restoring_twice_over_a_live_database_replaces_it(ledger, empty_database, tmp_path):
    media = settings.MEDIA_ROOT
    made = run(
        ["make", "-s", "backup", f"BACKUP_DIR={tmp_path}"],
        database=connection.settings_dict["NAME"],
        media=media,
    )
    assert made.returncode == 0, made.stderr
    [dump] = tmp_path.glob("jifen-*.dump")
    for _ in range(2):  # --clean --if-exists: the second restore drops what the first one made
        restored = run(
            ["make", "-s", "restore", f"FILE={dump}", "YES=1"], database=empty_database, media=tmp_path / "m"
        )
        assert restored.returncode == 0, restored.stderr
    with psycopg.connect(database_url(empty_database)) as restored_db:
        assert restored_db.execute("SELECT count(*), sum(points) FROM scoring_entry").fetchone() == (
            5,
            D("4.00"),
        )


def test_restore_without_a_file_prints_its_usage(tmp_path):
    usage = run(["make", "-s", "restore"], database="unused", media=tmp_path)
    assert usage.returncode != 0 and "make restore FILE=" in usage.stdout


def test_restore_asks_before_replacing_a_database(ledger, empty_database, tmp_path):
    restored = subprocess.run(
        [
            str(settings.BASE_DIR / ".venv" / "bin" / "python"),
            "manage.py",
            "restore",
            str(tmp_path / "x.dump"),
        ],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": database_url(empty_database),
        },
        input="no\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert restored.returncode != 0 and "cancelled" in restored.stderr


def test_rotation_keeps_the_newest_backups_with_their_media_archives(tmp_path):
    from core.backups import BackupError, rotate_backups

    for stamp in ("20261201-020000", "20261202-020000", "20261203-020000", "20261204-020000"):
        (tmp_path / f"jifen-{stamp}.dump").write_bytes(b"dump")
        (tmp_path / f"jifen-{stamp}-media.tar.gz").write_bytes(b"media")
    (tmp_path / "notes.txt").write_text("the operator's own file")

    deleted = rotate_backups(tmp_path, keep=2)
    assert sorted(path.name for path in deleted) == [
        "jifen-20261201-020000-media.tar.gz",
        "jifen-20261201-020000.dump",
        "jifen-20261202-020000-media.tar.gz",
        "jifen-20261202-020000.dump",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "jifen-20261203-020000-media.tar.gz",
        "jifen-20261203-020000.dump",
        "jifen-20261204-020000-media.tar.gz",
        "jifen-20261204-020000.dump",
        "notes.txt",
    ]
    assert rotate_backups(tmp_path, keep=2) == []  # safe to run twice
    with pytest.raises(BackupError):
        rotate_backups(tmp_path, keep=0)
