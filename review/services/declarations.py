"""Declarations (自主申报) of the annual review: a household's own claim, taken at the counter or by a grid worker
on its behalf, and the panel's decision on it (accepted, adjusted, rejected, or false: it then costs double)."""

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Household, Membership
from scoring import services as scoring
from scoring.models import EntrySource, Item

from ..models import Declaration, DeclarationState, ReviewRound, RoundEntry, RoundKind, RoundState
from .changes import _change_proposal
from .common import _require_round_item
from .cross_review import _check_panel_role, _require_cross_review

DECISIONS = {
    DeclarationState.ACCEPTED,
    DeclarationState.REJECTED,
    DeclarationState.ADJUSTED,
    DeclarationState.FALSE,
}


def declare(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    household: Household,
    item: Item,
    occurred_on: datetime.date,
    place: str,
    description: str,
    evidence: Sequence = (),
    on_behalf: bool = False,
) -> Declaration:
    """A household's own claim, taken at the counter or by a grid worker on its behalf (代为申报)."""
    require(membership, Action.RUN_ROUND, round)
    if round.kind != RoundKind.ANNUAL:
        raise DomainError(_("Households declare in the annual review."))
    if round.state != RoundState.COLLECTING:
        raise DomainError(_("Declarations are taken while the round is collecting."), code="illegal_state")
    if household.village_id != round.village_id:
        raise DomainError(_("This household is not in the round's village."), field="household")
    _require_round_item(round, item)
    if not place.strip() or not description.strip():
        raise DomainError(_("Say where it happened and what happened."), field="description")
    if Declaration.objects.filter(
        round=round, household=household, item=item, occurred_on=occurred_on, description=description.strip()
    ).exists():  # a double submit at the counter
        raise DomainError(_("This declaration has already been taken."), code="duplicate")
    with transaction.atomic():
        entry = scoring.record_entry(
            membership=membership,
            household=household,
            item=item,
            occurred_on=occurred_on,
            source=EntrySource.DECLARATION,
            reason=description.strip(),
            evidence=evidence,
        )
        declaration = Declaration.objects.create(
            township_id=round.township_id,
            round=round,
            household=household,
            item=item,
            occurred_on=occurred_on,
            place=place.strip(),
            description=description.strip(),
            on_behalf=on_behalf,
            declared_by=membership.user,
        )
        RoundEntry.objects.create(
            township_id=round.township_id, round=round, entry=entry, declaration=declaration
        )
    return declaration


def decide_declaration(
    *,
    membership: Membership,
    declaration: Declaration,
    decision: str,
    reason: str = "",
    adjusted_item: Item | None = None,
    override_reason: str = "",
) -> Declaration:
    """The panel accepts, rejects, adjusts (another item) or finds a declaration false (it then costs double).
    Cross-review: never by a member of the household or of its own area's panel, unless the township overrides."""
    _check_panel_role(membership, declaration, override_reason)
    round_ = declaration.round
    if round_.state != RoundState.PANEL_REVIEW:
        raise DomainError(_("Declarations are verified during the panel review."), code="illegal_state")
    if decision not in DECISIONS:
        raise DomainError(_("Unknown decision."), field="decision")
    if decision != DeclarationState.ACCEPTED and not reason.strip():
        raise DomainError(_("Give the reason for the decision."), field="reason")
    user = membership.user
    with transaction.atomic():
        _require_cross_review(
            membership=membership,
            round_=round_,
            households=[declaration.household],
            override_reason=override_reason,
            decision=_("Declaration decision"),
        )
        declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if declaration.state != DeclarationState.PENDING:
            raise DomainError(
                _("This declaration is already decided (%(state)s).")
                % {"state": declaration.get_state_display()}
            )
        entry = declaration.round_entry.entry
        if decision == DeclarationState.REJECTED:
            scoring.withdraw_entry(membership=membership, entry=entry, reason=reason)
        elif decision == DeclarationState.ADJUSTED:
            if adjusted_item is None:
                raise DomainError(_("Choose the item the declaration is adjusted to."), field="adjusted_item")
            _change_proposal(
                membership=membership, round_=round_, entry=entry, reason=reason, new_item=adjusted_item
            )
        elif decision == DeclarationState.FALSE:
            penalty = scoring.penalise_false_declaration(membership=membership, entry=entry, reason=reason)
            RoundEntry.objects.create(township_id=round_.township_id, round=round_, entry=penalty)
        declaration.state, declaration.decided_by, declaration.decided_at = decision, user, timezone.now()
        declaration.decision_reason = reason.strip()
        declaration.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    return declaration
