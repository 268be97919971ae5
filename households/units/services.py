"""Every change to a unit. A unit belongs to one village and is kept by whoever keeps that village's roster (the
township office everywhere, a clerk in their own villages): `Action.EDIT_ROSTER`, as for households."""

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require

from ..models import Membership, Unit, UnitKind, Village
from ..services import _stamp, _validated_save

EDITABLE_FIELDS = ("name", "kind", "contact_name", "contact_mobile", "address", "note")


def _clean(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name == "contact_mobile":
        return re.sub(r"[\s-]+", "", value)  # "139 0000-0001" as typed on a phone
    return value.strip()


def _check(unit: Unit) -> None:
    """The rules a unit keeps, with messages that say what to fix (the model's validation follows)."""
    if not unit.name:
        raise DomainError(_("Give the unit's name."), field="name", code="required")
    if unit.kind not in UnitKind.values:
        choices = "、".join(str(label) for label in UnitKind.labels)
        raise DomainError(_("Choose the kind of unit: %(choices)s.") % {"choices": choices}, field="kind")
    if not unit.contact_name:
        raise DomainError(
            _("Give the name of the unit's contact person."), field="contact_name", code="required"
        )
    if not unit.contact_mobile:
        raise DomainError(
            _("Give the contact person's mobile number."), field="contact_mobile", code="required"
        )
    same_name = Unit.objects.filter(village_id=unit.village_id, name=unit.name).exclude(pk=unit.pk).first()
    if same_name is not None:
        if same_name.is_archived:
            message = _(
                "An archived unit named %(name)s exists in this village: restore it instead of adding it again."
            )
        else:
            message = _("A unit named %(name)s already exists in this village.")
        raise DomainError(message % {"name": unit.name}, field="name", code="duplicate")


def _refuse_if_archived(unit: Unit) -> None:
    if unit.is_archived:
        raise DomainError(_("This unit is archived: restore it before changing it."), code="archived")


def create_unit(
    *,
    membership: Membership,
    village: Village,
    name: str,
    kind: str,
    contact_name: str,
    contact_mobile: str,
    address: str = "",
    note: str = "",
) -> Unit:
    """A unit of `village` (one of the member's villages)."""
    require(membership, Action.EDIT_ROSTER, village)
    if village.retired_at:
        raise DomainError(_("This village is retired: choose another village."), field="village")
    unit = Unit(township_id=village.township_id, village=village)
    fields = {"name": name, "kind": kind, "contact_name": contact_name, "contact_mobile": contact_mobile}
    for field, value in {**fields, "address": address, "note": note}.items():
        setattr(unit, field, _clean(field, value))
    _check(unit)
    _validated_save(unit, membership)
    return unit


def update_unit(*, membership: Membership, unit: Unit, reason: str = "", **fields: Any) -> Unit:
    """Change a unit's fields (EDITABLE_FIELDS), or its `village`: the member must keep both villages."""
    require(membership, Action.EDIT_ROSTER, unit)
    if unknown := set(fields) - {*EDITABLE_FIELDS, "village"}:
        raise DomainError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    village = fields.pop("village", None)
    if village is not None and village.pk != unit.village_id:
        if village.township_id != unit.township_id:
            raise DomainError(_("A unit can only move within its own township."), field="village")
        require(membership, Action.EDIT_ROSTER, village)
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)  # archived meanwhile? then it stays as it is
        _refuse_if_archived(unit)
        if village is not None:
            unit.village = village
        for field, value in fields.items():
            setattr(unit, field, _clean(field, value))
        _check(unit)
        _validated_save(unit, membership, reason.strip())
    return unit


def archive_unit(*, membership: Membership, unit: Unit, reason: str) -> Unit:
    """Take a unit off the active roster (closed, merged, moved away). It keeps its history and any points."""
    require(membership, Action.EDIT_ROSTER, unit)
    if not reason.strip():
        raise DomainError(_("Say why the unit is archived."), field="reason", code="required")
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        if unit.is_archived:
            raise DomainError(_("This unit is already archived."), code="illegal_state")
        unit.archived_at = timezone.now()
        _stamp(unit, membership, reason.strip())
        unit.save(update_fields=["archived_at", "updated_at"])
    return unit


def restore_unit(*, membership: Membership, unit: Unit, reason: str = "") -> Unit:
    """Put an archived unit back on the active roster."""
    require(membership, Action.EDIT_ROSTER, unit)
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        if not unit.is_archived:
            raise DomainError(_("This unit is not archived."), code="illegal_state")
        unit.archived_at = None
        _stamp(unit, membership, reason.strip())
        unit.save(update_fields=["archived_at", "updated_at"])
    return unit
