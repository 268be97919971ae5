"""What the import pages read: the batches a member sees and the preview of a batch's first rows."""

from django.db.models import QuerySet

from core.permissions import WHOLE_TOWNSHIP_ROLES

from ..models import ImportBatch, Membership
from ..validators import mask_id_number, mask_mobile
from .layout import COLUMNS, UNIT_COLUMNS, YES
from .mapping import HOUSEHOLD, layout_of
from .parsing import cell_text, looks_numeric, normalise_id_number

_PREVIEW_ROWS = 20


def batches_visible_to(membership: Membership) -> QuerySet[ImportBatch]:
    """The township office sees every import of its township; a clerk only the files they uploaded."""
    batches = ImportBatch.objects.all()
    if membership.role in WHOLE_TOWNSHIP_ROLES:
        return batches
    return batches.filter(uploaded_by=membership.user_id)


def preview_rows(batch: ImportBatch) -> list[list[str]]:
    """The first rows of a batch for the preview page, in the template's columns, ID and mobile numbers masked.
    A sheet of one row per household shows each head as its household's only resident."""
    shown = []
    per_household = layout_of(batch.columns) == HOUSEHOLD
    for row in batch.rows[:_PREVIEW_ROWS]:
        values = [str(row["row"])]
        cells = (
            {**row["cells"], "name": row["cells"].get("head_name", ""), "is_head": YES}
            if per_household
            else row["cells"]
        )
        for column in COLUMNS:
            value = cells.get(column.key, "")
            text = cell_text(value) if value != "" else ""
            if column.key == "id_number" and not looks_numeric(value):
                text = mask_id_number(normalise_id_number(text))
            elif column.key == "mobile":
                text = mask_mobile(text)
            values.append(text)
        shown.append(values)
    return shown


def preview_unit_rows(batch: ImportBatch) -> list[list[str]]:
    """The first rows of a batch's sheet 单位, contact mobile numbers masked."""
    shown = []
    for row in batch.unit_rows[:_PREVIEW_ROWS]:
        values = [str(row["row"])]
        for column in UNIT_COLUMNS:
            value = row["cells"].get(column.key, "")
            text = cell_text(value) if value != "" else ""
            values.append(mask_mobile(text) if column.key == "contact_mobile" else text)
        shown.append(values)
    return shown
