"""A household's passbook (行为银行存折), threshold alerts and evidence files.

Everything here is looked up among the households the member sees: another village's or township's household,
alert or file is "not found".
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.files import stored_file_response
from core.permissions import Action, can
from core.views import township_view
from households.models import Resident
from households.selectors import households_visible_to

from .. import selectors, services
from ..models import Entry, Scheme, SchemeState
from ..periods import Cadence
from .common import get_visible, parse_id, render_page, url

ALERTS_PER_PAGE = 50
QUARTERS = (1, 2, 3, 4)


def _default_scheme(schemes: list[Scheme]) -> Scheme | None:
    """This year's active scheme, else the latest one."""
    year = timezone.localdate().year
    active = [s for s in schemes if s.state == SchemeState.ACTIVE and s.year == year]
    return active[0] if active else (schemes[0] if schemes else None)


def _quarters(book: dict, breakdown: list[dict], scheme: Scheme) -> list[dict]:
    """For each quarterly category: net approved points of each quarter of the scheme's year."""
    nets = {(row["category_id"], row["period"]): row["net"] for row in breakdown}
    return [
        {
            "category": category,
            "score": score,
            "quarters": [nets.get((category.pk, f"{scheme.year}-Q{q}")) for q in QUARTERS],
        }
        for category, score in book["categories"]
        if category.cadence == Cadence.QUARTERLY
    ]


@township_view(Action.VIEW)
def passbook(request, township, membership, household_pk):
    household = get_visible(households_visible_to(membership).select_related("village", "area"), household_pk)
    schemes = list(Scheme.objects.order_by("-year", "name", "pk"))
    if (scheme_pk := parse_id(request.GET.get("scheme"))) is not None:
        scheme = next((s for s in schemes if s.pk == scheme_pk), None)
        if scheme is None:
            raise Http404
    else:
        scheme = _default_scheme(schemes)
    context = {
        "household": household,
        "head": Resident.objects.filter(household=household, is_head=True).first(),
        "schemes": schemes,
        "scheme": scheme,
        "can_record": can(membership, Action.RECORD_ENTRY, household),
        "can_issue_code": can(membership, Action.EDIT_ROSTER, household),
        "passbook_code": services.live_code(household),
        "printed_on": timezone.localdate(),
    }
    if scheme is not None:
        book = selectors.passbook(household, scheme)
        # Corrections by entry corrected, read across schemes: a closed year's entry is corrected in the next
        # year's scheme (scoring.closing), and its own year's passbook says so.
        corrected_by = {
            e.corrects_id: e
            for e in Entry.objects.filter(corrects__in=[row["entry"] for row in book["rows"]])
        }
        context.update(
            book=book,
            rows=[{**row, "corrected_by": corrected_by.get(row["entry"].pk)} for row in book["rows"]],
            quarterly=_quarters(book, selectors.quarterly_breakdown(household, scheme), scheme),
            quarters=QUARTERS,
        )
    return render_page(request, "scoring/passbook.html", context)


# Threshold alerts ----------------------------------------------------------------------------------------------


@township_view(Action.VIEW)
def alert_list(request, township, membership):
    page = Paginator(selectors.alerts_visible_to(membership), ALERTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "can_acknowledge": can(membership, Action.RECORD_ENTRY)}
    return render_page(request, "scoring/alert_list.html", context)


@township_view(Action.RECORD_ENTRY)
@require_POST
def alert_acknowledge(request, township, membership, pk):
    alert = get_visible(selectors.alerts_visible_to(membership), pk)
    services.acknowledge_alert(membership=membership, alert=alert)
    messages.success(
        request,
        _("The alert for household %(number)s was acknowledged.") % {"number": alert.household.number},
    )
    return redirect(url(request, "alert-list"))


# Evidence ------------------------------------------------------------------------------------------------------


@township_view(Action.VIEW)
def evidence_download(request, township, membership, pk):
    evidence = get_visible(selectors.evidence_visible_to(membership), pk)
    # Photos inline, PDFs as attachments; nosniff and a sandboxing policy either way (core/files.py).
    return stored_file_response(
        evidence.file, filename=evidence.original_name, content_type=evidence.content_type
    )


urlpatterns = [
    path("households/<int:household_pk>/passbook/", passbook, name="passbook"),
    path("alerts/", alert_list, name="alert-list"),
    path("alerts/<int:pk>/acknowledge/", alert_acknowledge, name="alert-acknowledge"),
    path("evidence/<int:pk>/", evidence_download, name="evidence-download"),
]
