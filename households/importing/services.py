"""The changes of state of an import: keeping an uploaded file for the preview, committing it in one go."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require

from .. import services as household_services
from ..models import Area, ImportBatch, ImportStatus, Membership
from ..selectors import area_size_warning
from ..units import services as unit_services
from .layout import COLUMN_BY_KEY, UNIT_COLUMN_BY_KEY, UNIT_SHEET
from .parsing import read_roster_file
from .selectors import batches_visible_to
from .unit_validation import UnitPlan, validate_unit_rows
from .validation import ImportPlan, RowError, validate_rows


def _validate(batch: ImportBatch, membership: Membership) -> tuple[ImportPlan, UnitPlan]:
    """Check the roster's rows and the units' rows, and record every error and what would be written."""
    plan = validate_rows(batch.rows, batch.columns, membership=membership)
    unit_plan = validate_unit_rows(batch.unit_rows, batch.unit_columns, membership=membership)
    errors = plan.errors + unit_plan.errors
    batch.errors = [error.as_dict() for error in errors]
    batch.new_areas = plan.new_area_labels()
    batch.household_count = len(plan.households)
    batch.resident_count = plan.resident_count
    batch.unit_count = len(unit_plan.units)
    batch.status = ImportStatus.FAILED if errors else ImportStatus.PREVIEWED
    return plan, unit_plan


def create_batch(*, membership: Membership, filename: str, data: bytes) -> ImportBatch:
    """Read and validate an uploaded file and keep it for the preview. File-level problems raise ImportFileError."""
    require(membership, Action.EDIT_ROSTER)
    parsed = read_roster_file(data, filename)
    batch = ImportBatch(
        township_id=membership.township_id,
        uploaded_by=membership.user,
        filename=filename[-255:],
        columns=parsed.columns,
        rows=parsed.rows,
        unit_columns=parsed.unit_columns,
        unit_rows=parsed.unit_rows,
    )
    _validate(batch, membership)
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
        plan, unit_plan = _validate(batch, membership)
        if batch.errors:
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
    for planned in plan.households:
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
    for planned in plan.units:
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
