from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

from .tenancy import dangerously_all_townships, render_in_scope


class JifenAdminSite(admin.AdminSite):
    """The Django admin is for superusers across all townships: every admin view opens the explicit bypass."""

    site_header = "Jifen"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            with dangerously_all_townships():
                return render_in_scope(inner(request, *args, **kwargs))

        wrapper.__name__ = getattr(view, "__name__", "admin_view")
        wrapper.csrf_exempt = getattr(inner, "csrf_exempt", False)  # type: ignore[attr-defined]
        return wrapper


class JifenAdminConfig(AdminConfig):
    default_site = "core.admin_site.JifenAdminSite"
