"""Pages of an award's use (seed 3: 专款专用).

Township pages under /t/<township_slug>/demonstration/applications/<pk>/award/: the balance, the spending with its
invoices and reversals, the region's checks, and the form to record a spending. Region pages under
/r/<region_slug>/demonstration/award/: the awarded villages the county or city sees with their balance and misuse
flags, each village's spending with the form to record a check, and the printed document. Every change goes through
`demonstration.services.award`, which checks the member's right; the pages fetch what the member sees first (404).
"""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can, can_in_region
from core.tenancy import township_scope
from core.views import parse_id, township_view
from households.forms import add_domain_error

from . import selectors, services
from .award_document import award_use_pdf
from .forms import CheckForm, ReverseSpendingForm, SpendingForm
from .models import ApplicationState, AwardSpending
from .services.award import CHECK_RIGHT, SPEND_RIGHT
from .views import _page, _region_application, _township_application, r_url, region_view, t_url


def _award_context(application, invoice_url) -> dict:
    """What both sides show (read inside the application's township scope); `invoice_url(item)` links an invoice."""
    spending = selectors.award_spending(application)
    for item in spending:
        item.invoice_url = invoice_url(item) if item.invoice else ""
    return {
        "application": application,
        "awarded": application.state == ApplicationState.AWARDED,
        "balance": selectors.award_balance(application),
        "spending": spending,
        "checks": selectors.award_checks(application),
        "misuse": selectors.misuse_flags([application.pk]).get(application.pk),
    }


def _spending_of(application, spending_pk) -> AwardSpending:
    spending = AwardSpending.objects.filter(application=application, pk=parse_id(spending_pk)).first()
    if spending is None:
        raise Http404
    return spending


def _invoice(spending: AwardSpending):
    if not spending.invoice:
        raise Http404
    try:
        handle = spending.invoice.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=spending.invoice_name, content_type=spending.invoice_content_type
    )


def _pdf(request, application, back_url: str):
    try:
        content, filename = award_use_pdf(application)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back_url)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    return response


# Township pages ------------------------------------------------------------------------------------------------


@township_view(Action.VIEW)
def township_award(request, township, membership, pk):
    application = _township_application(membership, pk)
    url = t_url(township, "award", pk=application.pk)
    form = SpendingForm(
        request.POST or None, request.FILES or None, initial={"spent_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_spending(membership=membership, application=application, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The spending was recorded."))
            return redirect(url)
    context = {
        "township": township,
        "membership": membership,
        **_award_context(
            application, lambda item: t_url(township, "award-invoice", pk=application.pk, spending_pk=item.pk)
        ),
        "form": form,
        "can_spend": can(membership, SPEND_RIGHT, application),
        "reverse_url": t_url(township, "award-reverse", pk=application.pk),
        "pdf_url": t_url(township, "award-pdf", pk=application.pk),
        "back_url": t_url(township, "application", pk=application.pk),
    }
    return render(request, "demonstration/award_township.html", context)


@township_view(Action.VIEW)
def township_award_reverse(request, township, membership, pk):
    application = _township_application(membership, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    url = t_url(township, "award", pk=application.pk)
    form = ReverseSpendingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the spending is reversed."))
        return redirect(url)
    spending = _spending_of(application, form.cleaned_data["spending"])
    try:
        services.reverse_spending(
            membership=membership, spending=spending, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The spending was reversed."))
    return redirect(url)


@township_view(Action.VIEW)
def township_award_invoice(request, township, membership, pk, spending_pk):
    return _invoice(_spending_of(_township_application(membership, pk), spending_pk))


@township_view(Action.VIEW)
def township_award_pdf(request, township, membership, pk):
    application = _township_application(membership, pk)
    return _pdf(request, application, t_url(township, "award", pk=application.pk))


urlpatterns = [
    path("applications/<int:pk>/award/", township_award, name="award"),
    path("applications/<int:pk>/award/reverse/", township_award_reverse, name="award-reverse"),
    path(
        "applications/<int:pk>/award/invoices/<int:spending_pk>/",
        township_award_invoice,
        name="award-invoice",
    ),
    path("applications/<int:pk>/award/pdf/", township_award_pdf, name="award-pdf"),
]


# Region pages --------------------------------------------------------------------------------------------------


@region_view()
def region_award_list(request, region, region_membership):
    context = {"rows": selectors.awarded_for_region(region)}
    return _page(request, region, region_membership, "demonstration/award_region_list.html", context)


@region_view()
def region_award(request, region, region_membership, pk):
    application = _region_application(region, pk)
    url = r_url(region, "award", pk=application.pk)
    with township_scope(application.township):
        spending = [item for item in selectors.award_spending(application) if not item.is_reversal]
        form = CheckForm(
            request.POST or None, spending=spending, initial={"checked_on": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.record_check(
                    membership=region_membership, application=application, **form.cleaned_data
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The check was recorded."))
                return redirect(url)
        context = {
            **_award_context(
                application,
                lambda item: r_url(region, "award-invoice", pk=application.pk, spending_pk=item.pk),
            ),
            "form": form,
            "can_check": can_in_region(region_membership, CHECK_RIGHT, region),
            "pdf_url": r_url(region, "award-pdf", pk=application.pk),
            "back_url": r_url(region, "award-list"),
        }
        return _page(request, region, region_membership, "demonstration/award_region.html", context)


@region_view()
def region_award_invoice(request, region, region_membership, pk, spending_pk):
    application = _region_application(region, pk)
    with township_scope(application.township):
        return _invoice(_spending_of(application, spending_pk))


@region_view()
def region_award_pdf(request, region, region_membership, pk):
    application = _region_application(region, pk)
    return _pdf(request, application, r_url(region, "award", pk=application.pk))


region_urlpatterns = [
    path("award/", region_award_list, name="award-list"),
    path("applications/<int:pk>/award/", region_award, name="award"),
    path(
        "applications/<int:pk>/award/invoices/<int:spending_pk>/", region_award_invoice, name="award-invoice"
    ),
    path("applications/<int:pk>/award/pdf/", region_award_pdf, name="award-pdf"),
]
