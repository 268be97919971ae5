"""Review panels (评议小组) and cross-review assignments: which panel inspects which area of a round's village."""

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.people import display_name
from core.permissions import Action, require
from households.models import Area, Membership, Role, Village

from ..models import PanelAssignment, PanelMember, PanelMemberKind, ReviewPanel, ReviewRound, RoundState
from ..selectors import propose_rotation
from .common import PANEL_MINIMUM

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def create_panel(
    *,
    membership: Membership,
    village: Village,
    name: str,
    home_area: Area,
    members: Sequence[tuple["User", str]],
) -> ReviewPanel:
    """A panel of the village (the township office or the village's clerk): `members` is a list of (user, kind)."""
    require(membership, Action.RUN_ROUND, village)
    if len(members) < PANEL_MINIMUM:
        raise DomainError(
            _("A review panel needs at least %(n)d members.") % {"n": PANEL_MINIMUM}, field="members"
        )
    if home_area.village_id != village.pk:
        raise DomainError(_("The home area must be in the panel's village."), field="home_area")
    if len({user.pk for user, _kind in members}) != len(members):
        raise DomainError(_("A person can sit on a panel only once."), field="members")
    if ReviewPanel.objects.filter(village=village, name=name).exists():
        raise DomainError(_("The village already has a panel of this name."), field="name")
    _check_of_village(village, [user for user, _kind in members])
    for _user, kind in members:
        _check_kind(kind)
    with transaction.atomic():
        panel = ReviewPanel.objects.create(
            township_id=village.township_id, village=village, name=name, home_area=home_area
        )
        PanelMember.objects.bulk_create(
            PanelMember(
                township_id=village.township_id, panel=panel, user=user, kind=kind, added_by=membership.user
            )
            for user, kind in members
        )
    return panel


# Members of a panel over the year: seats start and end, never vanish ---------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in PanelMemberKind.values:
        raise DomainError(_("Choose what the member represents on the panel."), field="kind")


def _person(user: "User") -> str:
    return display_name(user)


def _check_of_village(village: Village, users: Sequence["User"], field: str = "members") -> None:
    """Panel seats go to people with the panel member role in the panel's village (of this township: the scope)."""
    of_village = set(
        Membership.objects.filter(role=Role.PANEL_MEMBER, villages=village, user__in=users).values_list(
            "user_id", flat=True
        )
    )
    if strangers := [_person(user) for user in users if user.pk not in of_village]:
        raise DomainError(
            _("Not review panel members of %(village)s: %(names)s. Give them that role first.")
            % {"village": village.name, "names": "、".join(strangers)},
            field=field,
        )


def _check_newcomer(panel: ReviewPanel, user: "User") -> None:
    """A new seat: a panel member of the panel's village (this township), not already sitting on the panel."""
    _check_of_village(panel.village, [user], field="user")
    if PanelMember.objects.current().filter(panel=panel, user=user).exists():
        raise DomainError(
            _("%(person)s already sits on %(panel)s.") % {"person": _person(user), "panel": panel.name},
            field="user",
        )


def _check_end(seat: PanelMember, on: datetime.date, reason: str) -> None:
    if not seat.is_current:
        raise DomainError(_("This seat has already ended."))
    if not reason.strip():
        raise DomainError(_("Say why the member leaves the panel."), field="reason")
    if on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="on")
    if on < seat.since:
        raise DomainError(
            _("The member joined on %(since)s: choose that day or a later one.") % {"since": seat.since},
            field="on",
        )


def _lock_panel(panel: ReviewPanel) -> ReviewPanel:
    return ReviewPanel.objects.select_for_update().select_related("village").get(pk=panel.pk)


def add_panel_member(
    *, membership: Membership, panel: ReviewPanel, user: "User", kind: str, since: datetime.date | None = None
) -> PanelMember:
    """A new seat on the panel from `since` (default today): a panel member of the panel's village."""
    require(membership, Action.RUN_ROUND, panel)
    _check_kind(kind)
    since = since or timezone.localdate()
    if since > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="since")
    with transaction.atomic():
        panel = _lock_panel(panel)
        _check_newcomer(panel, user)
        return PanelMember.objects.create(
            township_id=panel.township_id,
            panel=panel,
            user=user,
            kind=kind,
            since=since,
            added_by=membership.user,
        )


