"""Page helpers: the one way a page enters a township (fetch-and-check the membership, then run inside the
township scope), rendering a township page, and ids from URLs, forms and query strings."""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .permissions import Action, can, enter_township, request_memberships
from .tenancy import render_in_scope, township_scope


def _enter(request: Any, slug: str, action: Action | None) -> tuple[Any, Any]:
    township, membership = enter_township(request.user, slug, memberships=request_memberships(request))
    request.township, request.membership = township, membership
    if action is not None and not can(membership, action):
        raise PermissionDenied(_("Your role does not allow this."))
    return township, membership


class TownshipMixin:
    """For class-based views under /t/<township_slug>/. `required_action` is checked before anything else runs."""

    required_action: Action | None = Action.VIEW

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.township, self.membership = _enter(request, kwargs["township_slug"], self.required_action)
        with township_scope(self.township):
            return render_in_scope(super().dispatch(request, *args, **kwargs))  # type: ignore[misc]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(township=self.township, membership=self.membership)
        return context


def township_view(action: Action | None = Action.VIEW) -> Callable[[Callable], Callable]:
    """The same for function views: `view(request, township, membership, **kwargs)`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: Any, township_slug: str, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            township, membership = _enter(request, township_slug, action)
            with township_scope(township):
                return render_in_scope(view(request, township, membership, *args, **kwargs))

        return wrapper

    return decorator


# Ids that arrive in URLs, forms or query strings: anything that is not a plausible primary key (PostgreSQL's
# bigint, DEFAULT_AUTO_FIELD) is "not found", never a database error.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """An id from a URL, a form or a query string; None when absent, 404 when it cannot be an id."""
    if value in (None, ""):
        return None
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def parse_ids(values: Iterable[object]) -> list[int]:
    """Several ids (ticked boxes), in order and without repeats; 404 if one cannot be an id."""
    ids = [pk for v in values if (pk := parse_id(v)) is not None]
    return list(dict.fromkeys(ids))


def get_visible(queryset: QuerySet, value: object) -> Any:
    """The row of `queryset` (already limited to what the member sees) with this id, or 404."""
    pk = parse_id(value)
    obj = None if pk is None else queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def render_page(request: Any, template: str, context: dict | None = None, **kwargs: Any) -> HttpResponse:
    """Render a township page: the base layout needs the township and the membership for its navigation."""
    context = {"township": request.township, "membership": request.membership, **(context or {})}
    return render(request, template, context, **kwargs)
