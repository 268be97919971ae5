from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from .tenancy import dangerously_all_townships, render_in_scope


class JifenAdminSite(admin.AdminSite):
    """The Django admin is for superusers across all townships: every admin view opens the explicit bypass."""

    site_header = "Jifen"

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            with dangerously_all_townships():
                return render_in_scope(inner(request, *args, **kwargs))

        wrapper.__name__ = getattr(view, "__name__", "admin_view")
        wrapper.csrf_exempt = getattr(inner, "csrf_exempt", False)
        return wrapper


class JifenAdminConfig(AdminConfig):
    default_site = "households.admin_site.JifenAdminSite"
