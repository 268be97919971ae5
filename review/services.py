"""Changes to review panels (rounds come with the review issue)."""

from django.db import transaction
from django.utils.translation import gettext as _

from households.errors import DomainError
from households.models import Area, Village

from .models import PanelMember, ReviewPanel

PANEL_MINIMUM = 5  # seed 1: 评议小组不少于5人


def create_panel(*, actor, village: Village, name: str, home_area: Area, members: list[tuple]) -> ReviewPanel:
    """`members` is a list of (user, kind). The acting user is recorded by the history of the memberships."""
    if len(members) < PANEL_MINIMUM:
        raise DomainError(
            _("A review panel needs at least %(n)d members.") % {"n": PANEL_MINIMUM}, field="members"
        )
    if home_area.village_id != village.pk:
        raise DomainError(_("The home area must be in the panel's village."), field="home_area")
    with transaction.atomic():
        panel = ReviewPanel.objects.create(
            township_id=village.township_id, village=village, name=name, home_area=home_area
        )
        PanelMember.objects.bulk_create(
            PanelMember(township_id=village.township_id, panel=panel, user=user, kind=kind)
            for user, kind in members
        )
    return panel
