"""Township pages of the demonstration programme, under /t/<township_slug>/demonstration/."""

from .views import urlpatterns as page_urlpatterns

app_name = "demonstration"
urlpatterns = [*page_urlpatterns]
