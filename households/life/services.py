"""The roster's side of a household's life. Each service checks EDIT_ROSTER itself, writes the acting member into the
history, and records a LifeEvent; nothing here deletes a row."""

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require

from ..models import (
    TAKING_PART_STATUSES,
    Household,
    HouseholdStatus,
    LifeEvent,
    LifeEventKind,
    Membership,
    Participation,
    Resident,
    ResidentEndReason,
)
from ..stamps import stamp as _stamp

# The reasons a clerk gives for a member leaving; "moved to another household" is written by a split or a merge.
REASONS_TO_END = (ResidentEndReason.DIED, ResidentEndReason.MOVED_OUT, ResidentEndReason.OTHER)


def check_date(day: datetime.date | None, field: str = "ended_on") -> datetime.date:
    """A life event's date: given, and not in the future (township's calendar)."""
    if day is None:
        raise DomainError(_("Give the date."), field=field)
    if day > timezone.localdate():
        raise DomainError(_("The date %(day)s is in the future.") % {"day": day.isoformat()}, field=field)
    return day


def require_open(household: Household, field: str | None = None) -> None:
    if household.status != HouseholdStatus.ACTIVE:
        raise DomainError(
            _("Household %(number)s has ended (%(state)s); its record can be read but not changed.")
            % {"number": household.number, "state": household.get_status_display()},
            field=field,
        )


def current_members(household: Household) -> list[Resident]:
    return list(Resident.objects.filter(household=household).current().order_by("-is_head", "pk"))


def record_event(
    membership: Membership, kind: str, household: Household, day: datetime.date, reason: str, **more: Any
) -> LifeEvent:
    """The event row of a life step; written by the step's own service, which has checked its right."""
    return LifeEvent.objects.create(
        township_id=household.township_id,
        kind=kind,
        household=household,
        occurred_on=day,
        reason=reason[:300],
        recorded_by=membership.user,
        **more,
    )


def _end_row(membership: Membership, resident: Resident, day: datetime.date, reason: str, note: str) -> None:
    resident.ended_on, resident.end_reason, resident.end_note = day, reason, note[:200]
    resident.ended_by, resident.is_head = membership.user, False
    account = resident.account
    resident.account = None  # the login goes with the person (a new row after a move), or ends with them
    _stamp(resident, membership, note or str(ResidentEndReason(reason).label))
    resident.save()
    resident.account = account


def _set_head(membership: Membership, resident: Resident, reason: str) -> None:
    resident.is_head = True
    _stamp(resident, membership, reason)
    resident.save(update_fields=["is_head"])


def _stop_taking_part_if_memberless(membership: Membership, household: Household) -> None:
    """A household with no current members cannot take part: it stops, with the reason said."""
    if household.participation not in TAKING_PART_STATUSES:
        return
    if Resident.objects.filter(household=household).current().exists():
        return
    household.participation = Participation.NOT_ELIGIBLE
    household.participation_reason = _("No members left in the household")
    _stamp(household, membership, "no members left")
    household.save(update_fields=["participation", "participation_reason", "updated_at"])


def end_resident(
    *,
    membership: Membership,
    resident: Resident,
    ended_on: datetime.date | None,
    reason: str,
    note: str = "",
    new_head: Resident | None = None,
) -> LifeEvent:
    """A member leaves the household (died, moved out of the township, other): the row is kept with the date and
    the reason. If the head leaves while other members remain, the new head is named in the same step.

    Right: EDIT_ROSTER on the resident."""
    require(membership, Action.EDIT_ROSTER, resident)
    if reason not in REASONS_TO_END:
        raise DomainError(_("Choose why the member leaves."), field="reason")
    day = check_date(ended_on)
    note = note.strip()
    if reason == ResidentEndReason.OTHER and not note:
        raise DomainError(_("Say why the member leaves."), field="note")
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=resident.household_id)
        require_open(household)
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.ended_on is not None:
            raise DomainError(_("%(name)s has already left the household.") % {"name": resident.name})
        others = [m for m in current_members(household) if m.pk != resident.pk]
        if new_head is not None and new_head.pk not in {m.pk for m in others}:
            raise DomainError(_("Choose the new head among the other current members."), field="new_head")
        if resident.is_head and others and new_head is None:
            raise DomainError(
                _("%(name)s is the head of the household: choose the new head among the other members.")
                % {"name": resident.name},
                field="new_head",
            )
        if not resident.is_head and new_head is not None:
            raise DomainError(
                _("Only the head's leaving names a new head; leave it empty."), field="new_head"
            )
        _end_row(membership, resident, day, reason, note)
        text = f"{resident.name}: {ResidentEndReason(reason).label}" + (f" ({note})" if note else "")
        event = record_event(membership, LifeEventKind.MEMBER_ENDED, household, day, text, resident=resident)
        if new_head is not None:
            _set_head(membership, new_head, "new head of household")
            record_event(
                membership,
                LifeEventKind.HEAD_CHANGED,
                household,
                day,
                _("%(old)s → %(new)s") % {"old": resident.name, "new": new_head.name},
                resident=new_head,
            )
        _stop_taking_part_if_memberless(membership, household)
    return event


