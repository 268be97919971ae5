"""Reading an uploaded .xlsx or .csv roster into rows: finding the header row and mapping it to the columns.

A workbook holds the roster (its first sheet) and, optionally, the units (the sheet 单位); a .csv file holds one
of the two, told apart by its header (a units table names the column 单位名称)."""

import csv
import datetime
import io
import itertools
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import openpyxl
from charset_normalizer import from_bytes
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from core.errors import DomainError

from .headers import ROSTER_LOOKUP, UNIT_LOOKUP, normalise_header
from .layout import COLUMNS, NOTES_SHEET, UNIT_COLUMNS, UNIT_SHEET, UNIT_SHEET_ALIASES, Column

_HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in clerks' files
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_SHOWN_CELLS = 10  # cells named in a message about formulas or merged cells


_header_key = normalise_header


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of table: the roster (one row per resident or per household) or the units.

    The roster's columns are matched by the synonyms of headers.py and may be mapped by the clerk (mapping.py);
    the units' sheet must name its columns as the template does (or a synonym)."""

    columns: tuple[Column, ...]
    sheet: str  # "" for the roster; the sheet's name in messages otherwise
    lookup: dict[str, str]
    strict: bool  # a missing, unknown or repeated column refuses the file


ROSTER = Layout(COLUMNS, "", ROSTER_LOOKUP, strict=False)
UNITS = Layout(UNIT_COLUMNS, UNIT_SHEET, UNIT_LOOKUP, strict=True)
_UNIT_NAME_HEADERS = {name for name, key in UNIT_LOOKUP.items() if key == "name"} - set(ROSTER_LOOKUP)


class ImportFileError(DomainError):
    """The file as a whole cannot be read (empty, not Excel, wrong header, too big). Carries every problem found."""

    def __init__(self, *messages):
        super().__init__(" ".join(str(m) for m in messages), field="file")
        self.messages = [str(m) for m in messages]


@dataclass
class ParsedFile:
    columns: dict[str, str]  # field key -> header as written in the file
    rows: list[dict]  # {"row": n, "cells": {key: value}, "extra": {position: value}, "unlabelled": [letters]}
    unit_columns: dict[str, str] = field(default_factory=dict)  # the same for the sheet 单位
    unit_rows: list[dict] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # the roster's header row as written, by position
    mapping: dict[str, int] = field(default_factory=dict)  # field key -> position in `headers`
    ambiguous: list[str] = field(default_factory=list)  # headers that name a field another header names too


@dataclass
class _Table:
    layout: Layout
    header_row: int
    columns: dict[str, str]
    rows: list[dict]
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, int] = field(default_factory=dict)
    ambiguous: list[str] = field(default_factory=list)


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
        return _parsed(_xlsx_tables(data))
    if suffix == "csv":
        return _parsed([_read_table(_csv_table(data), None, settings.JIFEN_IMPORT_MAX_ROWS)])
    raise ImportFileError(_("Upload an Excel .xlsx file or a .csv file."))


def _parsed(tables: list["_Table | None"]) -> ParsedFile:
    """The roster's and the units' rows; a file with neither is refused, saying what it does have."""
    roster = next((t for t in tables if t is not None and t.layout is ROSTER), None)
    units = next((t for t in tables if t is not None and t.layout is UNITS), None)
    if not (roster and roster.rows) and not (units and units.rows):
        if units is not None:
            raise ImportFileError(_("The file has header rows but no residents and no units below them."))
        if roster is not None:
            raise ImportFileError(
                _("The file has a header row (row %(row)d) but no residents below it.")
                % {"row": roster.header_row}
            )
        raise ImportFileError(_("The file is empty."))
    parsed = ParsedFile(columns=roster.columns if roster else {}, rows=roster.rows if roster else [])
    if roster is not None:
        parsed.headers, parsed.mapping, parsed.ambiguous = roster.headers, roster.mapping, roster.ambiguous
    if units is not None:
        parsed.unit_columns, parsed.unit_rows = units.columns, units.rows
    return parsed


