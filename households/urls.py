"""Pages under /t/<township_slug>/. Each view module owns its own patterns."""

from .places import views as places
from .views import importing, jobs, people, roster, township, units, uploads

app_name = "households"
urlpatterns = [
    *roster.urlpatterns,
    *places.urlpatterns,
    *units.urlpatterns,
    *importing.urlpatterns,
    *township.urlpatterns,
    *people.urlpatterns,
    *jobs.urlpatterns,
    *uploads.urlpatterns,
]
