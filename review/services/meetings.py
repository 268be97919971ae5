"""Meetings: the panel meeting that verifies the proposals (quorum: more than half of the panel and at least five),
and the annual review's representatives' meeting. Each may change proposals with a reason."""

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Membership

from ..models import Meeting, MeetingKind, PanelMember, ReviewPanel, ReviewRound, RoundState
from .changes import _change_proposal
from .common import PANEL_MINIMUM, _require_any
from .cross_review import _require_cross_review

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def record_panel_meeting(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    panel: ReviewPanel,
    held_on: datetime.date,
    attendees: Sequence["User"],
    notes: str = "",
    changes: Sequence[dict[str, Any]] = (),
    override_reason: str = "",
) -> Meeting:
    """The whole panel verifies the proposals (recorded by the clerk or a panel member). Quorum: more than half of
    the panel and at least five people. `changes` are dicts {entry, reason, new_item (optional)}; every other
    proposal stands confirmed. The changes are the meeting's vote: cross-review refuses changes to households of
    the panel's own area or of an attendee's own household (or own area's panel), unless the township overrides
    with a reason."""
    _require_any(membership, round, Action.RUN_ROUND, Action.PANEL_WORK)
    if round.state != RoundState.PANEL_REVIEW:
        raise DomainError(_("The panel meeting is recorded during the panel review."), code="illegal_state")
    if panel.village_id != round.village_id:
        raise DomainError(_("This panel is not of the round's village."), field="panel")
    members = set(PanelMember.objects.current().filter(panel=panel).values_list("user_id", flat=True))
    present = {user.pk for user in attendees}
    if strangers := present - members:
        raise DomainError(
            _("%(n)d of the attendees are not members of this panel.") % {"n": len(strangers)},
            field="attendees",
        )
    if not (len(present) * 2 > len(members) and len(present) >= PANEL_MINIMUM):
        raise DomainError(
            _(
                "No quorum: %(present)d of %(members)d panel members attended; more than half and at least %(min)d are needed."
            )
            % {"present": len(present), "members": len(members), "min": PANEL_MINIMUM},
            field="attendees",
            code="no_quorum",
        )
    with transaction.atomic():
        meeting = Meeting.objects.create(
            township_id=round.township_id,
            round=round,
            kind=MeetingKind.PANEL,
            panel=panel,
            held_on=held_on,
            notes=notes.strip(),
            recorded_by=membership.user,
        )
        meeting.attendees.set(list(present))
        if changes:
            _require_cross_review(
                membership=membership,
                round_=round,
                households=[change["entry"].household for change in changes],
                override_reason=override_reason,
                deciders=list(attendees),
                panel=panel,
                decision=_("Panel meeting of %(panel)s") % {"panel": panel.name},
            )
        for change in changes:
            _change_proposal(membership=membership, round_=round, meeting=meeting, **change)
    return meeting


def record_representatives_meeting(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    held_on: datetime.date,
    attendee_names: str,
    township_staff: str,
    notes: str = "",
    changes: Sequence[dict[str, Any]] = (),
) -> Meeting:
    """Annual review: the party members' and villagers' representatives review openly, township staff present."""
    require(membership, Action.RUN_ROUND, round)
    if round.state != RoundState.REPRESENTATIVES:
        raise DomainError(
            _("The representatives' meeting is recorded at its step of the annual review."),
            code="illegal_state",
        )
    if not attendee_names.strip():
        raise DomainError(_("List who attended."), field="attendee_names")
    if not township_staff.strip():
        raise DomainError(_("Name the township staff who supervised the meeting."), field="township_staff")
    with transaction.atomic():
        meeting = Meeting.objects.create(
            township_id=round.township_id,
            round=round,
            kind=MeetingKind.REPRESENTATIVES,
            held_on=held_on,
            attendee_names=attendee_names.strip(),
            township_staff=township_staff.strip(),
            notes=notes.strip(),
            recorded_by=membership.user,
        )
        # Not a panel decision: the representatives decide in the open, township staff present (no cross-review).
        for change in changes:
            _change_proposal(membership=membership, round_=round, meeting=meeting, **change)
    return meeting