def _not_excel() -> ImportFileError:
    return ImportFileError(
        _(
            "This file is not an Excel .xlsx file, even though its name ends in .xlsx. Open it and save it as .xlsx."
        )
    )


def _xlsx_tables(data: bytes) -> list["_Table | None"]:
    """The roster (the first sheet other than 单位 and the notes) and the units (the sheet 单位), if present."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _not_excel()
    try:
        # Formulas are read as formulas (not their cached results) so that they can be refused.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheets = list(workbook.worksheets)
    except Exception as exc:  # openpyxl raises many types for a zip that is not a workbook
        raise _not_excel() from exc
    try:
        aliases = {_header_key(name) for name in UNIT_SHEET_ALIASES}
        unit_sheet = next((sheet for sheet in sheets if _header_key(sheet.title) in aliases), None)
        others = [sheet for sheet in sheets if sheet is not unit_sheet and sheet.title.strip() != NOTES_SHEET]
        _refuse_merged_cells(data, [sheet for sheet in (others[:1] + [unit_sheet]) if sheet is not None])
        limit = settings.JIFEN_IMPORT_MAX_ROWS
        # A first sheet that names the column 单位名称 is the units' when the workbook has no sheet 单位.
        first = _read_table(_sheet_rows(others[0]), ROSTER if unit_sheet else None, limit) if others else None
        if unit_sheet is None:
            return [first]
        units = _read_table(_sheet_rows(unit_sheet), UNITS, limit - (len(first.rows) if first else 0))
        return [first, units]
    finally:
        workbook.close()


def _refuse_merged_cells(data: bytes, sheets: list) -> None:
    """Merged cells hold their value in the first cell only: the rows below would silently lose it."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for sheet in sheets:
            try:
                xml = archive.read(sheet._worksheet_path)
            except (KeyError, AttributeError):
                continue
            merged = [ref.decode() for ref in _MERGED.findall(xml)]
            if merged:
                problems.append(
                    _(
                        "Sheet %(sheet)s has merged cells (%(cells)s). Unmerge them and write the value in "
                        "every row, then upload the file again."
                    )
                    % {"sheet": sheet.title, "cells": _some(merged)}
                )
    if problems:
        raise ImportFileError(*problems)


def _some(cells: list[str]) -> str:
    shown = "、".join(cells[:_SHOWN_CELLS])
    if len(cells) > _SHOWN_CELLS:
        shown += _(" and %(n)d more") % {"n": len(cells) - _SHOWN_CELLS}
    return shown


def _sheet_rows(sheet) -> Iterator[tuple[int, list]]:
    # The dimension a file declares can be wrong; reading to the real end never drops rows.
    sheet.reset_dimensions()
    formulas: list[str] = []
    try:
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values = []
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(cell.coordinate)
                values.append(getattr(cell, "value", None))
            if not formulas:
                yield number, values
    except Exception as exc:  # a damaged sheet inside a valid zip
        raise _not_excel() from exc
    if formulas:
        raise ImportFileError(
            _(
                "Sheet %(sheet)s has formulas in cells %(cells)s. Jifen imports values, not formulas: copy the "
                "columns and paste them as values (Paste Special → Values), then upload the file again."
            )
            % {"sheet": sheet.title, "cells": _some(formulas)}
        )


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


def _read_table(table: Iterator[tuple[int, list]], layout: Layout | None, limit: int) -> _Table | None:
    """The rows of one sheet (or .csv) in `layout` (None: told by the header); None when it holds nothing."""
    searched: list[tuple[int, list]] = []
    found = _find_header(table, layout, searched)
    if found is None:
        return None
    header_number, header = found
    # Rows read while looking for a known header come back when the first non-empty row had to be taken.
    table = itertools.chain([(n, v) for n, v in searched if n > header_number], table)
    if layout is None:
        layout = UNITS if any(_header_key(text) in _UNIT_NAME_HEADERS for text in header) else ROSTER
    columns, positions, ambiguous = _map_header(header, layout)
    rows: list[dict] = []
    for number, values in table:
        cells = {key: _cell(values[index]) if index < len(values) else "" for index, key in positions.items()}
        extra, unlabelled = {}, []
        for index, value in enumerate(values):
            if index in positions or _cell(value) == "":
                continue
            if index < len(header) and header[index]:
                extra[str(index)] = _cell(value)  # an unmapped column: kept so the clerk can map it later
            else:
                unlabelled.append(get_column_letter(index + 1))
        if not unlabelled and not extra and all(value == "" for value in cells.values()):
            continue
        if len(rows) >= limit:
            most = settings.JIFEN_IMPORT_MAX_ROWS
            raise ImportFileError(
                _("The file has more than %(max)d rows; split it into smaller files.") % {"max": most}
            )
        rows.append({"row": number, "cells": cells, "extra": extra, "unlabelled": unlabelled})
    mapping = {key: index for index, key in positions.items()}
    if layout is ROSTER:
        _head_flags(mapping, columns, rows)
    return _Table(layout, header_number, columns, rows, header, mapping, ambiguous)


