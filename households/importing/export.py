"""Writing .xlsx files in the roster's layout: the empty template and the export of a roster."""

import io
from collections.abc import Iterable, Iterator

import openpyxl
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..models import Household, Participation, Resident, Unit
from ..validators import mask_id_number, mask_mobile
from .layout import (
    COLUMNS,
    GENDER_LABELS,
    KIND_LABELS,
    NO,
    NOTES_SHEET,
    PARTICIPATION_LABELS,
    ROSTER_SHEET,
    UNIT_COLUMNS,
    UNIT_SHEET,
    YES,
    Column,
)

_TEMPLATE_ROWS = 1000  # rows of the template pre-formatted as text and offered drop-down lists


def _notes() -> list[str]:
    return [
        _("One row per resident. The members of one household share its household number."),
        _(
            "Village: the name exactly as in Jifen. Area: a new area is created if the village has none by that name."
        ),
        _("Head of household: %(yes)s for exactly one member of each household, %(no)s for the others.")
        % {"yes": YES, "no": NO},
        _(
            "Participation: one of %(choices)s; empty means %(default)s. Give the reason when the household does not take part."
        )
        % {
            "choices": "、".join(PARTICIPATION_LABELS.values()),
            "default": PARTICIPATION_LABELS[Participation.TAKING_PART],
        },
        _("ID number and mobile number are text columns: keep them as text so Excel does not drop digits."),
        _("Household numbers already in Jifen and ID numbers already registered are refused."),
        _(
            "Sheet %(sheet)s: one row per unit (business, shop, cooperative, association) of a village. "
            "Kind: one of %(kinds)s. Contact person and contact mobile number are required. A unit name already "
            "used in the village is refused. Leave the sheet empty if you have no units to add."
        )
        % {"sheet": UNIT_SHEET, "kinds": "、".join(KIND_LABELS.values())},
    ]


def _template_sheet(sheet, columns: tuple[Column, ...], choices: dict) -> None:
    """Chinese headers, text columns for long numbers, drop-down lists."""
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, _TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    for key, values in choices.items():
        letter = get_column_letter([column.key for column in columns].index(key) + 1)
        validation = DataValidation(type="list", formula1='"%s"' % ",".join(values), allow_blank=True)
        validation.add(f"{letter}2:{letter}{_TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)


def template_workbook() -> bytes:
    """The empty template: the roster's sheet, the units' sheet and the notes."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = ROSTER_SHEET
    choices = {
        "participation": PARTICIPATION_LABELS.values(),
        "is_head": (YES, NO),
        "gender": GENDER_LABELS.values(),
        "is_party_member": (YES, NO),
    }
    _template_sheet(sheet, COLUMNS, choices)
    _template_sheet(workbook.create_sheet(UNIT_SHEET), UNIT_COLUMNS, {"kind": KIND_LABELS.values()})
    notes = workbook.create_sheet(NOTES_SHEET)
    notes.column_dimensions["A"].width = 100
    for line in _notes():
        notes.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def roster_rows(households: QuerySet[Household], *, full_identity: bool, progress=None) -> Iterator[list]:
    """One row per resident (a household without members gets one row), in the template's column order.

    `progress(done, total)` is called every 500 households when given (export jobs show it).
    """
    total = households.count() if progress else 0
    households = (
        households.select_related("village", "area")
        # Current members only: a member who died or moved out is history (the household page), not the roster.
        .prefetch_related(Prefetch("members", queryset=Resident.objects.current().order_by("-is_head", "id")))
        .order_by("village__sort_key", "area__sort_key", "number")
    )
    for done, household in enumerate(households.iterator(chunk_size=2000)):
        if progress and done % 500 == 0:
            progress(done, total)
        base = [
            household.village.name,
            household.area.name,
            household.number,
            household.address,
            PARTICIPATION_LABELS.get(household.participation, household.participation),
            household.participation_reason,
        ]
        members = list(household.members.all())
        if not members:
            yield base + [""] * (len(COLUMNS) - len(base))
        for resident in members:
            yield base + [
                resident.name,
                YES if resident.is_head else NO,
                GENDER_LABELS.get(resident.gender, ""),
                resident.birth_year or "",
                resident.id_number if full_identity else mask_id_number(resident.id_number),
                resident.mobile if full_identity else mask_mobile(resident.mobile),
                YES if resident.is_party_member else NO,
            ]


def unit_rows(units: QuerySet[Unit], *, full_identity: bool) -> Iterator[list]:
    """One row per active unit (archived ones stay in Jifen, not on the roster), in the sheet's column order."""
    units = units.filter(archived_at__isnull=True).select_related("village")
    for unit in units.order_by("village__sort_key", "name", "pk"):
        yield [
            unit.village.name,
            unit.name,
            KIND_LABELS.get(unit.kind, unit.kind),
            unit.contact_name,
            unit.contact_mobile if full_identity else mask_mobile(unit.contact_mobile),
            unit.address,
            unit.note,
        ]


def write_roster(rows: Iterable[list], units: Iterable[list] = ()) -> bytes:
    """An .xlsx in the template's layout (the roster, then the sheet 单位); the long-number columns stay text."""
    workbook = openpyxl.Workbook(write_only=True)
    _write_sheet(workbook.create_sheet(ROSTER_SHEET), COLUMNS, rows)
    _write_sheet(workbook.create_sheet(UNIT_SHEET), UNIT_COLUMNS, units)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(sheet, columns: tuple[Column, ...], rows: Iterable[list]) -> None:
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([column.header for column in columns])
    text_positions = {index for index, column in enumerate(columns) if column.text}
    for values in rows:
        cells = []
        for index, value in enumerate(values):
            if index in text_positions:
                cell = WriteOnlyCell(sheet, value=str(value))
                cell.number_format = "@"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)


def export_roster(
    households: QuerySet[Household],
    *,
    full_identity: bool,
    progress=None,
    units: QuerySet[Unit] | None = None,
) -> bytes:
    """The roster's sheet and, given `units`, the sheet 单位 (empty otherwise, as in the template)."""
    return write_roster(
        roster_rows(households, full_identity=full_identity, progress=progress),
        unit_rows(units, full_identity=full_identity) if units is not None else (),
    )
