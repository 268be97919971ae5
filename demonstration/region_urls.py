"""County and city pages of the demonstration programme, under /r/<region_slug>/demonstration/."""

from .award_views import region_urlpatterns as award_region_urlpatterns
from .notice_views import region_urlpatterns as notice_urlpatterns
from .views import region_urlpatterns

app_name = "demonstration_region"
urlpatterns = [*region_urlpatterns, *notice_urlpatterns, *award_region_urlpatterns]
