"""Checking the rows of a file against the rules and the township's roster: every error collected, nothing written."""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from ..models import (
    TAKING_PART_STATUSES,
    Area,
    Gender,
    Membership,
    Participation,
    Resident,
    Village,
)
from ..selectors import villages_visible_to
from ..validators import id_number_problem, validate_mobile
from .existing import differences, differs_message, existing_households, is_masked
from .layout import COLUMN_BY_KEY, FIELDS, GENDER_LABELS, NO, PARTICIPATION_LABELS, YES
from .mapping import head_rule
from .parsing import cell_text, looks_numeric, normalise_id_number

_YES_WORDS = {YES, "yes", "y", "true", "1"}
_NO_WORDS = {NO, "no", "n", "false", "0", ""}
_PARTICIPATION_LOOKUP = {
    text: value
    for value, label in PARTICIPATION_LABELS.items()
    for text in (label, value, value.replace("_", " "))  # 参与, taking_part, taking part
}
_GENDER_LOOKUP = {"男": Gender.MALE, "女": Gender.FEMALE, "male": Gender.MALE, "female": Gender.FEMALE}
# 政治面貌 as clerks write it: party members (including probationary ones) and the rest.
_PARTY_WORDS = {"党员", "中共党员", "中国共产党党员", "预备党员", "中共预备党员"}
_NOT_PARTY_WORDS = {"群众", "团员", "共青团员", "无", "民主党派"}
_HEAD_RELATIONS = {"户主", "本人"}
_BIRTH = re.compile(r"^(\d{4})(?:[年./-]?\d{1,2}(?:[月./-]?\d{1,2}日?)?月?)?(?:T[\d:.]*)?$")


@dataclass
class RowError:
    row: int
    column: str
    message: str
    sheet: str = ""  # "" for the roster's sheet; 单位 for the units'

    def as_dict(self) -> dict:
        error = {"row": self.row, "column": self.column, "message": self.message}
        return {**error, "sheet": self.sheet} if self.sheet else error


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
    village: Village | None  # None when the row names no visible village (an error is recorded)
    village_name: str
    area_name: str
    address: str
    participation: str
    participation_reason: str
    residents: list[PlannedResident] = field(default_factory=list)
    filled_on: dict[str, int] = field(default_factory=dict)  # household column -> the row that filled it
    unchanged: bool = False  # already in Jifen exactly as the file has it: skipped


@dataclass
class ImportPlan:
    households: list[PlannedHousehold]
    new_areas: list[tuple[Village, str]]  # (village, area name) to create
    areas: dict[tuple[int, str], Area]  # existing areas by (village id, name)
    errors: list[RowError]

    @property
    def new_households(self) -> list[PlannedHousehold]:
        return [household for household in self.households if not household.unchanged]

    @property
    def unchanged_count(self) -> int:
        return sum(household.unchanged for household in self.households)

    @property
    def resident_count(self) -> int:
        return sum(len(household.residents) for household in self.new_households)

    @property
    def villages(self) -> list[Village]:
        return list({h.village.pk: h.village for h in self.households if h.village is not None}.values())

    def new_area_labels(self) -> list[str]:
        return [f"{village.name} / {name}" for village, name in self.new_areas]


# A retired village or area (households.places) takes no household, from a file as from a form.
RETIRED = _lazy(
    "%(name)s is retired: put these households in the village or area that took its place, or restore it first."
)


class _Row:
    """One row being checked: reads its cells and records its errors against the column as the file names it."""

    headers = COLUMN_BY_KEY  # the template's header of a column the file leaves out
    sheet = ""

    def __init__(self, row: dict, columns: dict[str, str], errors: list[RowError]):
        self.number, self.cells, self.columns, self.errors = row["row"], row["cells"], columns, errors

    def raw(self, key: str):
        return self.cells.get(key, "")

    def text(self, key: str, max_length: int | None = None) -> str:
        value = cell_text(self.raw(key))
        if max_length and len(value) > max_length:
            self.error(key, _("Too long: at most %(n)d characters.") % {"n": max_length})
        return value

    def error(self, key: str, message) -> None:
        column = self.columns.get(key) or (self.headers[key].header if key in self.headers else key)
        self.errors.append(RowError(self.number, column, str(message), self.sheet))

    def yes_no(self, key: str, yes=frozenset(), no=frozenset()) -> bool:
        value = self.text(key).lower()
        if value in _YES_WORDS or value in yes:
            return True
        if value not in _NO_WORDS and value not in no:
            self.error(key, _("Write %(yes)s or %(no)s.") % {"yes": YES, "no": NO})
        return False

    def mapped(self, key: str) -> bool:
        """The file has this field's column: an empty cell of an unmapped column is not the row's mistake."""
        return key in self.columns


