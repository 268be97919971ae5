"""Full ID numbers kept for an import are masked JIFEN_IMPORT_RETENTION_DAYS after the batch is committed or
abandoned; uploads left unfinished that long are marked abandoned. Safe to run twice."""

import datetime

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from core.tenancy import dangerously_all_townships, township_scope
from households import tasks
from households.importing.services import commit_batch, create_batch, purge_import_identities
from households.models import ImportBatch, ImportStatus
from households.validators import mask_id_number
from tests.contract import member
from tests.households.test_importing import id_number

pytestmark = pytest.mark.django_db

CSV = (
    "村,片区,户号,姓名,是否户主,身份证号码,备注\n"
    "a东村,一组,{number},王大明,是,{head},\n"
    "a东村,一组,{number},李秀英,否,{member},{member}\n"  # an ID number in a column nobody mapped, too
)


def ids_of(number: str) -> tuple[str, str]:
    """Distinct valid ID numbers for each household of these tests (a committed one registers its numbers)."""
    sequence = int(number[-3:])
    return id_number("371425", "19700315", f"{sequence:03d}"), id_number(
        "371425", "19720720", f"{sequence:03d}"
    )


def batch_at(world, number: str, *, days_ago: int, committed: bool = False) -> ImportBatch:
    admin = member(world.a.admin)
    head, member_id = ids_of(number)
    data = CSV.format(number=number, head=head, member=member_id).encode()
    with township_scope(world.a.township):
        batch = create_batch(membership=admin, filename="r.csv", data=data)
        if committed:
            assert commit_batch(membership=admin, batch=batch).committed
        when = timezone.now() - datetime.timedelta(days=days_ago)
        ImportBatch.objects.filter(pk=batch.pk).update(
            created_at=when, committed_at=when if committed else None
        )
        return ImportBatch.objects.get(pk=batch.pk)


def ids_in(batch: ImportBatch) -> list[str]:
    batch.refresh_from_db()
    return [row["cells"]["id_number"] for row in batch.rows] + [
        value for row in batch.rows for value in row.get("extra", {}).values()
    ]


def test_the_retention_setting_defaults_to_seven_days():
    assert settings.JIFEN_IMPORT_RETENTION_DAYS == 7


def test_ids_of_old_finished_batches_are_masked_and_stale_previews_abandoned(world):
    old_commit = batch_at(world, "A-801", days_ago=8, committed=True)
    recent_commit = batch_at(world, "A-802", days_ago=6, committed=True)
    stale_preview = batch_at(world, "A-803", days_ago=8)
    fresh_preview = batch_at(world, "A-804", days_ago=1)
    assert stale_preview.status == ImportStatus.PREVIEWED

    with dangerously_all_townships():
        assert purge_import_identities() == (1, 2)
        for batch in (old_commit, stale_preview):
            head, member_id = ids_of(batch.rows[0]["cells"]["number"])
            assert ids_in(batch) == [
                mask_id_number(head),
                mask_id_number(member_id),
                mask_id_number(member_id),
            ]
            assert batch.purged_at is not None and head not in str(batch.rows)
        for batch in (recent_commit, fresh_preview):
            head, member_id = ids_of(batch.rows[0]["cells"]["number"])
            assert ids_in(batch) == [head, member_id, member_id] and batch.purged_at is None
        stale_preview.refresh_from_db()
        assert stale_preview.status == ImportStatus.ABANDONED and stale_preview.abandoned_at is not None
        assert fresh_preview.status == ImportStatus.PREVIEWED

        # A second run finds nothing to do and changes nothing.
        purged_at = ImportBatch.objects.get(pk=old_commit.pk).purged_at
        assert purge_import_identities() == (0, 0)
        assert ImportBatch.objects.get(pk=old_commit.pk).purged_at == purged_at


def test_the_retention_period_follows_the_setting(world, settings):
    batch = batch_at(world, "A-805", days_ago=2, committed=True)
    settings.JIFEN_IMPORT_RETENTION_DAYS = 1
    with dangerously_all_townships():
        assert purge_import_identities() == (0, 1)
        assert ids_of("A-805")[0] not in ids_in(batch)


def test_an_abandoned_batch_can_no_longer_be_committed(world):
    batch = batch_at(world, "A-806", days_ago=9)
    with dangerously_all_townships():
        purge_import_identities()
    with township_scope(world.a.township), pytest.raises(Exception, match="作废"):
        commit_batch(membership=member(world.a.admin), batch=batch)


def test_the_beat_task_and_the_command_run_the_sweep(world, capsys):
    assert settings.CELERY_BEAT_SCHEDULE["purge-import-identities"]["task"] == (
        "households.tasks.purge_import_identities"
    )
    batch_at(world, "A-807", days_ago=10, committed=True)
    assert tasks.purge_import_identities() == (0, 1)  # the beat's call, outside any township scope
    call_command("purge_import_identities")
    assert capsys.readouterr().out.strip() == "abandoned: 0, purged: 0"
