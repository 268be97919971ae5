"""Every change to the roster. The acting member is always explicit: each service checks the member's right
itself (`core.permissions.require`) and writes the member's user into the audit history."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from core.permissions import Action, require

from .life.services import end_resident
from .models import (
    TAKING_PART_STATUSES,
    AccountAct,
    Area,
    Household,
    HouseholdMove,
    HouseholdStatus,
    LoginAccount,
    Membership,
    Resident,
    ResidentEndReason,
    Role,
    Village,
)
from .selectors import ROLES_IN_VILLAGES, roles_of
from .stamps import stamp as _stamp

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # settings.AUTH_USER_MODEL


def _validated_save(instance: models.Model, membership: Membership, reason: str = "") -> None:
    full_clean_or_raise(instance)
    _stamp(instance, membership, reason)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:  # a concurrent writer won a unique constraint race
        raise DomainError(
            _("This conflicts with a record saved at the same moment; reload and try again.")
        ) from exc


def _check_participation(participation: str, reason: str) -> None:
    if participation not in TAKING_PART_STATUSES and not reason.strip():
        raise DomainError(_("Say why the household does not take part."), field="participation_reason")


# Villages and areas --------------------------------------------------------------------------------------------


def create_village(*, membership: Membership, name: str, code: str = "") -> Village:
    """A village of the member's township (the township office's)."""
    require(membership, Action.MANAGE_TOWNSHIP)
    village = Village(township_id=membership.township_id, name=name.strip(), code=code.strip())
    _validated_save(village, membership)
    return village


def update_village(*, membership: Membership, village: Village, name: str, code: str = "") -> Village:
    require(membership, Action.MANAGE_TOWNSHIP, village)
    village.name, village.code = name.strip(), code.strip()
    _validated_save(village, membership)
    return village


def create_area(*, membership: Membership, village: Village, name: str) -> Area:
    require(membership, Action.EDIT_ROSTER, village)
    if village.retired_at:
        raise DomainError(_("This village is retired: restore it before adding areas."))
    area = Area(township_id=village.township_id, village=village, name=name.strip())
    _validated_save(area, membership)
    return area


def update_area(*, membership: Membership, area: Area, name: str) -> Area:
    require(membership, Action.EDIT_ROSTER, area)
    area.name = name.strip()
    _validated_save(area, membership)
    return area


def _refuse_retired(area: Area, field: str) -> None:
    if area.retired_at or area.village.retired_at:
        raise DomainError(_("This area or its village is retired: choose another area."), field=field)


# Households and residents --------------------------------------------------------------------------------------


def create_household(
    *,
    membership: Membership,
    area: Area,
    number: str,
    address: str = "",
    participation: str = "taking_part",
    participation_reason: str = "",
    head: dict[str, Any] | None = None,
) -> Household:
    """A household in `area`, optionally with its head (a dict of Resident fields)."""
    require(membership, Action.EDIT_ROSTER, area)
    _refuse_retired(area, "area")
    _check_participation(participation, participation_reason)
    household = Household(
        township_id=area.township_id,
        village_id=area.village_id,
        area=area,
        number=number.strip(),
        address=address.strip(),
        participation=participation,
        participation_reason=participation_reason.strip(),
    )
    with transaction.atomic():
        _validated_save(household, membership)
        if head:
            add_resident(membership=membership, household=household, **{**head, "is_head": True})
    return household


def update_household(
    *, membership: Membership, household: Household, reason: str = "", **fields: Any
) -> Household:
    require(membership, Action.EDIT_ROSTER, household)
    allowed = {"number", "address", "participation", "participation_reason"}
    if unknown := set(fields) - allowed:
        raise DomainError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    if household.status != HouseholdStatus.ACTIVE:
        raise DomainError(_("This household has ended; its record can be read but not changed."))
    for name, value in fields.items():
        setattr(household, name, value.strip() if isinstance(value, str) else value)
    _check_participation(household.participation, household.participation_reason)
    joins = fields.get("participation") in TAKING_PART_STATUSES  # only a change to taking part is checked
    if joins and not Resident.objects.filter(household=household).current().exists():
        raise DomainError(
            _("A household with no members cannot take part: add its members first."), field="participation"
        )
    _validated_save(household, membership, reason)
    return household


def add_resident(
    *, membership: Membership, household: Household, name: str, is_head: bool = False, **fields: Any
) -> Resident:
    require(membership, Action.EDIT_ROSTER, household)
    if household.status != HouseholdStatus.ACTIVE:
        raise DomainError(_("This household has ended; its record can be read but not changed."))
    resident = Resident(
        township_id=household.township_id, household=household, name=name.strip(), is_head=is_head
    )
    _assign_resident_fields(resident, fields)
    with transaction.atomic():
        if is_head:
            _demote_head(membership, household)
        _validated_save(resident, membership)
    return resident


def update_resident(*, membership: Membership, resident: Resident, **fields: Any) -> Resident:
    require(membership, Action.EDIT_ROSTER, resident)
    if resident.ended_on is not None:
        raise DomainError(_("%(name)s has left the household; a former member is kept as they were.") % {
            "name": resident.name,
        })  # fmt: skip
    with transaction.atomic():
        if fields.get("is_head") and not resident.is_head:
            _demote_head(membership, resident.household)
        if "name" in fields:
            resident.name = fields.pop("name").strip()
        if "is_head" in fields:
            resident.is_head = bool(fields.pop("is_head"))
        _assign_resident_fields(resident, fields)
        _validated_save(resident, membership)
    return resident


def _assign_resident_fields(resident: Resident, fields: dict[str, Any]) -> None:
    allowed = {"gender", "birth_year", "id_number", "mobile", "is_party_member"}
    if unknown := set(fields) - allowed:
        raise DomainError(_("Unknown resident fields: %s") % ", ".join(sorted(unknown)))
    for name, value in fields.items():
        if name in ("id_number", "mobile", "gender"):
            value = (value or "").strip().upper() if name == "id_number" else (value or "").strip()
        setattr(resident, name, value)


def _demote_head(membership: Membership, household: Household) -> None:
    for previous in Resident.objects.filter(household=household, is_head=True).select_for_update():
        previous.is_head = False
        _stamp(previous, membership, "new head of household")
        previous.save(update_fields=["is_head"])


def remove_resident(*, membership: Membership, resident: Resident, reason: str) -> None:
    """Kept for the API's DELETE: nothing deletes a resident any more (issue 16). The member leaves the household
    today for "another reason", with the reason given (households.life.services.end_resident)."""
    require(membership, Action.EDIT_ROSTER, resident)
    if not reason.strip():
        raise DomainError(_("Say why the resident is removed."), field="reason")
    end_resident(
        membership=membership,
        resident=resident,
        ended_on=timezone.localdate(),
        reason=ResidentEndReason.OTHER,
        note=reason,
    )


def move_household(
    *, membership: Membership, household: Household, to_area: Area, reason: str
) -> HouseholdMove:
    """Move to another area (of this or another village of the same township). History and points go along.

    The member must keep both ends: a clerk moves households between their own villages only."""
    require(membership, Action.EDIT_ROSTER, household)
    if to_area.township_id != household.township_id:
        raise DomainError(_("A household can only move within its own township."), field="to_area")
    require(membership, Action.EDIT_ROSTER, to_area)
    _refuse_retired(to_area, "to_area")
    if to_area.pk == household.area_id:
        raise DomainError(_("The household is already in this area."), field="to_area")
    if not reason.strip():
        raise DomainError(_("Say why the household moves."), field="reason")
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        move = HouseholdMove.objects.create(
            township_id=household.township_id,
            household=household,
            from_village_id=household.village_id,
            from_area_id=household.area_id,
            to_village_id=to_area.village_id,
            to_area=to_area,
            reason=reason.strip(),
            moved_by=membership.user,
        )
        household.village_id, household.area = to_area.village_id, to_area
        _stamp(household, membership, reason)
        household.save(update_fields=["village", "area", "updated_at"])
    return move


# Memberships ---------------------------------------------------------------------------------------------------


def grant_membership(
    *,
    membership: Membership,
    user: "User",
    role: str,
    villages: Iterable[Village] = (),
    areas: Iterable[Area] = (),
    student: Household | None = None,
) -> Membership:
    """Create or change a user's role in the member's township (the township office's). Clerks, panel members
    and grid workers need at least one village; a grid worker may be limited to some areas of their villages
    (none: all of them). A school's roles are a school's (head teachers, class officers and duty monitors of some
    classes); a parent reads one student (`student`), in the student's class."""
    require(membership, Action.MANAGE_TOWNSHIP)
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    if role not in roles_of(membership.township):
        raise DomainError(
            _("A %(kind)s has no role %(role)s.")
            % {"kind": membership.township.get_kind_display(), "role": Role(role).label},
            field="role",
        )
    villages = list(villages)
    if student is not None and role == Role.PARENT:
        if student.township_id != membership.township_id:
            raise DomainError(_("Choose a student of this school."), field="student")
        villages = [student.village]
    elif role == Role.PARENT:
        raise DomainError(_("Choose the parent's student."), field="student")
    elif student is not None:
        raise DomainError(_("Only a parent names a student; leave it empty."), field="student")
    if any(v.township_id != membership.township_id for v in villages):
        raise DomainError(_("Villages must belong to this township."), field="villages")
    if role in ROLES_IN_VILLAGES and not villages:
        raise DomainError(_("Choose the villages this member works in."), field="villages")
    areas = list(areas)
    if areas and role != Role.GRID_WORKER:
        raise DomainError(_("Only grid workers are limited to areas; leave the areas empty."), field="areas")
    if any(a.village_id not in {v.pk for v in villages} for a in areas):
        raise DomainError(_("Choose areas of the member's own villages."), field="areas")
    with transaction.atomic():
        granted = Membership.objects.filter(township_id=membership.township_id, user=user).first()
        if granted is None:
            granted = Membership(township_id=membership.township_id, user=user)
        granted.role = role
        granted.student = student if role == Role.PARENT else None
        _validated_save(granted, membership)
        granted.villages.set(villages)
        granted.areas.set(areas)
    return granted


def revoke_membership(*, membership: Membership, target: Membership) -> None:
    """Takes effect on the user's very next request: roles are read per request, never cached in the session."""
    require(membership, Action.MANAGE_TOWNSHIP, target)
    if target.pk == membership.pk:
        raise DomainError(_("You cannot revoke your own membership; ask another township administrator."))
    _stamp(target, membership, "revoked")
    target.delete()


def create_member_account(
    *,
    membership: Membership,
    username: str,
    password: str,
    role: str,
    villages: Iterable[Village] = (),
    areas: Iterable[Area] = (),
    student: Household | None = None,
) -> Membership:
    """A new login account with a first password set by the township office, and its membership. The owner must
    replace the password at the first sign-in (LoginAccount.must_change_password).

    Never touches an existing account (its password belongs to its owner): use grant_membership for those.
    """
    require(membership, Action.MANAGE_TOWNSHIP)
    user_model = get_user_model()
    username = username.strip()
    if user_model.objects.filter(username=username).exists():
        raise DomainError(_("This username is already taken."), field="username")
    if not password:
        raise DomainError(_("Set a first password for the new account."), field="password")
    user = user_model(username=username)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    try:
        user.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(" ".join(messages), field=None if field == "__all__" else field) from exc
    with transaction.atomic():
        user.save()
        granted = grant_membership(
            membership=membership, user=user, role=role, villages=villages, areas=areas, student=student
        )
        # The office knows this first password: the owner replaces it at the first sign-in (households.middleware).
        account = LoginAccount(
            user=user, must_change_password=True, act=AccountAct.CREATED, changed_by=membership.user
        )
        _stamp(account, membership)
        account.save()
    return granted
