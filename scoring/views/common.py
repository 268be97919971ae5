"""Helpers shared by the scoring pages."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from households.permissions import Action, can

# Ids that arrive in forms or query strings: anything that is not a plausible primary key is "not found".
MAX_ID = 2**31 - 1


def render_page(request, template: str, context: dict | None = None, *, status: int = 200):
    """Render a township page: the base layout needs the township and the membership for its navigation."""
    membership = request.membership
    context = {
        "township": request.township,
        "membership": membership,
        "nav_can_record": can(membership, Action.RECORD_ENTRY),
        **(context or {}),
    }
    return render(request, template, context, status=status)


def url(request, name: str, **kwargs) -> str:
    return reverse(f"scoring:{name}", kwargs={"township_slug": request.township.slug, **kwargs})


def parse_id(value) -> int | None:
    """An id from a form or a query string; None when absent, 404 when it cannot be an id."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def parse_ids(values) -> list[int]:
    """Several ids (ticked boxes), in order and without repeats; 404 if one cannot be an id."""
    ids = [parse_id(v) for v in values if v not in (None, "")]
    return list(dict.fromkeys(ids))


def get_visible(queryset, value):
    """The row of `queryset` (already limited to what the member sees) with this id, or 404."""
    pk = parse_id(value)
    if pk is None:
        raise Http404
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj
