"""The township scope. Every tenant-owned model uses `TownshipScopedManager`: a query outside a scope raises
`ScopeError` (fails closed). Pages, API and tasks open the scope with `township_scope`; code that truly spans
townships (admin, county views, management commands) opens `dangerously_all_townships` — greppable on purpose.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django_scopes import ScopedManager, scope, scopes_disabled
from django_scopes.exceptions import ScopeError
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import state

from .vocabulary import OrganisationKind, organisation

__all__ = [
    "ScopeError",
    "TownshipScopedManager",
    "dangerously_all_townships",
    "membership_model",
    "no_township_scope",
    "render_in_scope",
    "township_model",
    "township_scope",
]


def TownshipScopedManager(queryset_class: type[models.QuerySet] = models.QuerySet) -> Any:  # noqa: N802
    """A manager filtered to the active township; raises ScopeError when none is active."""
    manager = ScopedManager(_manager_class=models.Manager.from_queryset(queryset_class), township="township")
    custom = [
        name
        for name in vars(queryset_class)
        if not name.startswith("_")
        and callable(getattr(queryset_class, name))
        and not hasattr(models.QuerySet, name)
    ]
    if not custom:
        return manager
    # django-scopes' disabled queryset only knows QuerySet's own methods: refuse the custom ones too.
    disabled = type(
        f"Disabled{queryset_class.__name__}",
        (DisabledQuerySet,),
        dict.fromkeys(custom, DisabledQuerySet.error),
    )
    base_get_queryset = manager.__class__.get_queryset

    def get_queryset(self: Any) -> models.QuerySet:
        queryset = base_get_queryset(self)
        if isinstance(queryset, DisabledQuerySet):
            queryset.__class__ = disabled
        return queryset

    manager.__class__ = type(manager.__class__.__name__, (manager.__class__,), {"get_queryset": get_queryset})
    return manager


@contextmanager
def township_scope(township: models.Model | None) -> Iterator[None]:
    # django-scopes treats a None value as "no filter": refuse it so a missing township never widens the scope.
    if township is None or getattr(township, "pk", None) is None:
        raise ScopeError("township_scope needs a saved Township, got %r" % (township,))
    kind = getattr(township, "kind", OrganisationKind.TOWNSHIP)
    with scope(township=township), organisation(kind, getattr(township, "timezone", None)):
        yield


@contextmanager
def dangerously_all_townships() -> Iterator[None]:
    """Every township at once: only for the admin, cross-township views and management commands."""
    with scopes_disabled():
        yield


@contextmanager
def no_township_scope() -> Iterator[None]:
    """Force 'no scope' (e.g. around each request), whatever the caller had open."""
    token = state.set({"_enabled": True})
    try:
        yield
    finally:
        state.reset(token)


def render_in_scope(response: Any) -> Any:
    """Template responses render lazily: render them while the township scope is still open."""
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    return response


def township_model() -> Any:
    """The tenant model (`settings.JIFEN_TOWNSHIP_MODEL`, the roster's Township), looked up like AUTH_USER_MODEL."""
    return apps.get_model(settings.JIFEN_TOWNSHIP_MODEL, require_ready=False)


def membership_model() -> Any:
    """A user's place in a township (`settings.JIFEN_MEMBERSHIP_MODEL`, the roster's Membership)."""
    return apps.get_model(settings.JIFEN_MEMBERSHIP_MODEL, require_ready=False)
