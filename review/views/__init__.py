"""The review pages under /t/<township_slug>/review/: worklist, rounds, cross-review assignments, inspections,
declarations, meetings, objections, the township's approvals, and a class's daily record and weekly summary."""

from . import (
    appeals,
    assignments,
    claims,
    daily,
    declarations,
    inspections,
    meetings,
    objections,
    panels,
    rounds,
    weekly,
)

urlpatterns = [
    *rounds.urlpatterns,
    *assignments.urlpatterns,
    *panels.urlpatterns,
    *inspections.urlpatterns,
    *declarations.urlpatterns,
    *meetings.urlpatterns,
    *objections.urlpatterns,
    *claims.urlpatterns,
    *appeals.urlpatterns,
    *daily.urlpatterns,
    *weekly.urlpatterns,
]
