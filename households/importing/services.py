"""The changes of state of an import: keeping an uploaded file for the preview, mapping its columns, committing
it in one go."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can, require

from .. import services as household_services
from ..models import Area, ImportBatch, ImportMapping, ImportStatus, Membership, Village
from ..selectors import area_size_warning, villages_visible_to
from ..units import services as unit_services
from ..validators import mask_id_number
from .layout import COLUMN_BY_KEY, UNIT_COLUMN_BY_KEY, UNIT_SHEET
from .mapping import check_mapping, column_problems, columns_of, remap_rows, signature
from .parsing import normalise_id_number, read_roster_file
from .selectors import batches_visible_to
from .unit_validation import UnitPlan, validate_unit_rows
from .validation import ImportPlan, RowError, validate_rows

_ID_LIKE = re.compile(r"^\s*\d{15}(\d{2}[\dXx])?\s*$")  # a full ID number in a column nobody mapped


def _validate(batch: ImportBatch, membership: Membership) -> tuple[ImportPlan, UnitPlan]:
    """Check the roster's rows and the units' rows, and record every error and what would be written."""
    plan = validate_rows(batch.rows, batch.columns, membership=membership, village=batch.village)
    unit_plan = validate_unit_rows(batch.unit_rows, batch.unit_columns, membership=membership)
    errors = plan.errors + unit_plan.errors
    batch.column_problems = (
        column_problems(
            batch.mapping, batch.headers, batch.ambiguous, village_given=batch.village_id is not None
        )
        if batch.rows
        else []
    )
    batch.errors = [error.as_dict() for error in errors]
    batch.new_areas = plan.new_area_labels()
    batch.household_count = len(plan.new_households)
    batch.unchanged_count = plan.unchanged_count
    batch.resident_count = plan.resident_count
    batch.unit_count = len(unit_plan.new_units)
    failed = errors or batch.column_problems
    batch.status = ImportStatus.FAILED if failed else ImportStatus.PREVIEWED
    return plan, unit_plan


def _remembered(batch: ImportBatch, membership: Membership) -> ImportMapping | None:
    """The mapping a clerk saved for a village of this file with the same header row, if any."""
    villages = villages_visible_to(membership)
    if batch.village_id is not None:
        villages = villages.filter(pk=batch.village_id)
    elif "village" in batch.mapping:
        names = {str(row["cells"].get("village", "")).strip() for row in batch.rows}
        villages = villages.filter(name__in=names)
    mappings = ImportMapping.objects.filter(village__in=villages, signature=signature(batch.headers))
    return mappings.select_related("village").order_by("-saved_at", "-pk").first()


def _apply_mapping(batch: ImportBatch, mapping: dict[str, int]) -> None:
    batch.rows = remap_rows(batch.rows, batch.mapping, mapping)
    batch.mapping, batch.columns, batch.ambiguous = mapping, columns_of(mapping, batch.headers), []


def create_batch(
    *, membership: Membership, filename: str, data: bytes, village: Village | None = None
) -> ImportBatch:
    """Read and validate an uploaded file and keep it for the preview. File-level problems raise ImportFileError.

    `village`: the village of a file that has no village column. A mapping remembered for the file's village
    and header row is applied."""
    require(membership, Action.EDIT_ROSTER, village)
    parsed = read_roster_file(data, filename)
    batch = ImportBatch(
        township_id=membership.township_id,
        uploaded_by=membership.user,
        filename=filename[-255:],
        columns=parsed.columns,
        rows=parsed.rows,
        unit_columns=parsed.unit_columns,
        unit_rows=parsed.unit_rows,
        headers=parsed.headers,
        mapping=parsed.mapping,
        ambiguous=parsed.ambiguous,
        village=village,
    )
    if batch.rows and (remembered := _remembered(batch, membership)) is not None:
        _apply_mapping(batch, {key: int(position) for key, position in remembered.fields.items()})
        batch.applied_mapping = remembered
    _validate(batch, membership)
    batch.save()
    return batch


def map_columns(*, membership: Membership, batch: ImportBatch, fields: dict[str, int | None]) -> ImportBatch:
    """The clerk's choice of column for each field: the kept rows are checked again (no new upload) and the
    choice is remembered for the file's villages that the clerk keeps. One column for two fields is refused."""
    require(membership, Action.EDIT_ROSTER)
    with transaction.atomic():
        locked = batches_visible_to(membership).select_for_update().filter(pk=batch.pk).first()
        if locked is None:
            raise PermissionDenied(_("Your role does not allow this."))
        batch = locked
        if batch.status in (ImportStatus.COMMITTED, ImportStatus.ABANDONED):
            raise DomainError(_("This file is no longer open for changes: upload it again."))
        mapping = check_mapping(fields, batch.headers)
        _apply_mapping(batch, mapping)
        batch.applied_mapping = None
        plan, _units = _validate(batch, membership)
        villages = [batch.village] if batch.village is not None else plan.villages
        for village in villages:
            if can(membership, Action.EDIT_ROSTER, village):
                ImportMapping.objects.update_or_create(
                    township_id=batch.township_id,
                    village=village,
                    signature=signature(batch.headers),
                    defaults={"headers": batch.headers, "fields": mapping, "saved_by": membership.user},
                )
        batch.save()
    return batch


