"""Roster import and export: the template, reading .xlsx/.csv, validating every row, committing in one go.

upload → `read_roster_file` (bytes → rows) → `validate_rows` (rows → plan + every error; writes nothing)
→ `create_batch` (keeps the rows for the preview) → `commit_batch` (validates again, writes in one transaction).
The column headers are Chinese data, not translatable text: they are what the clerks' files say.
"""

import csv
import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import openpyxl
from charset_normalizer import from_bytes
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.errors import DomainError

from . import jobs, services
from .models import (
    TAKING_PART_STATUSES,
    Area,
    Gender,
    Household,
    ImportBatch,
    ImportStatus,
    Membership,
    Participation,
    Resident,
)
from .permissions import WHOLE_TOWNSHIP_ROLES, Action, can, households_visible_to, villages_visible_to
from .validators import id_number_problem, mask_id_number, mask_mobile, validate_mobile

# The file layout -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header of the template
    aliases: tuple[str, ...] = ()  # other headers accepted on upload (English ones among them)
    required: bool = False
    text: bool = False  # formatted as text ('@') so Excel keeps every digit
    width: int = 12


COLUMNS = (
    Column("village", "村", ("village", "村名"), required=True),
    Column("area", "片区", ("area", "村民小组"), required=True),
    Column("number", "户号", ("household number", "number"), required=True, text=True),
    Column("address", "住址", ("address", "地址"), width=24),
    Column("participation", "参与状态", ("participation",), width=16),
    Column("participation_reason", "参与状态说明", ("participation reason",), width=24),
    Column("name", "姓名", ("name",), required=True),
    Column("is_head", "是否户主", ("head of household", "is head"), required=True),
    Column("gender", "性别", ("gender",), width=8),
    Column("birth_year", "出生年份", ("birth year",)),
    Column("id_number", "身份证号码", ("id number", "身份证号"), text=True, width=22),
    Column("mobile", "手机号码", ("mobile number", "mobile", "手机号"), text=True, width=16),
    Column("is_party_member", "是否党员", ("party member",)),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
ROSTER_SHEET = "花名册"
NOTES_SHEET = "填写说明"
YES, NO = "是", "否"
PARTICIPATION_LABELS = {
    Participation.TAKING_PART: "参与",
    Participation.NOT_ELIGIBLE: "不符合条件",
    Participation.ELDERLY_OPTED_IN: "老年户自愿参与",
    Participation.OPTED_OUT: "自愿退出",
}
GENDER_LABELS = {Gender.MALE: "男", Gender.FEMALE: "女"}
_YES_WORDS = {YES, "yes", "y", "true", "1"}
_NO_WORDS = {NO, "no", "n", "false", "0", ""}
_TEMPLATE_ROWS = 1000  # rows of the template pre-formatted as text and offered drop-down lists
_HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in clerks' files
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
_PREVIEW_ROWS = 20


def _header_key(text: str) -> str:
    return re.sub(r"[\s_*＊]+", "", text.lower())


_HEADER_LOOKUP = {
    _header_key(name): column.key for column in COLUMNS for name in (column.header, *column.aliases)
}


_PARTICIPATION_LOOKUP = {
    text: value
    for value, label in PARTICIPATION_LABELS.items()
    for text in (label, value, value.replace("_", " "))  # 参与, taking_part, taking part
}
_GENDER_LOOKUP = {"男": Gender.MALE, "女": Gender.FEMALE, "male": Gender.MALE, "female": Gender.FEMALE}


class ImportFileError(DomainError):
    """The file as a whole cannot be read (empty, not Excel, wrong header, too big). Carries every problem found."""

    def __init__(self, *messages):
        super().__init__(" ".join(str(m) for m in messages), field="file")
        self.messages = [str(m) for m in messages]


@dataclass
class ParsedFile:
    columns: dict[str, str]  # field key -> header as written in the file
    rows: list[dict]  # {"row": n, "cells": {key: value}, "unlabelled": [column letters]}


# Reading files -------------------------------------------------------------------------------------------------


def read_roster_file(data: bytes, filename: str) -> ParsedFile:
    """The rows of an .xlsx or .csv roster file, or ImportFileError saying what is wrong with the file."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    limit = settings.JIFEN_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ImportFileError(
            _("The file is larger than %(mb)s MB; split it into smaller files.") % {"mb": limit // 2**20}
        )
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xls" or data.startswith(_OLE2_MAGIC):
        raise ImportFileError(
            _("This is an old Excel .xls file. Open it in Excel and save it as .xlsx (Excel Workbook).")
        )
    if suffix == "xlsx":
        return _rows_from_table(_xlsx_table(data))
    if suffix == "csv":
        return _rows_from_table(_csv_table(data))
    raise ImportFileError(_("Upload an Excel .xlsx file or a .csv file."))


def _not_excel() -> ImportFileError:
    return ImportFileError(
        _(
            "This file is not an Excel .xlsx file, even though its name ends in .xlsx. Open it and save it as .xlsx."
        )
    )


def _xlsx_table(data: bytes) -> Iterator[tuple[int, list]]:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _not_excel()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a zip that is not a workbook
        raise _not_excel() from exc
    # The dimension a file declares can be wrong; reading to the real end never drops rows.
    sheet.reset_dimensions()

    def rows():
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(values)
        except Exception as exc:  # a damaged sheet inside a valid zip
            raise _not_excel() from exc
        finally:
            workbook.close()

    return rows()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # clerks' CSV files are UTF-8 or GBK/GB18030
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()  # e.g. UTF-16 from Excel's "Unicode text"
    if best is None:
        raise ImportFileError(
            _("The text encoding of this CSV file is not recognised. Save it again as CSV (UTF-8).")
        )
    return str(best)


def _csv_table(data: bytes) -> Iterator[tuple[int, list]]:
    text = _decode(data).replace("\x00", "")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def rows():
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as exc:
            raise ImportFileError(_("This CSV file cannot be read: %(error)s") % {"error": exc}) from exc

    return rows()


def _cell(value):
    """A cell as stored in the batch (JSON): text stripped, numbers kept as numbers so a numeric ID is noticed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).replace("\x00", "").strip()


