"""Merging, retiring and restoring villages and areas. Each service checks the acting member's right itself and
records who and why (the history of every row it changes, a HouseholdMove for every household that moves).

Nothing is deleted: a merged village or area is retired (已撤销) and keeps its history; the ledger never changes
(entries keep "the village at the time"); accounts follow their holders (scoring.accounts)."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require

from ..models import Area, Household, HouseholdMove, Membership, Unit, Village
from ..services import _stamp
from .guards import run_merge_guards

NAME_MAX = 100


@dataclass
class MergeResult:
    households: int = 0
    areas: int = 0
    units: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old name, new name) of areas and units


def _reason(reason: str) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise DomainError(_("Say why (it is kept in the history)."), field="reason")
    return reason


def _locked(model: type[Model], *objects: Model) -> list:
    """Lock the rows in a fixed order (by id) so two merges never wait on each other in a circle."""
    ids = sorted(obj.pk for obj in objects)
    rows = {
        row.pk: row for row in model._default_manager.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    return [rows[obj.pk] for obj in objects]


def _free_name(name: str, prefix: str, taken: set[str], what: str) -> str:
    """The name a moved area or unit keeps, or its old village's name before it when the target has it already."""
    if name not in taken:
        return name
    renamed = f"{prefix}{name}"[:NAME_MAX]
    if renamed in taken:
        raise DomainError(
            _("%(what)s %(name)s exists in both villages, and so does %(renamed)s: rename one of them first.")
            % {"what": what, "name": name, "renamed": renamed}
        )
    return renamed


def _move(membership: Membership, household: Household, to_area: Area, reason: str) -> None:
    HouseholdMove.objects.create(
        township_id=household.township_id,
        household=household,
        from_village_id=household.village_id,
        from_area_id=household.area_id,
        to_village_id=to_area.village_id,
        to_area=to_area,
        reason=reason,
        moved_by=membership.user,
    )
    household.village_id, household.area = to_area.village_id, to_area
    _stamp(household, membership, reason)
    household.save(update_fields=["village", "area", "updated_at"])


def _retire(obj: Village | Area, membership: Membership, reason: str) -> None:
    obj.retired_at = timezone.now()
    _stamp(obj, membership, reason)
    obj.save(update_fields=["retired_at"])


# Villages -----------------------------------------------------------------------------------------------------


def merge_villages(*, membership: Membership, source: Village, target: Village, reason: str) -> MergeResult:
    """Village `source` into `target` (合并村): its areas, households and units move to `target`, each household
    with a HouseholdMove; `source` is retired. An area or unit whose name `target` already has is prefixed with
    the old village's name (一组 → 东村一组)."""
    require(membership, Action.MANAGE_TOWNSHIP, source)
    require(membership, Action.MANAGE_TOWNSHIP, target)
    if source.pk == target.pk:
        raise DomainError(
            _("A village cannot be merged into itself: choose another village."), field="target"
        )
    if source.township_id != target.township_id:
        raise DomainError(_("Choose a village of this township."), field="target")
    reason = _reason(reason)
    result = MergeResult()
    with transaction.atomic():
        source, target = _locked(Village, source, target)
        if source.retired_at or target.retired_at:
            raise DomainError(_("A retired village cannot be merged: restore it first."), field="target")
        run_merge_guards("village", source, target)
        area_names = set(Area.objects.filter(village=target).values_list("name", flat=True))
        for area in Area.objects.select_for_update().filter(village=source).order_by("pk"):
            new_name = _free_name(area.name, source.name, area_names, _("Area"))
            if new_name != area.name:
                result.renamed.append((area.name, new_name))
            area_names.add(new_name)
            area.village, area.name = target, new_name
            _stamp(area, membership, reason)
            area.save(update_fields=["village", "name"])
            result.areas += 1
        households = Household.objects.select_for_update().filter(village=source).select_related("area")
        for household in households.order_by("pk"):
            _move(membership, household, household.area, reason)  # the area itself is now the target's
            result.households += 1
        unit_names = set(Unit.objects.filter(village=target).values_list("name", flat=True))
        for unit in Unit.objects.select_for_update().filter(village=source).order_by("pk"):
            new_name = _free_name(unit.name, source.name, unit_names, _("Unit"))
            if new_name != unit.name:
                result.renamed.append((unit.name, new_name))
            unit_names.add(new_name)
            unit.village, unit.name = target, new_name
            _stamp(unit, membership, reason)
            unit.save(update_fields=["village", "name", "updated_at"])
            result.units += 1
        _retire(source, membership, reason)
    return result


