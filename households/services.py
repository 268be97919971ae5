"""Every change to the roster. The acting user is always explicit and is written into the audit history."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise

from .models import (
    TAKING_PART_STATUSES,
    Area,
    Household,
    HouseholdMove,
    Membership,
    Resident,
    Role,
    Township,
    Village,
)


def _stamp(instance, actor, reason: str = "") -> None:
    """django-simple-history reads these instead of a thread-local request."""
    instance._history_user = actor
    instance._change_reason = (reason or "")[:100] or None  # simple-history keeps at most 100 characters


def _validated_save(instance, actor, reason: str = "") -> None:
    full_clean_or_raise(instance)
    _stamp(instance, actor, reason)
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


def create_village(*, actor, township: Township, name: str, code: str = "") -> Village:
    village = Village(township=township, name=name.strip(), code=code.strip())
    _validated_save(village, actor)
    return village


def update_village(*, actor, village: Village, name: str, code: str = "") -> Village:
    village.name, village.code = name.strip(), code.strip()
    _validated_save(village, actor)
    return village


def create_area(*, actor, village: Village, name: str) -> Area:
    area = Area(township_id=village.township_id, village=village, name=name.strip())
    _validated_save(area, actor)
    return area


def update_area(*, actor, area: Area, name: str) -> Area:
    area.name = name.strip()
    _validated_save(area, actor)
    return area


def area_size_warning(area: Area, extra: int = 0) -> str | None:
    """Seed 1 keeps areas at about 100 households: above that Jifen warns, it does not refuse."""
    count = area.households.count() + extra
    limit = settings.JIFEN_AREA_SOFT_LIMIT
    if count > limit:
        return _("Area %(area)s now has %(count)d households, more than the recommended %(limit)d.") % {
            "area": area.name,
            "count": count,
            "limit": limit,
        }
    return None


# Households and residents --------------------------------------------------------------------------------------


def create_household(
    *,
    actor,
    area: Area,
    number: str,
    address: str = "",
    participation: str = "taking_part",
    participation_reason: str = "",
    head: dict | None = None,
) -> Household:
    """A household in `area`, optionally with its head (a dict of Resident fields)."""
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
        _validated_save(household, actor)
        if head:
            add_resident(actor=actor, household=household, **{**head, "is_head": True})
    return household


def update_household(*, actor, household: Household, reason: str = "", **fields) -> Household:
    allowed = {"number", "address", "participation", "participation_reason"}
    if unknown := set(fields) - allowed:
        raise DomainError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    for name, value in fields.items():
        setattr(household, name, value.strip() if isinstance(value, str) else value)
    _check_participation(household.participation, household.participation_reason)
    _validated_save(household, actor, reason)
    return household


def add_resident(*, actor, household: Household, name: str, is_head: bool = False, **fields) -> Resident:
    resident = Resident(
        township_id=household.township_id, household=household, name=name.strip(), is_head=is_head
    )
    _assign_resident_fields(resident, fields)
    with transaction.atomic():
        if is_head:
            _demote_head(actor, household)
        _validated_save(resident, actor)
    return resident


def update_resident(*, actor, resident: Resident, **fields) -> Resident:
    with transaction.atomic():
        if fields.get("is_head") and not resident.is_head:
            _demote_head(actor, resident.household)
        if "name" in fields:
            resident.name = fields.pop("name").strip()
        if "is_head" in fields:
            resident.is_head = bool(fields.pop("is_head"))
        _assign_resident_fields(resident, fields)
        _validated_save(resident, actor)
    return resident


def _assign_resident_fields(resident: Resident, fields: dict) -> None:
    allowed = {"gender", "birth_year", "id_number", "mobile", "is_party_member"}
    if unknown := set(fields) - allowed:
        raise DomainError(_("Unknown resident fields: %s") % ", ".join(sorted(unknown)))
    for name, value in fields.items():
        if name in ("id_number", "mobile", "gender"):
            value = (value or "").strip().upper() if name == "id_number" else (value or "").strip()
        setattr(resident, name, value)


def _demote_head(actor, household: Household) -> None:
    for previous in Resident.objects.filter(household=household, is_head=True).select_for_update():
        previous.is_head = False
        _stamp(previous, actor, "new head of household")
        previous.save(update_fields=["is_head"])


def remove_resident(*, actor, resident: Resident, reason: str) -> None:
    if not reason.strip():
        raise DomainError(_("Say why the resident is removed."), field="reason")
    _stamp(resident, actor, reason)
    resident.delete()


def move_household(*, actor, household: Household, to_area: Area, reason: str) -> HouseholdMove:
    """Move to another area (of this or another village of the same township). History and points go along."""
    if to_area.township_id != household.township_id:
        raise DomainError(_("A household can only move within its own township."), field="to_area")
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
            moved_by=actor,
        )
        household.village_id, household.area = to_area.village_id, to_area
        _stamp(household, actor, reason)
        household.save(update_fields=["village", "area", "updated_at"])
    return move


# Memberships ---------------------------------------------------------------------------------------------------


def grant_membership(*, actor, township: Township, user, role: str, villages=()) -> Membership:
    """Create or change a user's role in a township. Clerks and panel members need at least one village."""
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    villages = list(villages)
    if any(v.township_id != township.pk for v in villages):
        raise DomainError(_("Villages must belong to this township."), field="villages")
    if role in (Role.VILLAGE_CLERK, Role.PANEL_MEMBER) and not villages:
        raise DomainError(_("Choose the villages this member works in."), field="villages")
    with transaction.atomic():
        membership = Membership.objects.filter(township=township, user=user).first()
        if membership is None:
            membership = Membership(township=township, user=user)
        membership.role = role
        _validated_save(membership, actor)
        membership.villages.set(villages)
    return membership


def revoke_membership(*, actor, membership: Membership) -> None:
    """Takes effect on the user's very next request: roles are read per request, never cached in the session."""
    _stamp(membership, actor, "revoked")
    membership.delete()


def create_member_account(*, actor, township: Township, username: str, password: str, role: str, villages=()):
    """A new login account with a first password set by the township office, and its membership.

    Never touches an existing account (its password belongs to its owner): use grant_membership for those.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

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
        return grant_membership(actor=actor, township=township, user=user, role=role, villages=villages)
