"""Meetings: the panel meeting that verifies the proposals of the areas the panel inspected (quorum checked by the
service), and the annual review's representatives' meeting. Each proposal is confirmed or changed with a reason."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can
from core.views import township_view
from households.forms import add_domain_error

from .. import selectors, services
from ..forms import PanelMeetingForm, RepresentativesMeetingForm
from ..models import MeetingKind, PanelAssignment, PanelMember, ReviewPanel
from .common import get_round, get_visible, render_page, require_any, round_url


@township_view(Action.VIEW)
def panel_meeting(request, township, membership, pk):
    round_ = get_round(membership, pk)
    require_any(membership, round_.village, Action.RUN_ROUND, Action.PANEL_WORK)
    panels = list(ReviewPanel.objects.filter(village=round_.village).order_by("name", "pk"))
    chosen = request.POST.get("panel") or request.GET.get("panel")
    panel = get_visible(ReviewPanel.objects.filter(village=round_.village), chosen) if chosen else None
    if panel is None:
        waiting = selectors.panels_without_quorate_meeting(round_)
        panel = waiting[0] if waiting else (panels[0] if panels else None)
    form = None
    if panel is not None:
        areas = PanelAssignment.objects.filter(round=round_, panel=panel).values("area_id")
        form = PanelMeetingForm(
            request.POST or None,
            members=list(
                PanelMember.objects.current().filter(panel=panel).select_related("user").order_by("pk")
            ),
            proposals=selectors.open_proposals(round_, areas=areas),
            items=list(selectors.round_items(round_)),
            can_override=can(membership, Action.APPROVE_ROUND, round_.village),
        )
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.record_panel_meeting(
                membership=membership,
                round=round_,
                panel=panel,
                held_on=form.cleaned_data["held_on"],
                attendees=form.attendee_users(),
                notes=form.cleaned_data["notes"],
                changes=form.changes(),
                override_reason=form.override_reason(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The meeting of %(panel)s was recorded.") % {"panel": panel.name})
            return redirect(f"{round_url(request, round_)}#meetings")
    met = set(round_.meetings.filter(kind=MeetingKind.PANEL).values_list("panel_id", flat=True))
    context = {"round": round_, "panels": panels, "panel": panel, "form": form, "met": met}
    return render_page(request, "review/panel_meeting.html", context)


@township_view(Action.RUN_ROUND)
def representatives_meeting(request, township, membership, pk):
    round_ = get_round(membership, pk)
    form = RepresentativesMeetingForm(
        request.POST or None,
        proposals=selectors.open_proposals(round_),
        items=list(selectors.round_items(round_)),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_representatives_meeting(
                membership=membership,
                round=round_,
                held_on=data["held_on"],
                attendee_names=data["attendee_names"],
                township_staff=data["township_staff"],
                notes=data["notes"],
                changes=form.changes(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The representatives' meeting was recorded."))
            return redirect(f"{round_url(request, round_)}#meetings")
    return render_page(request, "review/representatives_meeting.html", {"round": round_, "form": form})


urlpatterns = [
    path("rounds/<int:pk>/meetings/panel/", panel_meeting, name="panel-meeting"),
    path(
        "rounds/<int:pk>/meetings/representatives/", representatives_meeting, name="representatives-meeting"
    ),
]