def _rows_from_table(table: Iterator[tuple[int, list]]) -> ParsedFile:
    header_number, header = _find_header(table)
    columns, positions = _map_header(header)
    rows, limit = [], settings.JIFEN_IMPORT_MAX_ROWS
    for number, values in table:
        cells = {key: _cell(values[index]) if index < len(values) else "" for index, key in positions.items()}
        unlabelled = [
            get_column_letter(index + 1)
            for index, value in enumerate(values)
            if index not in positions and _cell(value) != ""
        ]
        if not unlabelled and all(value == "" for value in cells.values()):
            continue
        if len(rows) == limit:
            raise ImportFileError(
                _("The file has more than %(max)d rows; split it into smaller files.") % {"max": limit}
            )
        rows.append({"row": number, "cells": cells, "unlabelled": unlabelled})
    if not rows:
        raise ImportFileError(
            _("The file has a header row (row %(row)d) but no residents below it.") % {"row": header_number}
        )
    return ParsedFile(columns=columns, rows=rows)


def _find_header(table: Iterator[tuple[int, list]]) -> tuple[int, list[str]]:
    """The first row naming at least two known columns among the first rows, else the first non-empty row."""
    first = None
    for number, values in table:
        texts = [str(_cell(value)) for value in values]
        if not any(texts):
            continue
        first = first or (number, texts)
        if sum(_header_key(text) in _HEADER_LOOKUP for text in texts) >= 2:
            return number, texts
        if number >= _HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise ImportFileError(_("The file is empty."))
    return first


def _map_header(header: list[str]) -> tuple[dict[str, str], dict[int, str]]:
    columns, positions, unknown, twice = {}, {}, [], []
    for index, text in enumerate(header):
        if not text:
            continue
        key = _HEADER_LOOKUP.get(_header_key(text))
        if key is None:
            unknown.append(text)
        elif key in columns:
            twice.append(text)
        else:
            columns[key], positions[index] = text, key
    problems = []
    if missing := [column.header for column in COLUMNS if column.required and column.key not in columns]:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})
    if unknown:
        problems.append(
            _("Unknown columns: %(columns)s. Use the headers of the template: %(expected)s.")
            % {"columns": "、".join(unknown), "expected": "、".join(column.header for column in COLUMNS)}
        )
    if twice:
        problems.append(_("These columns appear twice: %(columns)s.") % {"columns": "、".join(twice)})
    if problems:
        raise ImportFileError(*problems)
    return columns, positions


