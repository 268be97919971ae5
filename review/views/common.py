"""Helpers shared by the review pages."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.permissions import Action, can, check
from core.views import get_visible, parse_id, render_page  # noqa: F401 — the review pages' helpers

from .. import selectors
from ..models import ReviewRound


def url(request, name: str, **kwargs) -> str:
    return reverse(f"review:{name}", kwargs={"township_slug": request.township.slug, **kwargs})


def get_round(membership, pk) -> ReviewRound:
    """A round of the member's villages, or 404 (another township's or village's round is "not found")."""
    return get_visible(
        selectors.rounds_visible_to(membership).select_related("village", "scheme", "created_by"), pk
    )


def require_any(membership, obj, *actions: Action) -> None:
    """The entry gate of a page whose form one of several roles uses: 403 unless the member may do one of
    `actions` to `obj` (404 first if they cannot even see it). The service checks its own right when it is sent."""
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
