"""Scoring pages under /t/<township_slug>/scoring/."""

from .views import pages

app_name = "scoring"
urlpatterns = [*pages.urlpatterns]