# Validating ----------------------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class PlannedResident:
    row: int
    name: str
    is_head: bool
    fields: dict  # gender, birth_year, id_number, mobile, is_party_member


@dataclass
class PlannedHousehold:
    row: int  # its first row in the file
    number: str
    village: object  # a Village, or None when the row names no visible village (an error is recorded)
    village_name: str
    area_name: str
    address: str
    participation: str
    participation_reason: str
    residents: list[PlannedResident] = field(default_factory=list)
    filled_on: dict[str, int] = field(default_factory=dict)  # household column -> the row that filled it


@dataclass
class ImportPlan:
    households: list[PlannedHousehold]
    new_areas: list[tuple[object, str]]  # (village, area name) to create
    areas: dict[tuple[int, str], Area]  # existing areas by (village id, name)
    errors: list[RowError]

    @property
    def resident_count(self) -> int:
        return sum(len(household.residents) for household in self.households)

    def new_area_labels(self) -> list[str]:
        return [f"{village.name} / {name}" for village, name in self.new_areas]


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value).strip()


def _looks_numeric(value) -> bool:
    """Excel kept the cell as a number: an 18-digit ID number has then lost its last digits."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or bool(_SCIENTIFIC.match(str(value)))


class _Row:
    """One row being checked: reads its cells and records its errors against the column as the file names it."""

    def __init__(self, row: dict, columns: dict[str, str], errors: list[RowError]):
        self.number, self.cells, self.columns, self.errors = row["row"], row["cells"], columns, errors

    def raw(self, key: str):
        return self.cells.get(key, "")

    def text(self, key: str, max_length: int | None = None) -> str:
        value = _text(self.raw(key))
        if max_length and len(value) > max_length:
            self.error(key, _("Too long: at most %(n)d characters.") % {"n": max_length})
        return value

    def error(self, key: str, message) -> None:
        column = self.columns.get(key) or (COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else key)
        self.errors.append(RowError(self.number, column, str(message)))

    def yes_no(self, key: str) -> bool:
        value = self.text(key).lower()
        if value in _YES_WORDS:
            return True
        if value not in _NO_WORDS:
            self.error(key, _("Write %(yes)s or %(no)s.") % {"yes": YES, "no": NO})
        return False


class _Roster:
    """What the township already holds, loaded once for the whole file (inside the township scope)."""

    def __init__(self, membership: Membership, rows: list[dict]):
        self.villages = {village.name: village for village in villages_visible_to(membership)}
        self.areas = {
            (area.village_id, area.name): area
            for area in Area.objects.filter(village__in=list(self.villages.values()))
        }
        numbers = {_text(row["cells"].get("number", "")) for row in rows}
        self.numbers = set(Household.objects.filter(number__in=numbers).values_list("number", flat=True))
        ids = {_normalise_id(row["cells"].get("id_number", "")) for row in rows} - {""}
        self.id_numbers = set(Resident.objects.filter(id_number__in=ids).values_list("id_number", flat=True))


def _normalise_id(value) -> str:
    return re.sub(r"\s+", "", _text(value)).upper()


def validate_rows(rows: list[dict], columns: dict[str, str], *, membership: Membership) -> ImportPlan:
    """Check every row against the rules and the township's roster; collect every error, write nothing."""
    errors: list[RowError] = []
    roster = _Roster(membership, rows)
    households: dict[str, PlannedHousehold] = {}
    new_areas: dict[tuple[int, str], tuple[object, str]] = {}
    id_rows: dict[str, int] = {}
    for raw_row in rows:
        row = _Row(raw_row, columns, errors)
        for letter in raw_row.get("unlabelled", ()):
            errors.append(RowError(row.number, letter, _("This cell has data but its column has no header.")))
        village = _check_village(row, roster)
        area_name = row.text("area", max_length=100)
        if not area_name:
            row.error("area", _("The area is missing."))
        elif village is not None and (village.pk, area_name) not in roster.areas:
            new_areas.setdefault((village.pk, area_name), (village, area_name))
        number = row.text("number", max_length=30)
        if not number:
            row.error("number", _("The household number is missing."))
        household = _household_of(row, number, village, area_name, households, roster)
        household.residents.append(_check_resident(row, roster, id_rows))
    for household in households.values():
        _check_household(household, columns, errors)
    order = {columns.get(column.key) or column.header: index for index, column in enumerate(COLUMNS)}
    errors.sort(key=lambda error: (error.row, order.get(error.column, len(order))))
    return ImportPlan(list(households.values()), list(new_areas.values()), roster.areas, errors)


