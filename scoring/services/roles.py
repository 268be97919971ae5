"""A household's role in a scheme (seed 2: a student made a class officer, with their post), set and ended with
its history. Right: ASSIGN_ROLE on the household (a school's head teacher for their classes, the school's or
township's office for all). A role counts for the entries recorded from then on: each entry keeps the multiplier
it was recorded with."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households import services as roster
from households.models import Area, Household, Membership

from ..models import RoleAssignment, RoleChange, RoleChangeKind, RoleRule, SchemeState

TITLE_MAX = 60
REASON_MAX = 200


def _require_assign(membership: Membership, household: Household) -> None:
    require(
        membership,
        Action.ASSIGN_ROLE,
        household,
        message=_("Only the class's head teacher or the school's office sets a student's role."),
    )


def _clean(text: str, limit: int, field: str) -> str:
    text = (text or "").strip()
    if "\x00" in text:
        raise DomainError(_("Remove the NUL character."), field=field)
    if len(text) > limit:
        raise DomainError(_("At most %(limit)d characters.") % {"limit": limit}, field=field)
    return text


def assign_role(
    *, membership: Membership, household: Household, role: RoleRule, title: str = "", reason: str = ""
) -> RoleAssignment:
    """The household holds `role` in its scheme from today, under the post `title` (班长, 数学课代表, …); the
    change and its reason go into the role's history."""
    _require_assign(membership, household)
    title, reason = _clean(title, TITLE_MAX, "title"), _clean(reason, REASON_MAX, "reason")
    if role.township_id != household.township_id:
        raise DomainError(_("This role belongs to another township's scheme."), field="role")
    if role.scheme.state == SchemeState.CLOSED:
        raise DomainError(_("The scheme is closed: its roles no longer change."), field="role")
    today = timezone.localdate()
    with transaction.atomic():
        current = (
            RoleAssignment.objects.select_for_update().filter(scheme=role.scheme, household=household).first()
        )
        if current is not None and current.role_id == role.pk and current.title == title:
            raise DomainError(_("The household already holds this role."), field="role")
        assignment, _created = RoleAssignment.objects.update_or_create(
            scheme=role.scheme,
            household=household,
            defaults={"role": role, "title": title, "since": today, "township_id": household.township_id},
        )
        RoleChange.objects.create(
            township_id=household.township_id,
            scheme=role.scheme,
            household=household,
            kind=RoleChangeKind.SET,
            role=role,
            title=title,
            reason=reason,
            effective_on=today,
            changed_by=membership.user,
        )
    return assignment


def end_role(*, membership: Membership, assignment: RoleAssignment, reason: str = "") -> RoleChange:
    """The household no longer holds its role (it counts by the scheme's defaults again from today); the end and
    its reason go into the role's history."""
    _require_assign(membership, assignment.household)
    reason = _clean(reason, REASON_MAX, "reason")
    if assignment.scheme.state == SchemeState.CLOSED:
        raise DomainError(_("The scheme is closed: its roles no longer change."), field="role")
    with transaction.atomic():
        locked = RoleAssignment.objects.select_for_update().filter(pk=assignment.pk).first()
        if locked is None:
            raise DomainError(_("This role has already ended."))
        change = RoleChange.objects.create(
            township_id=locked.township_id,
            scheme_id=locked.scheme_id,
            household_id=locked.household_id,
            kind=RoleChangeKind.ENDED,
            role_id=locked.role_id,
            title=locked.title,
            reason=reason,
            effective_on=timezone.localdate(),
            changed_by=membership.user,
        )
        locked.delete()
    return change


def enrol_student(
    *,
    membership: Membership,
    area: Area,
    number: str,
    name: str,
    gender: str = "",
    role: RoleRule | None = None,
    title: str = "",
    reason: str = "",
) -> Household:
    """A school's student in one step: the household row (its number is the 学号) with the student as its head
    resident (both get their points accounts), in a group (area), and optionally a role with its post. Rights:
    EDIT_ROSTER (the roster's services check it) and, with a role, ASSIGN_ROLE. All or nothing."""
    if role is not None:  # refused before anything is written
        require(
            membership,
            Action.ASSIGN_ROLE,
            area,
            message=_("Only the class's head teacher or the school's office sets a student's role."),
        )
    with transaction.atomic():
        household = roster.create_household(
            membership=membership, area=area, number=number, head={"name": name, "gender": gender}
        )
        if role is not None:
            assign_role(membership=membership, household=household, role=role, title=title, reason=reason)
    return household
