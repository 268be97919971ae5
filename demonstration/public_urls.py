"""Public pages of the programme's notices (no login), reached by a notice's token: /demonstration/notice/<token>/
for an application's, /demonstration/result/<token>/ for a call's result."""

from .notice_views import public_urlpatterns

app_name = "demonstration_public"
urlpatterns = [*public_urlpatterns]