def _check_village(row: _Row, roster: _Roster):
    name = row.text("village")
    if not name:
        row.error("village", _("The village is missing."))
        return None
    village = roster.villages.get(name)
    if village is None:
        row.error(
            "village",
            _("There is no village named %(name)s among the villages you may edit.") % {"name": name},
        )
    return village


def _check_participation(row: _Row) -> str:
    text = row.text("participation")
    if not text:
        return ""
    participation = _PARTICIPATION_LOOKUP.get(text.lower())
    if participation is None:
        row.error(
            "participation",
            _("Write one of: %(choices)s.") % {"choices": "、".join(PARTICIPATION_LABELS.values())},
        )
        return ""
    return participation


def _household_of(row: _Row, number: str, village, area_name: str, households: dict, roster: _Roster):
    """The household this row belongs to. Its rows must agree; household cells left empty on a member's row are
    taken from the row that fills them."""
    values = {
        "address": row.text("address", max_length=200),
        "participation": _check_participation(row),
        "participation_reason": row.text("participation_reason", max_length=200),
    }
    household = households.get(number) if number else None
    if household is None:
        household = PlannedHousehold(row.number, number, village, row.text("village"), area_name, **values)
        household.filled_on = {key: row.number for key, value in values.items() if value}
        if number:
            households[number] = household
            if number in roster.numbers:
                row.error(
                    "number",
                    _("Household number %(number)s already exists in this township.") % {"number": number},
                )
        return household
    differs = _("Differs from row %(row)d, which has the same household number.")
    if row.text("village") != household.village_name:
        row.error("village", differs % {"row": household.row})
    if area_name != household.area_name:
        row.error("area", differs % {"row": household.row})
    for key, value in values.items():
        if not value:
            continue
        if not getattr(household, key):
            setattr(household, key, value)
            household.filled_on[key] = row.number
        elif getattr(household, key) != value:
            row.error(key, differs % {"row": household.filled_on[key]})
    return household


def _check_resident(row: _Row, roster: _Roster, id_rows: dict[str, int]) -> PlannedResident:
    name = row.text("name", max_length=50)
    if not name:
        row.error("name", _("The name is missing."))
    gender_text = row.text("gender").lower()
    gender = _GENDER_LOOKUP.get(gender_text, "")
    if gender_text and not gender:
        row.error(
            "gender",
            _("Write %(male)s or %(female)s, or leave it empty.")
            % {"male": GENDER_LABELS[Gender.MALE], "female": GENDER_LABELS[Gender.FEMALE]},
        )
    return PlannedResident(
        row=row.number,
        name=name,
        is_head=row.yes_no("is_head"),
        fields={
            "gender": gender,
            "birth_year": _check_birth_year(row),
            "id_number": _check_id_number(row, roster, id_rows),
            "mobile": _check_mobile(row),
            "is_party_member": row.yes_no("is_party_member"),
        },
    )


def _check_birth_year(row: _Row) -> int | None:
    text = row.text("birth_year")
    if not text:
        return None
    this_year = timezone.localdate().year
    if not text.isdigit() or not 1900 <= int(text) <= this_year:
        row.error(
            "birth_year",
            _("Write the year of birth as four digits, from 1900 to %(year)d.") % {"year": this_year},
        )
        return None
    return int(text)