def change_head(
    *,
    membership: Membership,
    household: Household,
    new_head: Resident,
    reason: str,
    changed_on: datetime.date | None = None,
) -> LifeEvent:
    """The head of the household changes to another current member (the one-head rule holds throughout).

    Right: EDIT_ROSTER on the household."""
    require(membership, Action.EDIT_ROSTER, household)
    day = check_date(changed_on or timezone.localdate(), "changed_on")
    if not reason.strip():
        raise DomainError(_("Say why the head changes."), field="reason")
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        require_open(household)
        members = current_members(household)
        if new_head.pk not in {m.pk for m in members}:
            raise DomainError(_("Choose the new head among the current members."), field="new_head")
        old = next((m for m in members if m.is_head), None)
        if old is not None and old.pk == new_head.pk:
            raise DomainError(_("%(name)s is already the head.") % {"name": new_head.name}, field="new_head")
        if old is not None:
            old.is_head = False
            _stamp(old, membership, reason)
            old.save(update_fields=["is_head"])
        _set_head(membership, Resident.objects.get(pk=new_head.pk), reason)
        text = f"{old.name if old else '—'} → {new_head.name}: {reason.strip()}"
        return record_event(membership, LifeEventKind.HEAD_CHANGED, household, day, text, resident=new_head)


def transfer_members(
    *,
    membership: Membership,
    residents: Sequence[Resident],
    to_household: Household,
    moved_on: datetime.date | None,
    head: Resident | None = None,
) -> list[Resident]:
    """Members move to another household of the township (a split or a merge): each row ends in the old household
    ("moved to another household") and continues as a new row in the new one, with the person's login. `head`, one
    of them, becomes the new household's head. The caller records the event.

    Right: EDIT_ROSTER on both households."""
    require(membership, Action.EDIT_ROSTER, to_household)
    for resident in residents:
        require(membership, Action.EDIT_ROSTER, resident)
    day = check_date(moved_on, "moved_on")
    if any(r.township_id != to_household.township_id for r in residents):
        raise DomainError(_("Members move only within their township."))
    moved = []
    with transaction.atomic():
        require_open(to_household)
        for resident in residents:
            resident = Resident.objects.select_for_update().get(pk=resident.pk)
            if resident.ended_on is not None:
                raise DomainError(_("%(name)s has already left the household.") % {"name": resident.name})
            if resident.household_id == to_household.pk:
                raise DomainError(_("%(name)s is already a member there.") % {"name": resident.name})
            account = resident.account
            _end_row(membership, resident, day, ResidentEndReason.OTHER_HOUSEHOLD, to_household.number)
            new = Resident(
                township_id=resident.township_id,
                household=to_household,
                name=resident.name,
                is_head=head is not None and head.pk == resident.pk,
                gender=resident.gender,
                birth_year=resident.birth_year,
                id_number=resident.id_number,
                mobile=resident.mobile,
                is_party_member=resident.is_party_member,
                account=account,
                continued_from=resident,
            )
            _stamp(
                new, membership, _("moved from household %(number)s") % {"number": resident.household.number}
            )
            new.save()
            moved.append(new)
    return moved


def end_household(
    *,
    membership: Membership,
    household: Household,
    ended_on: datetime.date | None,
    status: str,
    reason: str,
    merged_into: Household | None = None,
) -> Household:
    """The household's account ends: merged into another household, or closed on moving out of the township. It
    stops taking part; its record and passbook stay readable. The caller (scoring.services.life) moves the points
    first and records the event.

    Right: EDIT_ROSTER on the household."""
    require(membership, Action.EDIT_ROSTER, household)
    day = check_date(ended_on)
    if status not in (HouseholdStatus.MERGED, HouseholdStatus.CLOSED):
        raise DomainError(_("Choose how the household ends."), field="status")
    if (status == HouseholdStatus.MERGED) != (merged_into is not None):
        raise DomainError(_("A merged household names the household it went to."), field="merged_into")
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        require_open(household)
        if status == HouseholdStatus.CLOSED:  # its members move out with it
            for member in current_members(household):
                _end_row(membership, member, day, ResidentEndReason.MOVED_OUT, reason.strip())
        household.status, household.ended_on, household.merged_into = status, day, merged_into
        household.participation = Participation.NOT_ELIGIBLE
        household.participation_reason = (
            _("Merged into household %(number)s") % {"number": merged_into.number}
            if merged_into is not None
            else _("Moved out of the township")
        )
        _stamp(household, membership, reason)
        household.save()
    return household
