"""Helpers shared by the scoring pages."""

from django.urls import reverse

from core.views import get_visible, parse_id, parse_ids, render_page  # noqa: F401 — the scoring pages' helpers


def url(request, name: str, **kwargs) -> str:
    return reverse(f"scoring:{name}", kwargs={"township_slug": request.township.slug, **kwargs})
