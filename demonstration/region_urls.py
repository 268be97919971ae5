"""County and city pages of the demonstration programme, under /r/<region_slug>/demonstration/."""

from .views import region_urlpatterns

app_name = "demonstration_region"
urlpatterns = [*region_urlpatterns]
