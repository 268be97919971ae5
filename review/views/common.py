"""Helpers shared by the review pages."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from households.permissions import Action, can, check

from .. import selectors
from ..models import ReviewRound

# Ids that arrive in URLs or forms: anything that is not a plausible primary key is "not found".
MAX_ID = 2**31 - 1


def render_page(request, template: str, context: dict | None = None, *, status: int = 200):
    """Render a township page: the base layout needs the township and the membership for its navigation."""
    context = {"township": request.township, "membership": request.membership, **(context or {})}
    return render(request, template, context, status=status)


def url(request, name: str, **kwargs) -> str:
    return reverse(f"review:{name}", kwargs={"township_slug": request.township.slug, **kwargs})


def parse_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def get_visible(queryset, pk):
    """The row of `queryset` (already limited to what the member sees) with this id, or 404."""
    obj = queryset.filter(pk=parse_id(pk)).first()
    if obj is None:
        raise Http404
    return obj


def get_round(membership, pk) -> ReviewRound:
    """A round of the member's villages, or 404 (another township's or village's round is "not found")."""
    return get_visible(
        selectors.rounds_visible_to(membership).select_related("village", "scheme", "created_by"), pk
    )


def require_any(membership, obj, *actions: Action) -> None:
    """403 unless the member may do one of `actions` to `obj` (404 first if they cannot even see it)."""
    if any(can(membership, action, obj) for action in actions):
        return
    check(membership, actions[0], obj)  # raises 404 or 403 with the usual message
    raise PermissionDenied(_("Your role does not allow this."))


def round_url(request, round_: ReviewRound) -> str:
    return url(request, "round-detail", pk=round_.pk)


def back(request, default: str):
    """Redirect to the page the form came from (`next`, same site only) or to `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)
