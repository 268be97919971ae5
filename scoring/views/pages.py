"""The scoring pages under /t/<township_slug>/scoring/: schemes, the ledger, passbooks, alerts, evidence and roles."""

from . import accounts, entries, life, limits, passbook, roles, schemes

urlpatterns = [
    *schemes.urlpatterns,
    *entries.urlpatterns,
    *passbook.urlpatterns,
    *accounts.urlpatterns,
    *limits.urlpatterns,
    *roles.urlpatterns,
    *life.urlpatterns,
]