@dataclass
class CommitResult:
    batch: ImportBatch
    committed: bool
    warnings: list[str]


def commit_batch(*, membership: Membership, batch: ImportBatch) -> CommitResult:
    """Validate the batch again (the roster may have changed) and write all of it in one transaction, or nothing.

    Each household and each unit is written through its services, which check the member's right on its village."""
    require(membership, Action.EDIT_ROSTER)
    with transaction.atomic():
        # The row lock makes a second commit of the same batch wait, then find it committed.
        locked = batches_visible_to(membership).select_for_update().filter(pk=batch.pk).first()
        if locked is None:  # another clerk's upload (a batch is township-wide: `require` cannot place it)
            raise PermissionDenied(_("Your role does not allow this."))
        batch = locked
        if batch.status == ImportStatus.COMMITTED:
            raise DomainError(_("This file has already been imported."))
        if batch.status == ImportStatus.FAILED:
            raise DomainError(_("This file has errors: correct them and upload the file again."))
        if batch.status == ImportStatus.ABANDONED:
            raise DomainError(_("This upload was abandoned: upload the file again."))
        plan, unit_plan = _validate(batch, membership)
        if batch.errors or batch.column_problems:
            batch.save()
            return CommitResult(batch, committed=False, warnings=[])
        try:
            with transaction.atomic():
                areas = _write(plan, membership)
                _write_units(unit_plan, membership)
        except _WriteFailed as failure:
            # A rule only the services know, or a concurrent writer: the savepoint is gone, nothing was written.
            batch.status, batch.errors = ImportStatus.FAILED, [failure.error.as_dict()]
            batch.save()
            return CommitResult(batch, committed=False, warnings=[])
        batch.status, batch.committed_at = ImportStatus.COMMITTED, timezone.now()
        batch.save()
    warnings = [warning for area in areas if (warning := area_size_warning(area))]
    return CommitResult(batch, committed=True, warnings=warnings)