def replace_panel_member(
    *,
    membership: Membership,
    seat: PanelMember,
    user: "User",
    kind: str,
    on: datetime.date,
    reason: str,
) -> PanelMember:
    """Mid-year replacement: `seat` ends on `on` with `reason`; `user` sits from the same day. Both stay on record."""
    require(membership, Action.RUN_ROUND, seat)
    _check_kind(kind)
    _check_end(seat, on, reason)
    with transaction.atomic():
        panel = _lock_panel(seat.panel)
        _check_newcomer(panel, user)
        seat = PanelMember.objects.select_for_update().get(pk=seat.pk)
        _check_end(seat, on, reason)  # a concurrent replacement may have ended it
        newcomer = PanelMember.objects.create(
            township_id=panel.township_id,
            panel=panel,
            user=user,
            kind=kind,
            since=on,
            added_by=membership.user,
        )
        seat.until, seat.end_reason, seat.ended_by = on, reason.strip(), membership.user
        seat.replaced_by = newcomer
        seat.save(update_fields=["until", "end_reason", "ended_by", "replaced_by"])
    return newcomer


def remove_panel_member(*, membership: Membership, seat: PanelMember, on: datetime.date, reason: str) -> None:
    """End a seat without a successor: only while the panel keeps its minimum of current members."""
    require(membership, Action.RUN_ROUND, seat)
    _check_end(seat, on, reason)
    with transaction.atomic():
        panel = _lock_panel(seat.panel)
        seat = PanelMember.objects.select_for_update().get(pk=seat.pk)
        _check_end(seat, on, reason)
        remaining = PanelMember.objects.current().filter(panel=panel).exclude(pk=seat.pk).count()
        if remaining < PANEL_MINIMUM:
            raise DomainError(
                _(
                    "%(panel)s would keep only %(n)d members; a panel needs at least %(min)d. Replace the member "
                    "instead."
                )
                % {"panel": panel.name, "n": remaining, "min": PANEL_MINIMUM},
                code="panel_minimum",
            )
        seat.until, seat.end_reason, seat.ended_by = on, reason.strip(), membership.user
        seat.save(update_fields=["until", "end_reason", "ended_by"])


def assign_panel(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    panel: ReviewPanel,
    area: Area,
) -> PanelAssignment:
    """Cross-review: `panel` inspects `area` in the round (never its own home area)."""
    require(membership, Action.RUN_ROUND, round)
    if round.state not in (RoundState.DRAFT, RoundState.COLLECTING):
        raise DomainError(_("Panels are assigned before the panel review starts."))
    if panel.village_id != round.village_id or area.village_id != round.village_id:
        raise DomainError(_("The panel and the area must belong to the round's village."), field="area")
    if panel.home_area_id == area.pk:
        raise DomainError(
            _("Cross-review: %(panel)s cannot inspect its own home area %(area)s.")
            % {"panel": panel.name, "area": area.name},
            field="area",
            code="own_area",
        )
    assignment, _created = PanelAssignment.objects.update_or_create(
        round=round, area=area, defaults={"panel": panel, "township_id": round.township_id}
    )
    return assignment


def apply_rotation(*, membership: Membership, round: ReviewRound) -> list[PanelAssignment]:  # noqa: A002
    """Assign the proposed rotation (`selectors.propose_rotation`): each area to a panel whose home it is not."""
    require(membership, Action.RUN_ROUND, round)
    proposal = propose_rotation(round)
    if not proposal:
        raise DomainError(
            _("The village needs at least two review panels with different home areas for cross-review.")
        )
    with transaction.atomic():
        return [
            assign_panel(membership=membership, round=round, panel=panel, area=area)
            for panel, area in proposal
        ]
