"""Review panels (评议小组) on pages: per village, each panel with its home area and current members; the township
office or the village's clerk creates a panel, adds a member, replaces one mid-year (the old seat ends on a date
with a reason, the new one starts that day) or removes one while five remain. Ended seats stay on the page."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.people import display_name
from core.permissions import Action, can, check, restrict_to_visible
from core.views import township_view
from households.forms import add_domain_error
from households.models import Area, Membership, Role, Village

from .. import services
from ..models import PanelMember, PanelMemberKind, ReviewPanel
from .common import get_visible, render_page, url

MEMBER_ROWS = 7  # a new panel: at least five, usually five to seven people


# The pages' forms ------------------------------------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return display_name(obj)


def _panel_people(villages) -> object:
    """Users with the panel member role in one of `villages` (inside the township scope)."""
    user_ids = Membership.objects.filter(role=Role.PANEL_MEMBER, villages__in=villages).values("user_id")
    return get_user_model().objects.filter(pk__in=user_ids, is_active=True).order_by("first_name", "username")


class PanelForm(forms.Form):
    village = forms.ModelChoiceField(label=gettext_lazy("Village"), queryset=None)
    name = forms.CharField(label=gettext_lazy("Name of the panel"), max_length=100)
    home_area = forms.ModelChoiceField(label=gettext_lazy("Home area"), queryset=None)

    def __init__(self, *args, villages, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["home_area"].queryset = Area.objects.filter(village__in=villages).select_related(
            "village"
        )
        self.fields["home_area"].label_from_instance = lambda area: f"{area.village.name} · {area.name}"
        for n in range(1, MEMBER_ROWS + 1):
            self.fields[f"user_{n}"] = PersonChoiceField(
                label=_("Member %(n)d") % {"n": n}, queryset=people, required=False
            )
            self.fields[f"kind_{n}"] = forms.ChoiceField(
                label=_("Represents"), choices=[("", "—"), *PanelMemberKind.choices], required=False
            )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def members(self) -> list[tuple]:
        rows = []
        for n in range(1, MEMBER_ROWS + 1):
            user, kind = self.cleaned_data.get(f"user_{n}"), self.cleaned_data.get(f"kind_{n}")
            if user is not None and not kind:
                self.add_error(f"kind_{n}", _("Choose what this member represents."))
            if user is not None:
                rows.append((user, kind))
        return rows


class SeatForm(forms.Form):
    """A newcomer's seat: who and what they represent."""

    user = PersonChoiceField(label=gettext_lazy("Person"), queryset=None)
    kind = forms.ChoiceField(label=gettext_lazy("Represents"), choices=PanelMemberKind.choices)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people


class EndSeatForm(forms.Form):
    on = forms.DateField(
        label=gettext_lazy("On"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    reason = forms.CharField(label=gettext_lazy("Why does the member leave?"), max_length=200)


class ReplaceForm(SeatForm, EndSeatForm):
    field_order = ["user", "kind", "on", "reason"]


# Pages -----------------------------------------------------------------------------------------------------------


def _panels(membership):
    seats = PanelMember.objects.select_related("user", "ended_by").order_by("until", "since", "pk")
    return (
        restrict_to_visible(membership, ReviewPanel.objects.all())
        .select_related("village", "home_area")
        .prefetch_related(Prefetch("members", queryset=seats, to_attr="seats"))
        .order_by("village__sort_key", "name", "pk")
    )


def _runnable_villages(membership):
    villages = restrict_to_visible(membership, Village.objects.all()).order_by("sort_key", "pk")
    return villages if can(membership, Action.RUN_ROUND) else villages.none()


@township_view(Action.VIEW)
def panel_list(request, township, membership):
    panels = list(_panels(membership))
    for panel in panels:
        panel.current = [seat for seat in panel.seats if seat.is_current]
    context = {"panels": panels, "can_edit": can(membership, Action.RUN_ROUND)}
    return render_page(request, "review/panel_list.html", context)


@township_view(Action.RUN_ROUND)
def panel_create(request, township, membership):
    villages = _runnable_villages(membership)
    form = PanelForm(request.POST or None, villages=villages, people=_panel_people(villages))
    if request.method == "POST" and form.is_valid():
        members = form.members()
        if form.is_valid():  # members() may add errors
            data = form.cleaned_data
            try:
                panel = services.create_panel(
                    membership=membership,
                    village=data["village"],
                    name=data["name"],
                    home_area=data["home_area"],
                    members=members,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("%(panel)s is created.") % {"panel": panel.name})
                return redirect(url(request, "panel-detail", pk=panel.pk))
    return render_page(request, "review/panel_form.html", {"form": form, "member_rows": MEMBER_ROWS})


@township_view(Action.VIEW)
def panel_detail(request, township, membership, pk):
    panel = get_visible(_panels(membership), pk)
    can_edit = can(membership, Action.RUN_ROUND, panel)
    people = _panel_people([panel.village_id])
    form = SeatForm(request.POST or None, people=people)
    if request.method == "POST":
        check(membership, Action.RUN_ROUND, panel)
        if form.is_valid():
            try:
                seat = services.add_panel_member(membership=membership, panel=panel, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("%(person)s joins %(panel)s.") % _names(seat))
                return redirect(url(request, "panel-detail", pk=panel.pk))
    context = {
        "panel": panel,
        "current": [seat for seat in panel.seats if seat.is_current],
        "ended": [seat for seat in panel.seats if not seat.is_current],
        "form": form if can_edit else None,
        "can_edit": can_edit,
    }
    return render_page(request, "review/panel_detail.html", context)


def _names(seat: PanelMember) -> dict:
    return {"person": display_name(seat.user), "panel": seat.panel.name}


def _seat(membership, pk) -> PanelMember:
    seats = restrict_to_visible(
        membership, PanelMember.objects.select_related("panel", "panel__village", "user")
    )
    seat = get_visible(seats, pk)
    check(membership, Action.RUN_ROUND, seat)
    return seat


@township_view(Action.RUN_ROUND)
def seat_replace(request, township, membership, pk):
    seat = _seat(membership, pk)
    initial = {"on": timezone.localdate(), "kind": seat.kind}
    form = ReplaceForm(request.POST or None, initial=initial, people=_panel_people([seat.panel.village_id]))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            newcomer = services.replace_panel_member(membership=membership, seat=seat, **data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(new)s replaces %(old)s on %(panel)s from %(on)s.")
                % {
                    **_names(seat),
                    "old": _names(seat)["person"],
                    "new": _names(newcomer)["person"],
                    "on": data["on"],
                },
            )
            return redirect(url(request, "panel-detail", pk=seat.panel_id))
    context = {"seat": seat, "form": form, "replace": True}
    return render_page(request, "review/panel_seat_end.html", context)


@township_view(Action.RUN_ROUND)
def seat_remove(request, township, membership, pk):
    seat = _seat(membership, pk)
    form = EndSeatForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.remove_panel_member(membership=membership, seat=seat, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(person)s leaves %(panel)s.") % _names(seat))
            return redirect(url(request, "panel-detail", pk=seat.panel_id))
    context = {"seat": seat, "form": form, "replace": False}
    return render_page(request, "review/panel_seat_end.html", context)


urlpatterns = [
    path("panels/", panel_list, name="panel-list"),
    path("panels/new/", panel_create, name="panel-create"),
    path("panels/<int:pk>/", panel_detail, name="panel-detail"),
    path("panel-members/<int:pk>/replace/", seat_replace, name="panel-member-replace"),
    path("panel-members/<int:pk>/remove/", seat_remove, name="panel-member-remove"),
]
