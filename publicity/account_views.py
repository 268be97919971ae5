"""A villager's or a unit's passbook (issue 14, items 5 and 6): printed as PDF, and its QR code for the account's
own page issued (printed with it, the one time the code exists) or revoked. A family's is its household's
(publicity.views). Everything is looked up among the accounts the member sees."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action, restrict_to_visible
from core.views import township_view
from scoring import services as scoring_services
from scoring.models import Account, AccountKind, Scheme, SchemeState

from .documents import account_passbook_pdf


def _account(membership, pk) -> Account:
    accounts = restrict_to_visible(membership, Account.objects.exclude(kind=AccountKind.HOUSEHOLD))
    return get_object_or_404(accounts.select_related("village", "area", "resident__household", "unit"), pk=pk)


def _scheme(request, account: Account) -> Scheme | None:
    """The scheme asked for (?scheme=) or the newest active one that keeps the account's kind."""
    schemes = [s for s in Scheme.objects.order_by("-year", "-id") if account.kind in s.account_kinds]
    scheme_id = request.GET.get("scheme", "")
    if scheme_id.isdigit() and len(scheme_id) < 12:
        return next((s for s in schemes if s.pk == int(scheme_id)), None)
    return next((s for s in schemes if s.state == SchemeState.ACTIVE), schemes[0] if schemes else None)


def _refused(request, message: str):
    return render(request, "publicity/document_error.html", {"message": message}, status=400)


def _pdf(content: bytes, account: Account, scheme: Scheme) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"passbook-account-{account.pk}-{scheme.year}.pdf"
    )
    return response


NO_SCHEME = "This scheme keeps no accounts of this kind: choose the scheme that keeps it."


@township_view(Action.VIEW)
def account_passbook_print(request, township, membership, pk):
    account = _account(membership, pk)
    scheme = _scheme(request, account)
    if scheme is None:
        return _refused(request, _(NO_SCHEME))
    return _pdf(account_passbook_pdf(account, scheme), account, scheme)


@township_view(Action.VIEW)
@require_POST
def account_code_issue(request, township, membership, pk):
    """Issue (or reprint) the code of the account's passbook and print the passbook with its QR now."""
    account = _account(membership, pk)
    scheme = _scheme(request, account)
    if scheme is None:
        return _refused(request, _(NO_SCHEME))
    try:
        with transaction.atomic():  # no PDF, no new code: the old passbook keeps working
            _row, code = scoring_services.issue_code(membership=membership, household=account)
            content = account_passbook_pdf(account, scheme, villager_code=code)
    except DomainError as exc:
        return _refused(request, exc.message)
    response = _pdf(content, account, scheme)
    response["Cache-Control"] = "no-store, private"  # it carries a live code
    return response


@township_view(Action.VIEW)
@require_POST
def account_code_revoke(request, township, membership, pk):
    account = _account(membership, pk)
    try:
        scoring_services.revoke_code(membership=membership, household=account)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The passbook code of %(holder)s was revoked: its QR no longer opens the page.")
            % {"holder": account.holder_name},
        )
    return redirect("scoring:account-passbook", township_slug=township.slug, pk=account.pk)


urlpatterns = [
    path(
        "t/<slug:township_slug>/publicity/accounts/<int:pk>/passbook.pdf",
        account_passbook_print,
        name="account-passbook-print",
    ),
    path(
        "t/<slug:township_slug>/publicity/accounts/<int:pk>/passbook-code/",
        account_code_issue,
        name="account-code-issue",
    ),
    path(
        "t/<slug:township_slug>/publicity/accounts/<int:pk>/passbook-code/revoke/",
        account_code_revoke,
        name="account-code-revoke",
    ),
]
