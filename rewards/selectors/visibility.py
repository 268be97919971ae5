"""What a member sees of the rewards (pages and API alike)."""

from django.db.models import QuerySet

from core.permissions import restrict_to_visible, sees_household_records
from households.models import Membership
from scoring.models import Account

from ..models import (
    Budget,
    Product,
    Redemption,
    RewardAllocation,
    Shop,
    StarResult,
    StarRun,
)


def visible_to(
    membership: Membership, queryset: QuerySet, village_field: str, *, household_record: bool = False
) -> QuerySet:
    """The rows of the villages the member sees; a household's own records are none of a county viewer's business."""
    if household_record and not sees_household_records(membership):
        return queryset.none()
    return restrict_to_visible(membership, queryset, village_field=village_field)


def budgets_visible_to(membership: Membership) -> QuerySet[Budget]:
    return visible_to(membership, Budget.objects.all(), "village")


def shops_visible_to(membership: Membership) -> QuerySet[Shop]:
    return visible_to(membership, Shop.objects.all(), "village")


def products_visible_to(membership: Membership) -> QuerySet[Product]:
    return visible_to(membership, Product.objects.all(), "shop__village")


def redemptions_visible_to(membership: Membership) -> QuerySet[Redemption]:
    return visible_to(membership, Redemption.objects.all(), "shop__village", household_record=True)


def allocations_visible_to(membership: Membership) -> QuerySet[RewardAllocation]:
    return visible_to(membership, RewardAllocation.objects.all(), "budget__village", household_record=True)


def star_results_visible_to(membership: Membership, run: StarRun) -> QuerySet[StarResult]:
    return visible_to(membership, StarResult.objects.filter(run=run), "village", household_record=True)


def accounts_visible_to(membership: Membership) -> QuerySet[Account]:
    """The points accounts (of every kind) the member sees: the counter serves these."""
    return restrict_to_visible(membership, Account.objects.all())