def _check_id_number(row: _Row, roster: _Roster, id_rows: dict[str, int]) -> str:
    raw = row.raw("id_number")
    if raw == "":
        return ""
    if _looks_numeric(raw):
        shown = format(raw, ".15G") if isinstance(raw, int | float) else raw  # as Excel shows it: 3.71425E+17
        row.error(
            "id_number",
            _(
                "Excel stored this ID number as a number (%(value)s) and lost its last digits. "
                "Format the column as Text, type the number again and upload the file again."
            )
            % {"value": shown},
        )
        return ""
    value = _normalise_id(raw)
    if problem := id_number_problem(value):
        row.error("id_number", problem)
        return ""
    if value in id_rows:
        row.error("id_number", _("The same ID number is on row %(row)d.") % {"row": id_rows[value]})
    else:
        id_rows[value] = row.number
    if value in roster.id_numbers:
        row.error("id_number", _("This ID number is already registered in this township."))
    return value


def _check_mobile(row: _Row) -> str:
    value = re.sub(r"[\s-]+", "", row.text("mobile"))
    try:
        validate_mobile(value)
    except ValidationError as exc:
        row.error("mobile", exc.messages[0])
        return ""
    return value


def _check_household(household: PlannedHousehold, columns: dict[str, str], errors: list[RowError]) -> None:
    """Household-wide rules: a reason when not taking part, exactly one head."""

    def column(key: str) -> str:
        return columns.get(key) or COLUMN_BY_KEY[key].header

    household.participation = household.participation or Participation.TAKING_PART
    if household.participation not in TAKING_PART_STATUSES and not household.participation_reason:
        row = household.filled_on.get("participation", household.row)
        errors.append(
            RowError(row, column("participation_reason"), _("Say why the household does not take part."))
        )
    heads = [resident for resident in household.residents if resident.is_head]
    if not heads:
        message = _("Household %(number)s has no head: write %(yes)s in this column for one member.")
        errors.append(
            RowError(household.row, column("is_head"), message % {"number": household.number, "yes": YES})
        )
    for extra in heads[1:]:
        message = _("Household %(number)s already has its head on row %(row)d.")
        errors.append(
            RowError(
                extra.row, column("is_head"), message % {"number": household.number, "row": heads[0].row}
            )
        )


# Batches: preview and commit -----------------------------------------------------------------------------------


def batches_visible_to(membership: Membership) -> QuerySet[ImportBatch]:
    """The township office sees every import of its township; a clerk only the files they uploaded."""
    batches = ImportBatch.objects.all()
    if membership.role in WHOLE_TOWNSHIP_ROLES:
        return batches
    return batches.filter(uploaded_by=membership.user_id)


def _record(batch: ImportBatch, plan: ImportPlan) -> None:
    batch.errors = [error.as_dict() for error in plan.errors]
    batch.new_areas = plan.new_area_labels()
    batch.household_count = len(plan.households)
    batch.resident_count = plan.resident_count
    batch.status = ImportStatus.FAILED if plan.errors else ImportStatus.PREVIEWED


def create_batch(*, actor, membership: Membership, filename: str, data: bytes) -> ImportBatch:
    """Read and validate an uploaded file and keep it for the preview. File-level problems raise ImportFileError."""
    parsed = read_roster_file(data, filename)
    plan = validate_rows(parsed.rows, parsed.columns, membership=membership)
    batch = ImportBatch(
        township_id=membership.township_id,
        uploaded_by=actor,
        filename=filename[-255:],
        columns=parsed.columns,
        rows=parsed.rows,
    )
    _record(batch, plan)
    batch.save()
    return batch


@dataclass
class CommitResult:
    batch: ImportBatch
    committed: bool
    warnings: list[str]


def commit_batch(*, actor, membership: Membership, batch: ImportBatch) -> CommitResult:
    """Validate the batch again (the roster may have changed) and write all of it in one transaction, or nothing."""
    with transaction.atomic():
        # The row lock makes a second commit of the same batch wait, then find it committed.
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == ImportStatus.COMMITTED:
            raise DomainError(_("This file has already been imported."))
        if batch.status == ImportStatus.FAILED:
            raise DomainError(_("This file has errors: correct them and upload the file again."))
        plan = validate_rows(batch.rows, batch.columns, membership=membership)
        _record(batch, plan)
        if plan.errors:
            batch.save()
            return CommitResult(batch, committed=False, warnings=[])
        try:
            with transaction.atomic():
                areas = _write(plan, actor)
        except _WriteFailed as failure:
            # A rule only the services know, or a concurrent writer: the savepoint is gone, nothing was written.
            batch.status, batch.errors = ImportStatus.FAILED, [failure.error.as_dict()]
            batch.save()
            return CommitResult(batch, committed=False, warnings=[])
        batch.status, batch.committed_at = ImportStatus.COMMITTED, timezone.now()
        batch.save()
    warnings = [warning for area in areas if (warning := services.area_size_warning(area))]
    return CommitResult(batch, committed=True, warnings=warnings)


