"""The use of an award as one printed document: the award, every spending and reversal, and the region's checks
(WeasyPrint through core.pdf, in Chinese: it goes into the programme's files)."""

from django.utils import timezone

from core.pdf import render_pdf
from core.tenancy import township_scope
from core.vocabulary import in_language

from . import selectors
from .models import Application


def award_use_pdf(application: Application) -> tuple[bytes, str]:
    """(PDF, file name) of the village's spending and the checks of its award."""
    with township_scope(application.township), in_language("zh-hans"):
        context = {
            "application": application,
            "balance": selectors.award_balance(application),
            "spending": selectors.award_spending(application),
            "checks": selectors.award_checks(application),
            "misuse": selectors.misuse_flags([application.pk]).get(application.pk),
            "issued_on": timezone.localdate(),
        }
        content = render_pdf("demonstration/award_pdf.html", context)
    return content, f"award-use-{application.pk}.pdf"
