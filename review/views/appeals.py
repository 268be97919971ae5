"""What villagers send from their own page (issue 14, item 6), as the village handles it: self-declarations the
grid worker (or the clerk, the township office) takes as a claim or refuses, with the photo; appeals the clerk or
the township office upholds (a reversing entry through the next notice) or rejects. Every change goes through
`scoring.services` (take_self_declaration, refuse_self_declaration, decide_appeal), which check the member's right.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.files import stored_file_response
from core.permissions import Action, can
from core.views import township_view
from households.forms import add_domain_error
from scoring import appeal_selectors as scoring_selectors
from scoring import services as scoring
from scoring.models import AppealState, SelfDeclarationState

from ..forms import AppealDecisionForm, RefuseDeclarationForm, TakeDeclarationForm
from .claims import claim_items
from .common import get_visible, render_page, url

RECENT = 30  # decided ones shown under the waiting ones


@township_view(Action.VIEW)
def declaration_list(request, township, membership):
    rows = scoring_selectors.self_declarations_visible_to(membership)
    context = {
        "pending": list(rows.filter(state=SelfDeclarationState.PENDING).order_by("submitted_at", "pk")),
        "decided": list(rows.exclude(state=SelfDeclarationState.PENDING)[:RECENT]),
    }
    return render_page(request, "review/self_declaration_list.html", context)


@township_view(Action.VIEW)
def declaration_detail(request, township, membership, pk):
    declaration = get_visible(scoring_selectors.self_declarations_visible_to(membership), pk)
    pending = declaration.state == SelfDeclarationState.PENDING
    may_check = pending and can(membership, Action.CHECK_CLAIM, declaration)
    sent = request.POST.get("decision") if request.method == "POST" else None
    if request.method == "POST" and not can(membership, Action.CHECK_CLAIM, declaration):
        raise PermissionDenied(_("Only the grid worker, clerk or township office checks self-declarations."))
    take_form = TakeDeclarationForm(
        request.POST if sent == "take" else None,
        items=claim_items(),
        initial={
            "item": declaration.item_id,
            "occurred_on": declaration.occurred_on,
            "cause": declaration.what_happened,
        },
        prefix="take",
    )
    refuse_form = RefuseDeclarationForm(request.POST if sent == "refuse" else None, prefix="refuse")
    if sent == "take" and take_form.is_valid():
        data = take_form.cleaned_data
        try:
            entry = scoring.take_self_declaration(membership=membership, declaration=declaration, **data)
        except DomainError as exc:
            add_domain_error(take_form, exc)
        else:
            messages.success(
                request,
                _("Taken as a claim of %(holder)s: %(item)s. It goes on the village's next notice.")
                % {"holder": declaration.account.holder_name, "item": entry.item_name},
            )
            return redirect(url(request, "claim-detail", pk=entry.pk))
    elif sent == "refuse" and refuse_form.is_valid():
        try:
            scoring.refuse_self_declaration(
                membership=membership, declaration=declaration, reason=refuse_form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(refuse_form, exc)
        else:
            messages.success(request, _("The declaration was refused; the villager sees why on their page."))
            return redirect(url(request, "self-declaration-list"))
    context = {
        "declaration": declaration,
        "may_check": may_check,
        "take_form": take_form,
        "refuse_form": refuse_form,
    }
    status = 400 if request.method == "POST" else 200
    return render_page(request, "review/self_declaration_detail.html", context, status=status)


@township_view(Action.VIEW)
def declaration_photo(request, township, membership, pk):
    declaration = get_visible(scoring_selectors.self_declarations_visible_to(membership), pk)
    if not declaration.photo:
        raise Http404
    # Served inline with its sniffed type, nosniff and a sandboxing policy (core/files.py).
    name = declaration.photo.name.rsplit("/", 1)[-1]
    return stored_file_response(declaration.photo, filename=name, content_type=declaration.photo_content_type)


@township_view(Action.VIEW)
def appeal_list(request, township, membership):
    rows = scoring_selectors.appeals_visible_to(membership)
    context = {
        "pending": list(rows.filter(state=AppealState.PENDING).order_by("submitted_at", "pk")),
        "decided": list(rows.exclude(state=AppealState.PENDING)[:RECENT]),
    }
    return render_page(request, "review/appeal_list.html", context)


@township_view(Action.VIEW)
def appeal_detail(request, township, membership, pk):
    appeal = get_visible(scoring_selectors.appeals_visible_to(membership), pk)
    may_decide = appeal.state == AppealState.PENDING and can(membership, Action.DECIDE_APPEAL, appeal)
    if request.method == "POST" and not can(membership, Action.DECIDE_APPEAL, appeal):
        raise PermissionDenied(_("Only the village's clerk or the township office decides appeals."))
    form = AppealDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                scoring.decide_appeal(
                    membership=membership,
                    appeal=appeal,
                    uphold=form.cleaned_data["outcome"] == "uphold",
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                appeal.refresh_from_db()
                messages.success(
                    request,
                    _("Upheld: the reversing entry goes on the village's next notice and counts after it.")
                    if appeal.state == AppealState.UPHELD
                    else _("Rejected: the entry stands. The villager sees why on their page."),
                )
                return redirect(url(request, "appeal-detail", pk=appeal.pk))
    context = {"appeal": appeal, "may_decide": may_decide, "form": form}
    return render_page(request, "review/appeal_detail.html", context, status=status)


urlpatterns = [
    path("self-declarations/", declaration_list, name="self-declaration-list"),
    path("self-declarations/<int:pk>/", declaration_detail, name="self-declaration-detail"),
    path("self-declarations/<int:pk>/photo/", declaration_photo, name="self-declaration-photo"),
    path("appeals/", appeal_list, name="appeal-list"),
    path("appeals/<int:pk>/", appeal_detail, name="appeal-detail"),
]
