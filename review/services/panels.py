"""Review panels (评议小组) and cross-review assignments: which panel inspects which area of a round's village."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Area, Membership, Village

from ..models import PanelAssignment, PanelMember, ReviewPanel, ReviewRound, RoundState
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
    with transaction.atomic():
        panel = ReviewPanel.objects.create(
            township_id=village.township_id, village=village, name=name, home_area=home_area
        )
        PanelMember.objects.bulk_create(
            PanelMember(township_id=village.township_id, panel=panel, user=user, kind=kind)
            for user, kind in members
        )
    return panel


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
