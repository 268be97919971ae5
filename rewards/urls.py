"""Rewards pages under /t/<township_slug>/rewards/."""

from .views import urlpatterns as page_urlpatterns

app_name = "rewards"
urlpatterns = [*page_urlpatterns]