def retire_village(*, membership: Membership, village: Village, reason: str) -> Village:
    """已撤销: hidden from pickers and new households, kept with its history. Only an empty village retires."""
    require(membership, Action.MANAGE_TOWNSHIP, village)
    reason = _reason(reason)
    with transaction.atomic():
        (village,) = _locked(Village, village)
        if village.retired_at:
            raise DomainError(_("This village is already retired."))
        households = Household.objects.filter(village=village).count()
        units = Unit.objects.filter(village=village).count()
        if households or units:
            raise DomainError(
                _(
                    "%(name)s still holds %(households)d households and %(units)d units: move them to another "
                    "village, or merge %(name)s into another village, first."
                )
                % {"name": village.name, "households": households, "units": units}
            )
        _retire(village, membership, reason)
    return village


def restore_village(*, membership: Membership, village: Village, reason: str = "") -> Village:
    require(membership, Action.MANAGE_TOWNSHIP, village)
    with transaction.atomic():
        (village,) = _locked(Village, village)
        if not village.retired_at:
            raise DomainError(_("This village is not retired."))
        village.retired_at = None
        _stamp(village, membership, reason or "restored")
        village.save(update_fields=["retired_at"])
    return village


# Areas --------------------------------------------------------------------------------------------------------


def merge_areas(*, membership: Membership, source: Area, target: Area, reason: str) -> MergeResult:
    """Area `source` into `target` of the same village: its households move (each with a HouseholdMove), grid
    workers limited to `source` now serve `target`, and `source` is retired."""
    require(membership, Action.EDIT_ROSTER, source)
    require(membership, Action.EDIT_ROSTER, target)
    if source.pk == target.pk:
        raise DomainError(_("An area cannot be merged into itself: choose another area."), field="target")
    if source.village_id != target.village_id:
        raise DomainError(
            _("Areas are merged within one village: choose an area of the same village."), field="target"
        )
    reason = _reason(reason)
    result = MergeResult()
    with transaction.atomic():
        source, target = _locked(Area, source, target)
        if source.retired_at or target.retired_at:
            raise DomainError(_("A retired area cannot be merged: restore it first."), field="target")
        run_merge_guards("area", source, target)
        households = Household.objects.select_for_update().filter(area=source).order_by("pk")
        for household in households:
            _move(membership, household, target, reason)
            result.households += 1
        for limited in Membership.objects.filter(areas=source):
            limited.areas.remove(source)
            limited.areas.add(target)
        _retire(source, membership, reason)
    return result


def retire_area(*, membership: Membership, area: Area, reason: str) -> Area:
    require(membership, Action.EDIT_ROSTER, area)
    reason = _reason(reason)
    with transaction.atomic():
        (area,) = _locked(Area, area)
        if area.retired_at:
            raise DomainError(_("This area is already retired."))
        households = Household.objects.filter(area=area).count()
        if households:
            raise DomainError(
                _(
                    "%(name)s still holds %(households)d households: move them to another area, or merge "
                    "%(name)s into another area, first."
                )
                % {"name": area.name, "households": households}
            )
        _retire(area, membership, reason)
    return area


def restore_area(*, membership: Membership, area: Area, reason: str = "") -> Area:
    require(membership, Action.EDIT_ROSTER, area)
    with transaction.atomic():
        (area,) = _locked(Area, area)
        if not area.retired_at:
            raise DomainError(_("This area is not retired."))
        if Village.objects.filter(pk=area.village_id, retired_at__isnull=False).exists():
            raise DomainError(_("Its village is retired: restore the village first."))
        area.retired_at = None
        _stamp(area, membership, reason or "restored")
        area.save(update_fields=["retired_at"])
    return area