_YES_NO = {"是", "否", "yes", "no", "y", "n", "true", "false", "1", "0"}


def _head_flags(mapping: dict[str, int], columns: dict[str, str], rows: list[dict]) -> None:
    """A column headed 户主 that holds only 是/否 says who is the head (是否户主), not the head's name."""
    if "head_name" not in mapping or "is_head" in mapping:
        return
    values = {str(row["cells"].get("head_name", "")).strip().lower() for row in rows} - {""}
    if not values or not values <= _YES_NO:
        return
    mapping["is_head"], columns["is_head"] = mapping.pop("head_name"), columns.pop("head_name")
    for row in rows:
        row["cells"]["is_head"] = row["cells"].pop("head_name", "")


def _find_header(
    table: Iterator[tuple[int, list]], layout: Layout | None, searched: list[tuple[int, list]]
) -> tuple[int, list[str]] | None:
    """The first row naming at least two known columns among the first rows, else the first non-empty row.
    The rows read on the way are added to `searched`."""
    known = layout.lookup if layout else {**ROSTER.lookup, **UNITS.lookup}
    first = None
    for number, values in table:
        searched.append((number, values))
        texts = [str(_cell(value)) for value in values]
        if not any(texts):
            continue
        first = first or (number, texts)
        if sum(_header_key(text) in known for text in texts) >= 2:
            return number, texts
        if number >= _HEADER_SEARCH_ROWS:
            break
    return first


def _map_header(header: list[str], layout: Layout) -> tuple[dict[str, str], dict[int, str], list[str]]:
    """The field of each column the synonyms recognise. The roster's unknown and missing columns are left to the
    mapping step (mapping.py); a units' sheet must be complete."""
    lookup = layout.lookup
    columns, positions, unknown, twice = {}, {}, [], []
    for index, text in enumerate(header):
        if not text:
            continue
        key = lookup.get(_header_key(text))
        if key is None:
            unknown.append(text)
        elif key in columns:
            twice.append(text)
        else:
            columns[key], positions[index] = text, key
    if not layout.strict:
        return columns, positions, twice
    problems = []
    required = [column.header for column in layout.columns if column.required and column.key not in columns]
    if required:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": "、".join(required)})
    if unknown:
        expected = "、".join(column.header for column in layout.columns)
        problems.append(
            _("Unknown columns: %(columns)s. Use the headers of the template: %(expected)s.")
            % {"columns": "、".join(unknown), "expected": expected}
        )
    if twice:
        problems.append(_("These columns appear twice: %(columns)s.") % {"columns": "、".join(twice)})
    if problems and layout.sheet:
        problems = [
            _("Sheet %(sheet)s: %(problem)s") % {"sheet": layout.sheet, "problem": p} for p in problems
        ]
    if problems:
        raise ImportFileError(*problems)
    return columns, positions, twice


# Cells as stored in a batch ------------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A stored cell as text: whole numbers without ".0", booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value).strip()


def looks_numeric(value) -> bool:
    """Excel kept the cell as a number: an 18-digit ID number has then lost its last digits."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or bool(_SCIENTIFIC.match(str(value)))


def normalise_id_number(value) -> str:
    return re.sub(r"\s+", "", cell_text(value)).upper()
