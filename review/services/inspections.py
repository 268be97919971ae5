"""Inspections (现场查看): a panel member's visit to a household of an area their panel is assigned to, each finding
becoming a proposal of the round."""

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from households.models import Household, Membership
from scoring import services as scoring
from scoring.models import EntrySource
from scoring.periods import Cadence, period_of

from ..models import Inspection, PanelAssignment, ReviewRound, RoundEntry, RoundKind, RoundState
from .common import _require_round_item
from .cross_review import _check_panel_role, _require_cross_review


def record_inspection(
    *,
    membership: Membership,
    round: ReviewRound,  # noqa: A002
    household: Household,
    inspected_on: datetime.date,
    findings: Sequence[dict[str, Any]] = (),
    comment: str = "",
    override_reason: str = "",
) -> Inspection:
    """A panel member's visit: findings are dicts {item, comment, evidence: [files], idempotency_key}; each becomes
    a proposal. With `override_reason` the township office records it in the assigned panel's place (cross-review
    override)."""
    overriding = _check_panel_role(membership, round, override_reason)
    user = membership.user
    if round.state != RoundState.COLLECTING:
        raise DomainError(_("Inspections are recorded while the round is collecting."), code="illegal_state")
    if household.village_id != round.village_id:
        raise DomainError(_("This household is not in the round's village."), field="household")
    assigned = PanelAssignment.objects.filter(
        round=round, panel__members__user=user, panel__members__until__isnull=True, area_id=household.area_id
    )
    if not overriding and not assigned.exists():
        raise DomainError(
            _("Your panel is not assigned to area %(area)s in this round.") % {"area": household.area.name},
            field="household",
            code="not_assigned",
        )
    if round.kind == RoundKind.QUARTERLY and period_of(Cadence.QUARTERLY, inspected_on) != round.period:
        raise DomainError(
            _("The inspection date must fall in %(period)s.") % {"period": round.get_period_display()},
            field="inspected_on",
        )
    with transaction.atomic():
        _require_cross_review(
            membership=membership,
            round_=round,
            households=[household],
            override_reason=override_reason,
            decision=_("Inspection"),
        )
        inspection, _created = Inspection.objects.get_or_create(
            round=round,
            household=household,
            defaults={
                "township_id": round.township_id,
                "inspector": user,
                "inspected_on": inspected_on,
                "comment": comment.strip(),
            },
        )
        for finding in findings:
            item = finding["item"]
            if round.kind == RoundKind.QUARTERLY and item.category.cadence != Cadence.QUARTERLY:
                raise DomainError(
                    _(
                        "%(item)s belongs to an annual category; a quarterly inspection records quarterly items only."
                    )
                    % {"item": item.name},
                    field="item",
                )
            _require_round_item(round, item)
            entry = scoring.record_entry(
                membership=membership,
                household=household,
                item=item,
                occurred_on=inspected_on,
                source=EntrySource.INSPECTION,
                reason=finding.get("comment", ""),
                evidence=finding.get("evidence", ()),
                idempotency_key=finding.get("idempotency_key", ""),
            )
            RoundEntry.objects.get_or_create(
                entry=entry,
                defaults={"township_id": round.township_id, "round": round, "inspection": inspection},
            )
    return inspection
