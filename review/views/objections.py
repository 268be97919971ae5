"""Objections (异议) while the notice runs: the clerk files one for a villager; the panel (or the clerk) writes the
outcome. An upheld objection that changes results puts them on a fresh notice (the service does that)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can
from core.views import township_view
from households.forms import add_domain_error
from households.selectors import households_visible_to

from .. import selectors, services
from ..forms import ObjectionForm, ResolveForm
from .common import get_round, get_visible, render_page, require_any, round_url


@township_view(Action.RUN_ROUND)
def objection_create(request, township, membership, pk):
    round_ = get_round(membership, pk)
    form = ObjectionForm(
        request.POST or None,
        households=households_visible_to(membership).filter(village=round_.village),
        village_name=round_.village.name,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            objection = services.file_objection(
                membership=membership,
                round=round_,
                household=data["household"],
                objector_name=data["objector_name"],
                objector_phone=data["objector_phone"],
                reason=data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("The objection of %(name)s about household %(number)s was filed.")
                % {"name": objection.objector_name, "number": objection.household.number},
            )
            return redirect(f"{round_url(request, round_)}#objections")
    context = {"round": round_, "form": form, "notice_running": selectors.notice_is_running(round_)}
    return render_page(request, "review/objection_form.html", context)


@township_view(Action.VIEW)
def objection_resolve(request, township, membership, pk):
    objection = get_visible(
        selectors.objections_visible_to(membership).select_related(
            "round", "round__village", "round__scheme", "household", "filed_by", "resolved_by"
        ),
        pk,
    )
    round_ = objection.round
    require_any(membership, objection.household, Action.RUN_ROUND, Action.PANEL_WORK)
    form = ResolveForm(
        request.POST or None,
        proposals=selectors.open_proposals(round_, household=objection.household),
        items=list(selectors.round_items(round_)),
        can_override=can(membership, Action.APPROVE_ROUND, round_.village),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.resolve_objection(
                membership=membership,
                objection=objection,
                upheld=form.upheld,
                outcome=form.cleaned_data["outcome"],
                changes=form.changes(),
                override_reason=form.override_reason(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            round_.refresh_from_db()
            messages.success(request, _("The objection was resolved."))
            if form.changes():
                messages.warning(
                    request,
                    _("The changed results are on a fresh notice until the end of %(last_day)s.")
                    % {"last_day": date_format(round_.notice_last_day)},
                )
            return redirect(f"{round_url(request, round_)}#objections")
    context = {"round": round_, "objection": objection, "form": form}
    return render_page(request, "review/objection_resolve.html", context)


urlpatterns = [
    path("rounds/<int:pk>/objections/new/", objection_create, name="objection-create"),
    path("objections/<int:pk>/resolve/", objection_resolve, name="objection-resolve"),
]
