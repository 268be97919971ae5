"""Cross-review on every panel decision: nobody decides about their own household or the households of their own
panel's home area. The township office may decide in the panel's place, or override a conflict, with a reason
that goes into the round's trail."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from core.errors import DomainError
from core.people import display_name
from core.permissions import Action, can, require
from households.models import Household, Membership, Resident

from ..models import ReviewPanel, ReviewRound
from .common import _trail

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CROSS_REVIEW_OVERRIDE = "cross_review_override"  # the trail's name for a township override


def _check_panel_role(membership: Membership, obj: object, override_reason: str) -> bool:
    """Panel work is the panel's; the township office may do it in the panel's place with an override reason.
    True when the township overrides."""
    if not override_reason.strip():
        require(membership, Action.PANEL_WORK, obj)
        return False
    if not can(membership, Action.APPROVE_ROUND, obj):
        require(membership, Action.PANEL_WORK, obj)  # refused first, as without a reason
        raise DomainError(
            _("Only the township office can override cross-review."),
            field="override_reason",
            code="override_not_allowed",
        )
    return True


def _cross_review_conflict(user: "User", household: Household, *, acting: bool) -> DomainError | None:
    """Why `user` may not decide about `household`: they live in it, or they sit on the panel of its own area.
    `acting`: the user is the one asking (the message says "you"), else e.g. an attendee of a meeting."""
    params = {"person": display_name(user), "number": household.number}
    if Resident.objects.filter(household=household, account=user).exists():
        message = (
            _(
                "You are a member of household %(number)s: another panel member must decide, or the township "
                "office may override with a reason."
            )
            if acting
            else _(
                "%(person)s is a member of household %(number)s and cannot vote on it: another panel must "
                "decide, or the township office may override with a reason."
            )
        )
        return DomainError(message % params, field="household", code="conflict_of_interest")
    own_panel = ReviewPanel.objects.filter(
        home_area_id=household.area_id, members__user=user, members__until__isnull=True
    ).first()
    if own_panel is not None:
        params["panel"] = own_panel.name
        message = (
            _(
                "Cross-review: you sit on %(panel)s, the panel of household %(number)s's own area: another panel "
                "must decide, or the township office may override with a reason."
            )
            if acting
            else _(
                "Cross-review: %(person)s sits on %(panel)s, the panel of household %(number)s's own area: "
                "another panel must decide, or the township office may override with a reason."
            )
        )
        return DomainError(message % params, field="household", code="own_area")
    return None


def _require_cross_review(
    *,
    membership: Membership,
    round_: ReviewRound,
    households: Sequence[Household],
    override_reason: str = "",
    deciders: Sequence["User"] | None = None,
    panel: ReviewPanel | None = None,
    decision: str,
) -> None:
    """Every panel decision: nobody decides about their own household or their own area's households (the deciders
    are the acting member unless given, e.g. a meeting's attendees). The township office may override with a
    reason; the override is written into the round's trail. Call inside the decision's transaction."""
    reason = override_reason.strip()
    if reason and not can(membership, Action.APPROVE_ROUND, round_):
        raise DomainError(
            _("Only the township office can override cross-review."),
            field="override_reason",
            code="override_not_allowed",
        )
    conflict = None
    for household in dict.fromkeys(households):  # each once, in order
        if panel is not None and panel.home_area_id == household.area_id:
            conflict = DomainError(
                _(
                    "Cross-review: %(panel)s cannot decide about household %(number)s of its own home area: "
                    "another panel must decide, or the township office may override with a reason."
                )
                % {"panel": panel.name, "number": household.number},
                field="changes",
                code="own_area",
            )
        for user in deciders if deciders is not None else [membership.user]:
            conflict = conflict or _cross_review_conflict(user, household, acting=user == membership.user)
        if conflict is not None:
            break
    if conflict is None and not reason:
        return
    if conflict is not None and not reason:
        raise conflict
    _trail(
        round_,
        move=CROSS_REVIEW_OVERRIDE,
        membership=membership,
        comment=_("%(decision)s, household %(numbers)s: %(reason)s")
        % {
            "decision": decision,
            "numbers": "、".join(h.number for h in dict.fromkeys(households)),
            "reason": reason,
        },
    )
