"""The platform's pages for superusers, under /platform/ (not inside any township)."""

from .views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
