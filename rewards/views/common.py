"""Helpers shared by the rewards pages (the review pages' helpers, reused; what a member sees is the selectors')."""

from django.urls import reverse
from django.utils import timezone

from review.views.common import get_visible, parse_id, render_page, require_any

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
