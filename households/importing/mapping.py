"""Which column of a clerk's sheet holds which field: the layout it implies, what is still missing, and moving a
batch's kept rows to another mapping without the file being uploaded again.

A mapping is {field key: position of the column in the file's header row}. The synonyms (headers.py) give the
first one; the clerk completes or corrects it on the preview page, and it is remembered for the village
(`ImportMapping`, found again by the header row's `signature`).
"""

import hashlib

from django.utils.translation import gettext as _

from core.errors import DomainError

from .headers import normalise_header
from .layout import COLUMN_BY_KEY, FIELDS

PERSON, HOUSEHOLD = "person", "household"


def layout_of(mapping: dict) -> str:
    """One row per household when the head's name is given and nothing says who in a row is the head."""
    if "head_name" in mapping and not ({"name", "is_head", "relation"} & set(mapping)):
        return HOUSEHOLD
    return PERSON


def head_rule(mapping: dict) -> str | None:
    """How a row's resident is known to be the head: the template's 是否户主, 与户主关系, or 姓名 = 户主姓名."""
    if layout_of(mapping) == HOUSEHOLD:
        return "household"
    for key in ("is_head", "relation"):
        if key in mapping:
            return key
    if "name" in mapping and "head_name" in mapping:
        return "head_name"
    return None


def missing_fields(mapping: dict, *, village_given: bool) -> list[str]:
    """The keys of the fields the file must still say, in the template's order."""
    needed = ["area", "number"] + ([] if village_given else ["village"])
    if layout_of(mapping) == PERSON:
        needed.append("name")
        if head_rule(mapping) is None:
            needed.append("is_head")
    order = [column.key for column in FIELDS]
    return sorted((key for key in needed if key not in mapping), key=order.index)


def column_problems(
    mapping: dict, headers: list[str], ambiguous: list[str], *, village_given: bool
) -> list[str]:
    """What the mapping step must settle before the batch can be imported, in words for the clerk."""
    problems = []
    missing = missing_fields(mapping, village_given=village_given)
    if missing:
        problems.append(
            _("Choose the column of: %(fields)s.")
            % {"fields": "、".join(COLUMN_BY_KEY[k].header for k in missing)}
        )
    if ambiguous:
        problems.append(
            _("These columns name a field another column names too: %(columns)s. Choose which column to use.")
            % {"columns": "、".join(ambiguous)}
        )
    return problems


def unmapped_headers(mapping: dict, headers: list[str]) -> list[str]:
    used = set(mapping.values())
    return [text for index, text in enumerate(headers) if text and index not in used]


def signature(headers: list[str]) -> str:
    """The same header row (after normalising) gives the same signature, whatever the file's name or rows."""
    text = "\x1f".join(normalise_header(header) for header in headers)
    return hashlib.sha256(text.encode()).hexdigest()


def check_mapping(fields: dict[str, int | None], headers: list[str]) -> dict[str, int]:
    """A clerk's choice, {field: position or None}, as a mapping; one column chosen for two fields is refused."""
    mapping: dict[str, int] = {}
    taken: dict[int, str] = {}
    twice = []
    for key, position in fields.items():
        if key not in COLUMN_BY_KEY:
            raise DomainError(_("Unknown field %(field)s.") % {"field": key}, field=key)
        if position is None:
            continue
        if not 0 <= position < len(headers) or not headers[position]:
            raise DomainError(_("Choose one of the file's columns."), field=key)
        if position in taken:
            twice.append(
                _("the column %(column)s was chosen for both %(first)s and %(second)s")
                % {
                    "column": headers[position],
                    "first": COLUMN_BY_KEY[taken[position]].header,
                    "second": COLUMN_BY_KEY[key].header,
                }
            )
            continue
        taken[position] = key
        mapping[key] = position
    if twice:
        raise DomainError(
            _("One column can hold only one field: %(problems)s. Choose another column for one of them.")
            % {"problems": "; ".join(twice)},
            field="mapping",
        )
    return mapping


def remap_rows(rows: list[dict], old: dict[str, int], new: dict[str, int]) -> list[dict]:
    """The kept rows as if the file had been read with the `new` mapping: no cell is lost or invented."""
    remapped = []
    for row in rows:
        values = {str(old[key]): value for key, value in row["cells"].items() if key in old}
        values.update(row.get("extra", {}))
        cells = {key: values.get(str(position), "") for key, position in new.items()}
        used = {str(position) for position in new.values()}
        extra = {
            position: value for position, value in values.items() if position not in used and value != ""
        }
        remapped.append({**row, "cells": cells, "extra": extra})
    return remapped


def columns_of(mapping: dict[str, int], headers: list[str]) -> dict[str, str]:
    """{field key: the header as the file writes it}: what error messages name."""
    return {key: headers[position] for key, position in mapping.items()}
