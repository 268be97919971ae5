"""Pages under /t/<township_slug>/. Each view module owns its own patterns."""

from .views import importing, jobs, people, roster, township, units

app_name = "households"
urlpatterns = [
    *roster.urlpatterns,
    *units.urlpatterns,
    *importing.urlpatterns,
    *township.urlpatterns,
    *people.urlpatterns,
    *jobs.urlpatterns,
]