class _WriteFailed(Exception):
    def __init__(self, error: RowError):
        super().__init__(error.message)
        self.error = error


def _write(plan: ImportPlan, actor) -> list[Area]:
    """Each household with its head and members through the services, creating a new area when first needed."""
    areas = dict(plan.areas)
    touched: dict[int, Area] = {}
    for planned in plan.households:
        row = planned.row
        try:
            key = (planned.village.pk, planned.area_name)
            if key not in areas:
                areas[key] = services.create_area(
                    actor=actor, village=planned.village, name=planned.area_name
                )
            area = touched[areas[key].pk] = areas[key]
            head = next(resident for resident in planned.residents if resident.is_head)
            row = head.row
            household = services.create_household(
                actor=actor,
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
                    services.add_resident(
                        actor=actor, household=household, name=resident.name, **resident.fields
                    )
        except DomainError as exc:
            column = COLUMN_BY_KEY[exc.field].header if exc.field in COLUMN_BY_KEY else ""
            raise _WriteFailed(RowError(row, column, str(exc.message))) from exc
    return list(touched.values())


# The template and the export -----------------------------------------------------------------------------------


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
    ]


def template_workbook() -> bytes:
    """The empty roster template: Chinese headers, text columns for long numbers, drop-down lists."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = ROSTER_SHEET
    sheet.append([column.header for column in COLUMNS])
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, _TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    choices = {
        "participation": PARTICIPATION_LABELS.values(),
        "is_head": (YES, NO),
        "gender": GENDER_LABELS.values(),
        "is_party_member": (YES, NO),
    }
    for key, values in choices.items():
        letter = get_column_letter([column.key for column in COLUMNS].index(key) + 1)
        validation = DataValidation(type="list", formula1='"%s"' % ",".join(values), allow_blank=True)
        validation.add(f"{letter}2:{letter}{_TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
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
        .prefetch_related(Prefetch("members", queryset=Resident.objects.order_by("-is_head", "id")))
        .order_by("village__name", "area__name", "number")
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


def write_roster(rows: Iterable[list]) -> bytes:
    """An .xlsx in the template's layout; the long-number columns stay text."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(ROSTER_SHEET)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.append([column.header for column in COLUMNS])
    text_positions = {index for index, column in enumerate(COLUMNS) if column.text}
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
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_roster(households: QuerySet[Household], *, full_identity: bool, progress=None) -> bytes:
    return write_roster(roster_rows(households, full_identity=full_identity, progress=progress))


@jobs.runner("roster_export")
def run_roster_export(job, progress) -> tuple[bytes, str]:
    """The export of a big roster, as a job: the member's view of the roster at the time it runs."""
    membership = Membership.objects.get(pk=job.params["membership_id"])
    content = export_roster(
        households_visible_to(membership),
        full_identity=can(membership, Action.EDIT_ROSTER),
        progress=progress,
    )
    return content, f"roster-{job.township.slug}-{timezone.localdate():%Y%m%d}.xlsx"


def preview_rows(batch: ImportBatch) -> list[list[str]]:
    """The first rows of a batch for the preview page, ID and mobile numbers masked."""
    shown = []
    for row in batch.rows[:_PREVIEW_ROWS]:
        values = [str(row["row"])]
        for column in COLUMNS:
            value = row["cells"].get(column.key, "")
            text = _text(value) if value != "" else ""
            if column.key == "id_number" and not _looks_numeric(value):
                text = mask_id_number(_normalise_id(text))
            elif column.key == "mobile":
                text = mask_mobile(text)
            values.append(text)
        shown.append(values)
    return shown
