"""A file's households that Jifen already holds: unchanged ones are skipped, changed ones are refused.

An import adds households; it does not edit them (each change of a household has its own page, reason and
history). So an export imports back as "0 new, all unchanged", and a row that differs from the roster says what
differs. A masked ID or mobile number (the export of a read-only member, or a batch whose full numbers were
purged) counts as unchanged when it masks the number on file.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from ..models import Household, Resident
from ..validators import mask_id_number, mask_mobile
from .layout import COLUMN_BY_KEY


def existing_households(numbers: set[str]) -> dict[str, Household]:
    """The township's households with these numbers, with their village, area and members (three queries)."""
    households = (
        Household.objects.filter(number__in=numbers - {""})
        .select_related("village", "area")
        .prefetch_related(Prefetch("members", queryset=Resident.objects.current().order_by("id")))
    )
    return {household.number: household for household in households}


def is_masked(value: str) -> bool:
    return "*" in value


def _same(planned: str, on_file: str, mask) -> bool:
    return planned == on_file or (is_masked(planned) and planned == mask(on_file))


def differences(planned, household: Household, mapped: set[str]) -> list[str]:
    """The headers of the template whose values differ between the file's household and the one on file; a
    field the file does not carry (`mapped` are the ones it does) is not compared."""
    header = {key: column.header for key, column in COLUMN_BY_KEY.items()}
    found = []
    if planned.village is not None and planned.village.pk != household.village_id:
        found.append(header["village"])
    if planned.area_name and planned.area_name != household.area.name:
        found.append(header["area"])
    for key in ("address", "participation", "participation_reason"):
        if key in mapped and getattr(planned, key) != getattr(household, key):
            found.append(header[key])
    members = list(household.members.all())
    residents = [resident for resident in planned.residents if resident.name or not members]
    unmatched = list(members)
    for resident in residents:
        match = next((member for member in unmatched if _matches(resident, member, mapped)), None)
        if match is None:
            found.append(header["name"])
            return found
        unmatched.remove(match)
    if unmatched:
        found.append(header["name"])
    return found


def _matches(resident, member: Resident, mapped: set[str]) -> bool:
    fields = resident.fields
    same = {
        "gender": lambda: fields["gender"] == member.gender,
        "birth_year": lambda: fields["birth_year"] == member.birth_year,
        "id_number": lambda: _same(fields["id_number"], member.id_number, mask_id_number),
        "mobile": lambda: _same(fields["mobile"], member.mobile, mask_mobile),
        "is_party_member": lambda: fields["is_party_member"] == member.is_party_member,
    }
    return (
        resident.name == member.name
        and resident.is_head == member.is_head
        and all(check() for key, check in same.items() if key in mapped)
    )


def differs_message(number: str, fields: list[str]) -> str:
    return _(
        "Household %(number)s is already in Jifen and this file differs in: %(fields)s. An import only adds "
        "new households: change this one on its page, or leave its rows out of the file."
    ) % {"number": number, "fields": "、".join(dict.fromkeys(fields))}
