"""Reading the villages and areas of a new township from an .xlsx (for a school: its classes and groups).

One row per area: 村 (or 村名) and 片区 (or 组, 小组, 村民小组), optionally 村编码. A village with no area yet is a
row with its village only. Read with openpyxl like the roster import (households.importing.parsing), but with the
whole workbook loaded: merged cells and formulas are refused, since what Excel shows is then not what is stored."""

import io
import re
import zipfile
from dataclasses import dataclass

import openpyxl
from django.conf import settings
from django.utils.translation import gettext as _

from households.importing.parsing import ImportFileError, cell_text

VILLAGE_HEADERS = ("村", "村名", "村名称", "行政村", "班", "班级", "班名")
AREA_HEADERS = ("片区", "组", "小组", "村民小组", "片", "片区名称")
CODE_HEADERS = ("村编码", "编码", "村代码", "班级编码")
_HEADER_SEARCH_ROWS = 10
_SHOWN = 5  # cells named in one message; the rest are counted


@dataclass(frozen=True)
class PlaceRow:
    row: int  # the row number in Excel
    village: str
    area: str
    code: str


def _key(text: str) -> str:
    return re.sub(r"[\s_*＊]+", "", text)


def _cells(values: tuple) -> list[str]:
    return [cell_text(v).replace("\x00", "") if v is not None else "" for v in values]


def _listed(items: list[str]) -> str:
    shown = "、".join(items[:_SHOWN])
    if len(items) > _SHOWN:
        shown += _(" and %(count)d more") % {"count": len(items) - _SHOWN}
    return shown


def read_places(data: bytes) -> list[PlaceRow]:
    """The rows of the file, or ImportFileError naming every problem (row and column) found."""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if len(data) > settings.JIFEN_IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)s MB; split it into smaller files.")
            % {"mb": settings.JIFEN_IMPORT_MAX_BYTES // 2**20}
        )
    not_excel = ImportFileError(_("This is not an Excel .xlsx file. Open it in Excel and save it as .xlsx."))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise not_excel
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # openpyxl raises many types for a zip that is not a workbook
        raise not_excel from exc
    sheet = workbook.worksheets[0]
    problems = []
    merged = [str(cells) for cells in sheet.merged_cells.ranges]
    if merged:
        problems.append(
            _("Sheet %(sheet)s has merged cells (%(cells)s): unmerge them and fill the name into every row.")
            % {"sheet": sheet.title, "cells": _listed(merged)}
        )
    formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    if formulas:
        problems.append(
            _("Cells %(cells)s hold formulas: copy them and paste as values only, then upload again.")
            % {"cells": _listed(formulas)}
        )
    if problems:
        raise ImportFileError(*problems)
    rows = list(sheet.iter_rows(values_only=True))
    header_index, positions = _header(rows)
    return _rows(rows, header_index, positions)


def _header(rows: list[tuple]) -> tuple[int, dict[str, int]]:
    lookups = {"village": VILLAGE_HEADERS, "area": AREA_HEADERS, "code": CODE_HEADERS}
    for index, values in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        texts = [_key(text) for text in _cells(values)]
        positions = {
            field: next(i for i, text in enumerate(texts) if text in names)
            for field, names in lookups.items()
            if any(text in names for text in texts)
        }
        if "village" in positions:
            return index, positions
    raise ImportFileError(
        _(
            "No header row with a column %(village)s was found in the first %(rows)d rows. Expected columns: %(all)s."
        )
        % {
            "village": "村",
            "rows": _HEADER_SEARCH_ROWS,
            "all": "村（或 村名）、片区（或 组、小组）、村编码（可不填）",
        }
    )


def _rows(rows: list[tuple], header_index: int, positions: dict[str, int]) -> list[PlaceRow]:
    places, problems = [], []
    for index in range(header_index + 1, len(rows)):
        cells = _cells(rows[index])
        value = {f: cells[p].strip() if p < len(cells) else "" for f, p in positions.items()}
        village, area, code = value.get("village", ""), value.get("area", ""), value.get("code", "")
        number = index + 1
        if not (village or area or code):
            continue
        if not village:
            what = _("area %(area)s") % {"area": area} if area else _("code %(code)s") % {"code": code}
            problems.append(
                _("Row %(row)d: %(what)s has no village (column %(column)s is empty).")
                % {"row": number, "what": what, "column": "村"}
            )
            continue
        if len(village) > 100 or len(area) > 100:
            problems.append(_("Row %(row)d: a name is longer than 100 characters.") % {"row": number})
            continue
        if len(code) > 30:
            problems.append(_("Row %(row)d: the code is longer than 30 characters.") % {"row": number})
            continue
        places.append(PlaceRow(number, village, area, code))
    if problems:
        raise ImportFileError(*problems)
    if not places:
        raise ImportFileError(_("The file has a header row but no villages below it."))
    return places
