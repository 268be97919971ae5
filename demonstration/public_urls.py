"""Public pages of the programme (no login): the notices, reached by a notice's token (/demonstration/notice/<token>/
for an application's, /demonstration/result/<token>/ for a call's result), and the household's own survey page,
/v/<code>/survey/ (the passbook code and its second factor)."""

from .evaluation_views import public_urlpatterns as survey_urlpatterns
from .notice_views import public_urlpatterns as notice_urlpatterns

app_name = "demonstration_public"
urlpatterns = [*notice_urlpatterns, *survey_urlpatterns]
