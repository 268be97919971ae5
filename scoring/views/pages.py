"""The scoring pages under /t/<township_slug>/scoring/: schemes, the ledger, passbooks, alerts and evidence."""

from . import accounts, entries, limits, passbook, schemes

urlpatterns = [
    *schemes.urlpatterns,
    *entries.urlpatterns,
    *passbook.urlpatterns,
    *accounts.urlpatterns,
    *limits.urlpatterns,
]