class _Roster:
    """What the township already holds, loaded once for the whole file (inside the township scope)."""

    def __init__(self, membership: Membership, rows: list[dict]):
        self.villages = {village.name: village for village in villages_visible_to(membership)}
        self.areas = {
            (area.village_id, area.name): area
            for area in Area.objects.filter(village__in=list(self.villages.values()))
        }
        numbers = {cell_text(row["cells"].get("number", "")) for row in rows}
        self.existing = existing_households(numbers)
        self.numbers = set(self.existing)
        ids = {normalise_id_number(row["cells"].get("id_number", "")) for row in rows} - {""}
        self.id_numbers = dict(
            Resident.objects.filter(id_number__in=ids).values_list("id_number", "household__number")
        )


def validate_rows(
    rows: list[dict], columns: dict[str, str], *, membership: Membership, village: Village | None = None
) -> ImportPlan:
    """Check every row against the rules and the township's roster; collect every error, write nothing.

    `columns` are the fields the file carries (the mapping's); a field without a column is left to the mapping
    step, the other fields of every row are still checked, so one upload shows every mistake. `village` is the
    village chosen on upload for a file without a village column."""
    errors: list[RowError] = []
    roster = _Roster(membership, rows)
    households: dict[str, PlannedHousehold] = {}
    unnumbered: list[PlannedHousehold] = []
    new_areas: dict[tuple[int, str], tuple[Village, str]] = {}
    id_rows: dict[str, int] = {}
    rule = head_rule(columns)
    for raw_row in rows:
        row = _Row(raw_row, columns, errors)
        for letter in raw_row.get("unlabelled", ()):
            errors.append(RowError(row.number, letter, _("This cell has data but its column has no header.")))
        row_village = _check_village(row, roster) if row.mapped("village") else village
        area_name = row.text("area", max_length=100)
        if not area_name and row.mapped("area"):
            row.error("area", _("The area is missing."))
        elif area_name and row_village is not None and (row_village.pk, area_name) not in roster.areas:
            new_areas.setdefault((row_village.pk, area_name), (row_village, area_name))
        elif area_name and row_village is not None and roster.areas[row_village.pk, area_name].retired_at:
            row.error("area", RETIRED % {"name": area_name})
        number = row.text("number", max_length=30)
        if not number and row.mapped("number"):
            row.error("number", _("The household number is missing."))
        if rule == "household" and number in households:
            row.error(
                "number", _("The same household number is on row %(row)d.") % {"row": households[number].row}
            )
        household = _household_of(row, number, row_village, area_name, households, roster)
        if not number and not row.mapped("number"):  # no number column yet: each row stands alone
            unnumbered.append(household)
        if not _is_empty_household_row(row, number, roster):
            household.residents.append(_check_resident(row, roster, id_rows, rule))
    planned = list(households.values()) + unnumbered
    for household in planned:
        _check_household(household, columns, errors, rule=rule)
        existing = roster.existing.get(household.number)
        if existing is not None:
            found = differences(household, existing, set(columns) | {"name", "is_head"})
            household.unchanged = not found
            if found:
                errors.append(
                    RowError(
                        household.row, _column(columns, "number"), differs_message(household.number, found)
                    )
                )
    _refuse_masked_numbers(planned, columns, errors)
    order = {columns.get(column.key) or column.header: index for index, column in enumerate(FIELDS)}
    errors.sort(key=lambda error: (error.row, order.get(error.column, len(order))))
    return ImportPlan(planned, list(new_areas.values()), roster.areas, errors)


def _column(columns: dict[str, str], key: str) -> str:
    return columns.get(key) or COLUMN_BY_KEY[key].header


def _refuse_masked_numbers(households: list[PlannedHousehold], columns: dict[str, str], errors) -> None:
    """A masked number (an export's 371425********123X) stands for the number on file, so only for a household
    Jifen holds; a new household needs the full number or none."""
    for household in households:
        if household.unchanged:
            continue
        for resident in household.residents:
            for key in ("id_number", "mobile"):
                if is_masked(resident.fields[key]):
                    message = _(
                        "This number is masked (%(value)s): write the full number, or leave it empty."
                    )
                    errors.append(
                        RowError(
                            resident.row, _column(columns, key), message % {"value": resident.fields[key]}
                        )
                    )
                    resident.fields[key] = ""


