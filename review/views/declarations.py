"""Declarations (自主申报) of the annual review: the clerk takes them at the counter (or a grid worker on the
household's behalf); the panel accepts, adjusts, rejects or finds them false during the panel review."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from core import uploads
from core.errors import DomainError
from core.permissions import Action, can
from core.views import township_view
from households.forms import add_domain_error
from households.selectors import households_visible_to
from scoring.evidence import check_evidence_file

from .. import selectors, services
from ..forms import DecisionForm, DeclarationForm
from .common import get_round, get_visible, render_page, require_any, round_url


@township_view(Action.RUN_ROUND)
def declaration_create(request, township, membership, pk):
    round_ = get_round(membership, pk)
    kept = uploads.kept_from(request, "evidence")  # photos kept from a failed submit: the sender's own only
    form = DeclarationForm(
        request.POST or None,
        request.FILES or None,
        households=households_visible_to(membership).filter(village=round_.village),
        village_name=round_.village.name,
        items=selectors.declarable_items(round_),
    )
    photos_refused = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            declaration = services.declare(
                membership=membership,
                round=round_,
                household=data["household"],
                item=data["item"],
                occurred_on=data["occurred_on"],
                place=data["place"],
                description=data["description"],
                evidence=data["evidence"] + uploads.as_uploaded_files(kept),
                on_behalf=data["on_behalf"],
            )
        except DomainError as exc:
            photos_refused = exc.field == "evidence"
            add_domain_error(form, exc)
        else:
            uploads.discard(kept)
            messages.success(
                request,
                _("The declaration of household %(number)s was recorded: %(item)s.")
                % {"number": declaration.household.number, "item": declaration.item},
            )
            return redirect(f"{round_url(request, round_)}#declarations")
    if request.method == "POST" and not photos_refused:  # the other errors must not cost the photos
        kept = uploads.keep_for_form(
            request, form=form, field="evidence", kept=kept, check=check_evidence_file
        )
    return render_page(request, "review/declaration_form.html", {"round": round_, "form": form, "kept": kept})


@township_view(Action.VIEW)
def declaration_decide(request, township, membership, pk):
    declaration = get_visible(
        selectors.declarations_visible_to(membership).select_related(
            "round", "round__village", "round__scheme", "household", "item", "declared_by", "decided_by"
        ),
        pk,
    )
    round_ = declaration.round
    # The panel decides; the township office may decide in its place with a cross-review override.
    require_any(membership, round_.village, Action.PANEL_WORK, Action.APPROVE_ROUND)
    form = DecisionForm(
        request.POST or None,
        items=selectors.round_items(round_).filter(by_declaration=True),
        can_override=can(membership, Action.APPROVE_ROUND, round_.village),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.decide_declaration(
                membership=membership,
                declaration=declaration,
                decision=data["decision"],
                reason=data["reason"],
                adjusted_item=data["adjusted_item"],
                override_reason=form.override_reason(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            declaration.refresh_from_db()
            messages.success(
                request,
                _("The declaration of household %(number)s is %(state)s.")
                % {"number": declaration.household.number, "state": declaration.get_state_display()},
            )
            return redirect(f"{round_url(request, round_)}#declarations")
    context = {"round": round_, "declaration": declaration, "form": form}
    return render_page(request, "review/declaration_decide.html", context)


urlpatterns = [
    path("rounds/<int:pk>/declarations/new/", declaration_create, name="declaration-create"),
    path("declarations/<int:pk>/decide/", declaration_decide, name="declaration-decide"),
]
