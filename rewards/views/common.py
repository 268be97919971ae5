"""Helpers shared by the rewards pages (the review pages' helpers, reused)."""

from django.urls import reverse
from django.utils import timezone

from households.permissions import restrict_to_visible
from review.views.common import get_visible, parse_id, render_page, require_any

from ..models import Budget, Product, Redemption, RewardAllocation, Shop

__all__ = ["get_visible", "parse_id", "render_page", "require_any", "url", "this_year", "year_of"]


def url(request, name: str, **kwargs) -> str:
    return reverse(f"rewards:{name}", kwargs={"township_slug": request.township.slug, **kwargs})


def this_year() -> int:
    return timezone.localdate().year


def year_of(request) -> int:
    """The year asked for in ?year=, else this year."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return this_year()
    return year if 2000 <= year <= 2100 else this_year()


def budgets_visible_to(membership):
    return restrict_to_visible(membership, Budget.objects.select_related("village"))


def shops_visible_to(membership):
    return restrict_to_visible(membership, Shop.objects.select_related("village"))


def products_visible_to(membership):
    return restrict_to_visible(
        membership, Product.objects.select_related("shop", "shop__village"), "shop__village"
    )


def redemptions_visible_to(membership):
    return restrict_to_visible(
        membership,
        Redemption.objects.select_related("shop", "household", "created_by", "reverses"),
        "shop__village",
    )


def allocations_visible_to(membership):
    return restrict_to_visible(membership, RewardAllocation.objects.all(), "budget__village")
