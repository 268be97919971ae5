"""Reading an uploaded .xlsx or .csv roster into rows: finding the header row and mapping it to the columns."""

import csv
import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl
from charset_normalizer import from_bytes
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from core.errors import DomainError

from .layout import COLUMNS

_HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in clerks' files
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format


def _header_key(text: str) -> str:
    return re.sub(r"[\s_*＊]+", "", text.lower())


_HEADER_LOOKUP = {
    _header_key(name): column.key for column in COLUMNS for name in (column.header, *column.aliases)
}


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
