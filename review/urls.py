"""Review pages under /t/<township_slug>/review/."""

from .views import urlpatterns as page_urlpatterns

app_name = "review"
urlpatterns = [*page_urlpatterns]