def _check_village(row: _Row, roster: _Roster) -> Village | None:
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
    elif village.retired_at is not None:
        row.error("village", RETIRED % {"name": name})
        return None
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


def _household_of(
    row: _Row,
    number: str,
    village: Village | None,
    area_name: str,
    households: dict[str, PlannedHousehold],
    roster: _Roster,
) -> PlannedHousehold:
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


_PERSON_KEYS = ("name", "head_name", "relation", "gender", "birth_year", "id_number", "mobile")


def _is_empty_household_row(row: _Row, number: str, roster: _Roster) -> bool:
    """The export's row for a household on file that has no members (all its residents ended): no resident."""
    on_file = roster.existing.get(number)
    if on_file is None or on_file.members.all():
        return False
    no_person = all(row.text(key) == "" for key in _PERSON_KEYS)
    return no_person and row.text("is_head") in ("", NO) and row.text("is_party_member") in ("", NO)


def _is_head(row: _Row, rule: str | None, name: str) -> bool:
    if rule == "household":
        return True
    if rule == "is_head":
        return row.yes_no("is_head")
    if rule == "relation":
        return row.text("relation") in _HEAD_RELATIONS
    if rule == "head_name":
        return bool(name) and name == row.text("head_name")
    return False


def _check_resident(row: _Row, roster: _Roster, id_rows: dict[str, int], rule: str | None) -> PlannedResident:
    name_key = "head_name" if rule == "household" else "name"
    name = row.text(name_key, max_length=50)
    if not name and row.mapped(name_key):
        row.error(name_key, _("The name is missing."))
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
        is_head=_is_head(row, rule, name),
        fields={
            "gender": gender,
            "birth_year": _check_birth_year(row),
            "id_number": _check_id_number(row, roster, id_rows),
            "mobile": _check_mobile(row),
            "is_party_member": row.yes_no("is_party_member", _PARTY_WORDS, _NOT_PARTY_WORDS),
        },
    )


def _check_birth_year(row: _Row) -> int | None:
    text = row.text("birth_year")
    if not text:
        return None
    this_year = timezone.localdate().year
    match = _BIRTH.match(text)  # 1970, 1970.03, 1970年3月, 197003, 1970-03-15 (a date cell)
    if match is None or not 1900 <= int(match.group(1)) <= this_year:
        row.error(
            "birth_year",
            _("Write the year of birth as four digits, from 1900 to %(year)d.") % {"year": this_year},
        )
        return None
    return int(match.group(1))


def _check_id_number(row: _Row, roster: _Roster, id_rows: dict[str, int]) -> str:
    raw = row.raw("id_number")
    if raw == "":
        return ""
    if looks_numeric(raw):
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
    value = normalise_id_number(raw)
    if is_masked(value):
        return value  # stands for the number on file: checked against the household (_refuse_masked_numbers)
    if problem := id_number_problem(value):
        row.error("id_number", problem)
        return ""
    if value in id_rows:
        row.error("id_number", _("The same ID number is on row %(row)d.") % {"row": id_rows[value]})
    else:
        id_rows[value] = row.number
    if value in roster.id_numbers and roster.id_numbers[value] != row.text("number"):
        row.error("id_number", _("This ID number is already registered in this township."))
    return value


def _check_mobile(row: _Row) -> str:
    value = re.sub(r"[\s-]+", "", row.text("mobile"))
    if is_masked(value):
        return value  # as a masked ID number
    try:
        validate_mobile(value)
    except ValidationError as exc:
        row.error("mobile", exc.messages[0])
        return ""
    return value


def _check_household(
    household: PlannedHousehold, columns: dict[str, str], errors: list[RowError], *, rule: str | None
) -> None:
    """Household-wide rules: a reason when not taking part, exactly one head (when the file says who it is)."""

    def column(key: str) -> str:
        return _column(columns, "relation" if key == "is_head" and "relation" in columns else key)

    household.participation = household.participation or Participation.TAKING_PART
    if household.participation not in TAKING_PART_STATUSES and not household.participation_reason:
        row = household.filled_on.get("participation", household.row)
        errors.append(
            RowError(row, column("participation_reason"), _("Say why the household does not take part."))
        )
    if rule is None or rule == "household":  # unknown yet, or every row is its household's head
        return
    if not household.residents:  # a household on file without members, exported as one empty row
        return
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
