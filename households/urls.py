"""Pages under /t/<township_slug>/. Each view module owns its own patterns."""

from .views import importing, jobs, roster, township

app_name = "households"
urlpatterns = [*roster.urlpatterns, *importing.urlpatterns, *township.urlpatterns, *jobs.urlpatterns]
