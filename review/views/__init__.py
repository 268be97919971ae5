"""The review pages under /t/<township_slug>/review/: worklist, rounds, cross-review assignments, inspections,
declarations, meetings, objections and the township's approvals."""

from . import appeals, assignments, claims, declarations, inspections, meetings, objections, rounds

urlpatterns = [
    *rounds.urlpatterns,
    *assignments.urlpatterns,
    *inspections.urlpatterns,
    *declarations.urlpatterns,
    *meetings.urlpatterns,
    *objections.urlpatterns,
    *claims.urlpatterns,
    *appeals.urlpatterns,
]
