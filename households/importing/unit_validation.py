"""Checking the rows of the sheet 单位 (units) against the rules and the township's units: every error collected,
nothing written. The same rules as `households.units.services`, checked for the whole sheet at once."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Membership, Unit, UnitKind, Village
from ..selectors import villages_visible_to
from ..validators import mask_mobile, validate_mobile
from .layout import KIND_LABELS, UNIT_COLUMN_BY_KEY, UNIT_COLUMNS, UNIT_SHEET
from .parsing import cell_text
from .validation import RowError, _Row

# The template's words, the codes, and the words the source document and clerks use for the same kinds.
_KIND_LOOKUP = {
    **{text: kind for kind, label in KIND_LABELS.items() for text in (label, kind, kind.replace("_", " "))},
    "公司": UnitKind.ENTERPRISE,
    "个体户": UnitKind.INDIVIDUAL_BUSINESS,
    "商户": UnitKind.INDIVIDUAL_BUSINESS,
    "个体": UnitKind.INDIVIDUAL_BUSINESS,
    "专业合作社": UnitKind.COOPERATIVE,
    "社团": UnitKind.SOCIAL_ORGANISATION,
    "协会": UnitKind.SOCIAL_ORGANISATION,
}


class _UnitRow(_Row):
    headers = UNIT_COLUMN_BY_KEY
    sheet = UNIT_SHEET


@dataclass
class PlannedUnit:
    row: int
    village: Village | None  # None when the row names no visible village (an error is recorded)
    name: str
    kind: str
    contact_name: str
    contact_mobile: str
    address: str
    note: str
    unchanged: bool = False  # already in Jifen exactly as the sheet has it (an export imported back): skipped


@dataclass
class UnitPlan:
    units: list[PlannedUnit]
    errors: list[RowError]

    @property
    def new_units(self) -> list[PlannedUnit]:
        return [unit for unit in self.units if not unit.unchanged]


def validate_unit_rows(rows: list[dict], columns: dict[str, str], *, membership: Membership) -> UnitPlan:
    """Check every unit row; a unit's name must be new in its village, in the file and in the township."""
    errors: list[RowError] = []
    villages = {village.name: village for village in villages_visible_to(membership)}
    names = {cell_text(row["cells"].get("name", "")) for row in rows} - {""}
    existing = {
        (unit.village_id, unit.name): unit
        for unit in Unit.objects.filter(village__in=list(villages.values()), name__in=names).select_related(
            "village"
        )
    }
    first_row: dict[tuple[int, str], int] = {}
    units = []
    for raw_row in rows:
        row = _UnitRow(raw_row, columns, errors)
        for letter in raw_row.get("unlabelled", ()):
            row.errors.append(
                RowError(
                    row.number, letter, _("This cell has data but its column has no header."), UNIT_SHEET
                )
            )
        village = _check_village(row, villages)
        name = row.text("name", max_length=100)
        on_file = None
        if not name:
            row.error("name", _("The unit's name is missing."))
        elif village is not None:
            on_file = _check_name_is_new(row, village, name, existing, first_row)
        planned = PlannedUnit(
            row=row.number,
            village=village,
            name=name,
            kind=_check_kind(row),
            contact_name=_required(row, "contact_name", 50, _("The contact person is missing.")),
            contact_mobile=_check_mobile(row),
            address=row.text("address", max_length=200),
            note=row.text("note", max_length=200),
        )
        if on_file is not None:
            _compare(row, planned, on_file)
        if not planned.unchanged and "*" in planned.contact_mobile:
            message = _("This number is masked (%(value)s): write the full number, or leave it empty.")
            row.error("contact_mobile", message % {"value": planned.contact_mobile})
        units.append(planned)
    order = {columns.get(column.key) or column.header: index for index, column in enumerate(UNIT_COLUMNS)}
    errors.sort(key=lambda error: (error.row, order.get(error.column, len(order))))
    return UnitPlan(units, errors)


def _check_village(row: _UnitRow, villages: dict[str, Village]) -> Village | None:
    name = row.text("village")
    if not name:
        row.error("village", _("The village is missing."))
        return None
    village = villages.get(name)
    if village is None:
        row.error(
            "village",
            _("There is no village named %(name)s among the villages you may edit.") % {"name": name},
        )
    return village


def _check_name_is_new(
    row: _UnitRow,
    village: Village,
    name: str,
    existing: dict[tuple[int, str], Unit],
    first_row: dict[tuple[int, str], int],
) -> Unit | None:
    """The active unit of that name on file (compared by `_compare`), or None; an archived one is an error."""
    key = (village.pk, name)
    if key in first_row:
        row.error("name", _("The same unit of the same village is on row %(row)d.") % {"row": first_row[key]})
        return None
    first_row[key] = row.number
    unit = existing.get(key)
    if unit is None:
        return None
    if unit.is_archived:
        message = _(
            "%(village)s has an archived unit named %(name)s: restore it in Jifen instead of importing it."
        )
        row.error("name", message % {"village": village.name, "name": name})
        return None
    return unit


def _compare(row: _UnitRow, planned: PlannedUnit, unit: Unit) -> None:
    """A unit on file exactly as the sheet has it (an export imported back) is skipped; any difference is an
    error: an import adds units, it does not edit them."""
    mobile = planned.contact_mobile
    same = (
        planned.kind == unit.kind
        and planned.contact_name == unit.contact_name
        and (mobile == unit.contact_mobile or (bool(mobile) and mobile == mask_mobile(unit.contact_mobile)))
        and planned.address == unit.address
        and planned.note == unit.note
    )
    if same:
        planned.unchanged = True
        return
    message = _("%(village)s already has a unit named %(name)s.")
    row.error("name", message % {"village": unit.village.name, "name": unit.name})


def _required(row: _UnitRow, key: str, max_length: int, missing: str) -> str:
    value = row.text(key, max_length=max_length)
    if not value:
        row.error(key, missing)
    return value


def _check_kind(row: _UnitRow) -> str:
    text = row.text("kind")
    kind = _KIND_LOOKUP.get(text.lower()) if text else None
    if kind is None:
        choices = "、".join(KIND_LABELS.values())
        if text:
            row.error("kind", _("Write one of: %(choices)s.") % {"choices": choices})
        else:
            row.error(
                "kind", _("The kind of unit is missing: write one of %(choices)s.") % {"choices": choices}
            )
        return ""
    return kind


def _check_mobile(row: _UnitRow) -> str:
    value = re.sub(r"[\s-]+", "", row.text("contact_mobile"))
    if not value:
        row.error("contact_mobile", _("The contact's mobile number is missing."))
        return ""
    if "*" in value:
        return value  # masked: stands for the number of a unit on file (_compare), else refused there
    try:
        validate_mobile(value)
    except ValidationError as exc:
        row.error("contact_mobile", exc.messages[0])
        return ""
    return value
