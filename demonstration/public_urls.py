"""The household's own survey page, /v/<code>/survey/ (no login: the passbook code and its second factor)."""

from .evaluation_views import public_urlpatterns

app_name = "demonstration_public"
urlpatterns = [*public_urlpatterns]