class _WriteFailed(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


def _write(plan: ImportPlan, membership: Membership) -> list[Area]:
    """Each household with its head and members through the services, creating a new area when first needed."""
    areas = dict(plan.areas)
    touched: dict[int, Area] = {}
    for planned in plan.new_households:  # unchanged households are already in Jifen
        row, village = planned.row, planned.village
        assert village is not None  # a plan without errors names a visible village on every row
        try:
            key = (village.pk, planned.area_name)
            if key not in areas:
                areas[key] = household_services.create_area(
                    membership=membership, village=village, name=planned.area_name
                )
            area = touched[areas[key].pk] = areas[key]
            head = next(resident for resident in planned.residents if resident.is_head)
            row = head.row
            household = household_services.create_household(
                membership=membership,
                area=area,
                number=planned.number,
                address=planned.address,
                participation=planned.participation,
                participation_reason=planned.participation_reason,
                head={"name": head.name, **head.fields},
            )
            for resident in planned.residents:
                if resident is not head:
                    row = resident.row
                    household_services.add_resident(
                        membership=membership, household=household, name=resident.name, **resident.fields
                    )
        except DomainError as exc:
            column = COLUMN_BY_KEY[exc.field].header if exc.field in COLUMN_BY_KEY else ""
            raise _WriteFailed(RowError(row, column, str(exc.message))) from exc
    return list(touched.values())


def _write_units(plan: UnitPlan, membership: Membership) -> None:
    """Each unit through the units' service, which checks the member's right on its village."""
    for planned in plan.new_units:  # unchanged units are already in Jifen
        assert planned.village is not None  # a plan without errors names a visible village on every row
        try:
            unit_services.create_unit(
                membership=membership,
                village=planned.village,
                name=planned.name,
                kind=planned.kind,
                contact_name=planned.contact_name,
                contact_mobile=planned.contact_mobile,
                address=planned.address,
                note=planned.note,
            )
        except DomainError as exc:
            column = UNIT_COLUMN_BY_KEY[exc.field].header if exc.field in UNIT_COLUMN_BY_KEY else ""
            raise _WriteFailed(RowError(planned.row, column, str(exc.message), UNIT_SHEET)) from exc


def purge_import_identities(*, now: datetime | None = None) -> tuple[int, int]:
    """The retention sweep (beat, or `manage.py purge_import_identities`): uploads left unfinished for
    JIFEN_IMPORT_RETENTION_DAYS are marked abandoned, and the full ID numbers kept in the rows of batches
    committed or abandoned that long ago are masked. Acts for no member; safe to run twice.

    Returns (batches marked abandoned, batches purged)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.JIFEN_IMPORT_RETENTION_DAYS)
    with transaction.atomic():
        abandoned = ImportBatch.objects.filter(
            status__in=(ImportStatus.PREVIEWED, ImportStatus.FAILED), created_at__lt=cutoff
        ).update(status=ImportStatus.ABANDONED, abandoned_at=now)
        due = ImportBatch.objects.filter(purged_at__isnull=True).filter(
            Q(status=ImportStatus.COMMITTED, committed_at__lt=cutoff)
            | Q(status=ImportStatus.ABANDONED, abandoned_at__lte=now, created_at__lt=cutoff)
        )
        purged = 0
        for batch in due.select_for_update(of=("self",)).order_by("pk"):
            batch.rows = [_masked_row(row) for row in batch.rows]
            batch.purged_at = now
            batch.save(update_fields=["rows", "purged_at"])
            purged += 1
    return abandoned, purged


def purge_old_import_batches(*, now: datetime | None = None) -> int:
    """Finished import batches (committed or abandoned) are deleted JIFEN_RETENTION_DAYS after they finished: the
    households they made keep their own history. Acts for no member; safe to run twice."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.JIFEN_RETENTION_DAYS)
    old = ImportBatch.objects.filter(
        Q(status=ImportStatus.COMMITTED, committed_at__lt=cutoff)
        | Q(status=ImportStatus.ABANDONED, abandoned_at__lt=cutoff)
    )
    return old.delete()[1].get(ImportBatch._meta.label, 0)


def _masked_row(row: dict) -> dict:
    """A kept row with every full ID number masked, in its field and in any unmapped column."""
    cells = dict(row["cells"])
    if cells.get("id_number"):
        cells["id_number"] = mask_id_number(normalise_id_number(cells["id_number"]))
    extra = {
        position: mask_id_number(value) if isinstance(value, str) and _ID_LIKE.match(value) else value
        for position, value in row.get("extra", {}).items()
    }
    return {**row, "cells": cells, "extra": extra}
