"""Cross-review: which panel inspects which area of the round's village. Jifen proposes a rotation (each panel
away from its home area); the clerk applies it or assigns a panel to an area by hand. The service refuses a
panel's own home area."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError
from core.permissions import Action, can
from core.views import township_view
from households.forms import add_domain_error
from households.models import Area

from .. import selectors, services
from ..forms import AssignForm
from ..models import PanelAssignment, ReviewPanel, RoundState
from .common import get_round, render_page, url


@township_view(Action.VIEW)
def assignments(request, township, membership, pk):
    round_ = get_round(membership, pk)
    village = round_.village
    panels = ReviewPanel.objects.filter(village=village).select_related("home_area").order_by("name", "pk")
    areas = Area.objects.filter(village=village).order_by("sort_key", "pk")
    form = AssignForm(
        request.POST if "assign" in request.POST else None, panels=panels, areas=areas, prefix="assign"
    )
    if request.method == "POST":
        try:
            if "rotation" in request.POST:
                done = services.apply_rotation(membership=membership, round=round_)
                messages.success(
                    request,
                    ngettext(
                        "The rotation was applied: %(count)d area assigned.",
                        "The rotation was applied: %(count)d areas assigned.",
                        len(done),
                    )
                    % {"count": len(done)},
                )
                return redirect(url(request, "assignments", pk=round_.pk))
            if form.is_valid():
                assignment = services.assign_panel(membership=membership, round=round_, **form.cleaned_data)
                messages.success(
                    request,
                    _("%(panel)s inspects %(area)s.")
                    % {"panel": assignment.panel.name, "area": assignment.area.name},
                )
                return redirect(url(request, "assignments", pk=round_.pk))
        except DomainError as exc:
            if "rotation" in request.POST:
                messages.error(request, exc.message)
            else:
                add_domain_error(form, exc)
    context = {
        "round": round_,
        "form": form,
        "assignments": list(
            PanelAssignment.objects.filter(round=round_)
            .select_related("panel", "panel__home_area", "area")
            .order_by("area__sort_key", "pk")
        ),
        "rotation": selectors.propose_rotation(round_),
        "panels": list(panels),
        "can_assign": can(membership, Action.RUN_ROUND, village)
        and round_.state in (RoundState.DRAFT, RoundState.COLLECTING),
    }
    return render_page(request, "review/assignments.html", context)


urlpatterns = [path("rounds/<int:pk>/assignments/", assignments, name="assignments")]
