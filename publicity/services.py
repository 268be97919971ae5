"""Changes of state in publicity: the township office keeps its incentive policies."""

from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from core.permissions import Action, require
from households.models import Membership
from scoring.models import RankingList

from .models import IncentivePolicy


def _office_only() -> str:
    return _("Only the township office keeps the incentive policies.")


def _check_name(policy: IncentivePolicy) -> None:
    policy.name = (policy.name or "").strip()
    if not policy.name:
        raise DomainError(_("Give the policy a name, e.g. 积分贷 or 就医绿色通道."), field="name")
    taken = IncentivePolicy.objects.filter(township_id=policy.township_id, name=policy.name)
    if taken.exclude(pk=policy.pk).exists():
        raise DomainError(_("The township already has a policy of this name: choose another."), field="name")


def _apply(policy: IncentivePolicy, fields: dict[str, object]) -> IncentivePolicy:
    for name, value in fields.items():
        setattr(policy, name, value)
    _check_name(policy)
    if policy.min_stars not in (3, 4, 5):
        raise DomainError(_("Choose 3, 4 or 5 stars."), field="min_stars")
    if policy.min_total is not None and policy.min_total < 0:
        raise DomainError(_("The least annual total cannot be negative."), field="min_total")
    if policy.account_list not in RankingList.values:
        raise DomainError(_("Choose whose list this is."), field="account_list")
    if policy.top is not None and policy.account_list == RankingList.HOUSEHOLD:
        raise DomainError(
            _(
                "Star households qualify by their stars: the first so many of a ranking is for the other lists."
            ),
            field="top",
        )
    full_clean_or_raise(policy)
    policy.save()
    return policy


def create_policy(
    *,
    membership: Membership,
    name: str,
    partner: str = "",
    benefit: str = "",
    description: str = "",
    min_stars: int = 3,
    min_total: Decimal | None = None,
    party_members_only: bool = False,
    account_list: str = RankingList.HOUSEHOLD,
    top: int | None = None,
) -> IncentivePolicy:
    """A new incentive policy of the member's township."""
    require(membership, Action.MANAGE_REWARDS, message=_office_only())
    policy = IncentivePolicy(township_id=membership.township_id, created_by=membership.user)
    return _apply(
        policy,
        {
            "name": name,
            "partner": partner,
            "benefit": benefit,
            "description": description,
            "min_stars": min_stars,
            "min_total": min_total,
            "party_members_only": party_members_only,
            "account_list": account_list,
            "top": top,
        },
    )


def update_policy(*, membership: Membership, policy: IncentivePolicy, **fields: object) -> IncentivePolicy:
    """Change a policy's name, partner, benefit, description or rule (`active` too, to bring one back)."""
    require(membership, Action.MANAGE_REWARDS, policy, message=_office_only())
    allowed = {
        "name",
        "partner",
        "benefit",
        "description",
        "min_stars",
        "min_total",
        "party_members_only",
        "account_list",
        "top",
        "active",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    return _apply(policy, fields)


def deactivate_policy(*, membership: Membership, policy: IncentivePolicy) -> IncentivePolicy:
    """Stop a policy: it stays listed (inactive) with its rule, and its list can still be printed."""
    require(membership, Action.MANAGE_REWARDS, policy, message=_office_only())
    policy.active = False
    policy.save(update_fields=["active"])
    return policy
