"""Roster pages: villages, areas, households and their members.

Every view enters the township through `township_view` (404 for outsiders, 403 for a role that may not act),
looks objects up among those the member may see (404 otherwise) and changes state only through services.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can
from core.views import render_page, township_view
from core.vocabulary import OrganisationKind
from households.selectors import (
    areas_visible_to,
    households_visible_to,
    residents_visible_to,
    villages_visible_to,
)

from .. import selectors, services
from ..figures import attach_figures
from ..forms import (
    AreaForm,
    ChangeHeadForm,
    HouseholdCreateForm,
    HouseholdEditForm,
    HouseholdFilterForm,
    MoveForm,
    RemoveResidentForm,
    ResidentEditForm,
    ResidentForm,
    VillageForm,
    add_domain_error,
)
from ..life import services as life
from ..models import Resident

HOUSEHOLDS_PER_PAGE = 50
HISTORY_ON_DETAIL = 50


def _url(request, name: str, **kwargs) -> str:
    return reverse(f"households:{name}", kwargs={"township_slug": request.township.slug, **kwargs})


def _warn_if_area_too_big(request, area) -> None:
    if warning := selectors.area_size_warning(area):
        messages.warning(request, warning)


# Villages ----------------------------------------------------------------------------------------------------


@township_view(Action.MANAGE_TOWNSHIP)
def village_create(request, township, membership):
    form = VillageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            village = services.create_village(membership=membership, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Village %(name)s was created.") % {"name": village.name})
            return redirect(_url(request, "village-detail", pk=village.pk))
    return render_page(request, "households/village_form.html", {"form": form, "village": None})


@township_view(Action.VIEW)
def village_detail(request, township, membership, pk):
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    areas = list(selectors.area_summaries(village))
    context = {
        "village": village,
        "areas": areas,
        "household_total": sum(area.household_count for area in areas),
        "area_limit": settings.JIFEN_AREA_SOFT_LIMIT,
        "can_edit_roster": can(membership, Action.EDIT_ROSTER),
        "can_manage": can(membership, Action.MANAGE_TOWNSHIP),
        "is_school": township.kind == OrganisationKind.SCHOOL,
    }
    return render_page(request, "households/village_detail.html", context)


@township_view(Action.MANAGE_TOWNSHIP)
def village_edit(request, township, membership, pk):
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    form = VillageForm(request.POST or None, initial={"name": village.name, "code": village.code})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_village(membership=membership, village=village, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The village was saved."))
            return redirect(_url(request, "village-detail", pk=village.pk))
    return render_page(request, "households/village_form.html", {"form": form, "village": village})


# Areas -------------------------------------------------------------------------------------------------------


@township_view(Action.EDIT_ROSTER)
def area_create(request, township, membership, village_pk):
    village = get_object_or_404(villages_visible_to(membership), pk=village_pk)
    form = AreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            area = services.create_area(membership=membership, village=village, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Area %(name)s was created.") % {"name": area.name})
            return redirect(_url(request, "village-detail", pk=village.pk))
    return render_page(request, "households/area_form.html", {"form": form, "village": village, "area": None})


@township_view(Action.EDIT_ROSTER)
def area_edit(request, township, membership, pk):
    area = get_object_or_404(areas_visible_to(membership).select_related("village"), pk=pk)
    form = AreaForm(request.POST or None, initial={"name": area.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_area(membership=membership, area=area, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The area was saved."))
            return redirect(_url(request, "village-detail", pk=area.village_id))
    context = {"form": form, "village": area.village, "area": area}
    return render_page(request, "households/area_form.html", context)


# Households --------------------------------------------------------------------------------------------------


@township_view(Action.VIEW)
def household_list(request, township, membership):
    filter_form = HouseholdFilterForm(
        request.GET or None,
        villages=villages_visible_to(membership),
        areas=selectors.area_choices(membership),
    )
    households = selectors.household_list(membership, **filter_form.filters())
    page = Paginator(households, HOUSEHOLDS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = attach_figures(page.object_list)  # points and stars, a few queries for the whole page
    context = {
        "filter_form": filter_form,
        "page": page,
        "can_edit_roster": can(membership, Action.EDIT_ROSTER),
        "can_record": can(membership, Action.RECORD_ENTRY),
    }
    # htmx live search swaps only the results; a plain request gets the whole page.
    partial = (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == "household-results"
    )
    template = "households/_household_results.html" if partial else "households/household_list.html"
    return render_page(request, template, context)


@township_view(Action.EDIT_ROSTER)
def household_create(request, township, membership):
    if (
        township.kind == OrganisationKind.SCHOOL
    ):  # a student in one step, with an optional post (scoring's form)
        return redirect(reverse("scoring:student-create", kwargs={"township_slug": township.slug}))
    form = HouseholdCreateForm(request.POST or None, areas=selectors.area_choices(membership))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.create_household(
                membership=membership,
                area=data["area"],
                number=data["number"],
                address=data["address"],
                participation=data["participation"],
                participation_reason=data["participation_reason"],
                head={"name": data["name"], **form.resident_fields()},
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Household %(number)s was created.") % {"number": household.number})
            _warn_if_area_too_big(request, household.area)
            return redirect(_url(request, "household-detail", pk=household.pk))
    return render_page(request, "households/household_form.html", {"form": form, "household": None})


def _visible_household(membership, pk):
    return get_object_or_404(households_visible_to(membership).select_related("village", "area"), pk=pk)


@township_view(Action.VIEW)
def household_detail(request, township, membership, pk):
    household = _visible_household(membership, pk)
    attach_figures([household])
    members = list(household.members.select_related("ended_by", "continued_from__household"))
    context = {
        "household": household,
        "head": next((m for m in members if m.is_head and m.ended_on is None), None),
        "can_record": household.is_open
        and household.takes_part
        and can(membership, Action.RECORD_ENTRY, household),
        "members": [m for m in members if m.ended_on is None],
        "former_members": sorted(
            (m for m in members if m.ended_on), key=lambda m: (m.ended_on, m.pk), reverse=True
        ),
        "life_events": list(
            household.life_events.select_related("other_household", "recorded_by").order_by(
                "-occurred_on", "-pk"
            )
        ),
        "merged_into": household.merged_into,
        "moves": list(
            household.moves.select_related("from_village", "from_area", "to_village", "to_area", "moved_by")
        ),
        "can_edit_roster": can(membership, Action.EDIT_ROSTER),
        "is_school": township.kind == OrganisationKind.SCHOOL,
    }
    if can(membership, Action.VIEW_HISTORY):
        context["history"] = selectors.history_entries(
            selectors.household_history(household)[:HISTORY_ON_DETAIL]
        )
    return render_page(request, "households/household_detail.html", context)


@township_view(Action.EDIT_ROSTER)
def household_edit(request, township, membership, pk):
    household = _visible_household(membership, pk)
    initial = {
        name: getattr(household, name)
        for name in ("number", "address", "participation", "participation_reason")
    }
    form = HouseholdEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        reason = fields.pop("change_reason")
        try:
            services.update_household(membership=membership, household=household, reason=reason, **fields)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The household was saved."))
            return redirect(_url(request, "household-detail", pk=household.pk))
    return render_page(request, "households/household_form.html", {"form": form, "household": household})


@township_view(Action.EDIT_ROSTER)
def household_move(request, township, membership, pk):
    household = _visible_household(membership, pk)
    # The target must be an area the member may see (a clerk moves households between their own villages).
    areas = selectors.area_choices(membership).exclude(pk=household.area_id)
    form = MoveForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            move = services.move_household(
                membership=membership,
                household=household,
                to_area=form.cleaned_data["to_area"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The household moved to %(village)s · %(area)s.") % {
                "village": move.to_area.village.name, "area": move.to_area.name,
            })  # fmt: skip
            _warn_if_area_too_big(request, move.to_area)
            return redirect(_url(request, "household-detail", pk=household.pk))
    return render_page(request, "households/household_move.html", {"form": form, "household": household})


# Residents ---------------------------------------------------------------------------------------------------


@township_view(Action.EDIT_ROSTER)
def resident_create(request, township, membership, pk):
    household = _visible_household(membership, pk)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_resident(
                membership=membership,
                household=household,
                name=data["name"],
                is_head=data["is_head"],
                **form.resident_fields(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s was added to the household.") % {"name": data["name"]})
            return redirect(_url(request, "household-detail", pk=household.pk))
    context = {"form": form, "household": household, "resident": None}
    return render_page(request, "households/resident_form.html", context)


def _visible_resident(membership, pk):
    residents = residents_visible_to(membership).select_related("household", "household__village")
    return get_object_or_404(residents, pk=pk)


@township_view(Action.EDIT_ROSTER)
def resident_edit(request, township, membership, pk):
    resident = _visible_resident(membership, pk)
    initial = {
        name: getattr(resident, name)
        for name in ("name", "is_head", "gender", "birth_year", "is_party_member")
    }
    form = ResidentEditForm(request.POST or None, initial=initial, resident=resident)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_resident(
                membership=membership,
                resident=resident,
                name=data["name"],
                is_head=data["is_head"],
                **form.resident_fields(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The member was saved."))
            return redirect(_url(request, "household-detail", pk=resident.household_id))
    context = {"form": form, "household": resident.household, "resident": resident}
    return render_page(request, "households/resident_form.html", context)


@township_view(Action.EDIT_ROSTER)
def resident_remove(request, township, membership, pk):
    """A member leaves the household (died, moved out, other): ended with the date, never erased."""
    resident = _visible_resident(membership, pk)
    if resident.ended_on is not None:
        messages.info(request, _("%(name)s has already left the household.") % {"name": resident.name})
        return redirect(_url(request, "household-detail", pk=resident.household_id))
    others = Resident.objects.filter(household_id=resident.household_id).current().exclude(pk=resident.pk)
    form = RemoveResidentForm(request.POST or None, others=others if resident.is_head else others.none())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            life.end_resident(
                membership=membership,
                resident=resident,
                ended_on=data["ended_on"],
                reason=data["reason"],
                note=data["note"],
                new_head=data["new_head"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s has left the household.") % {"name": resident.name})
            return redirect(_url(request, "household-detail", pk=resident.household_id))
    context = {
        "form": form,
        "household": resident.household,
        "resident": resident,
        "asks_head": resident.is_head and others.exists(),
    }
    return render_page(request, "households/resident_remove.html", context)


@township_view(Action.EDIT_ROSTER)
def household_head(request, township, membership, pk):
    """Change of head: another current member becomes the head (one head throughout)."""
    household = _visible_household(membership, pk)
    members = Resident.objects.filter(household=household).current().filter(is_head=False)
    form = ChangeHeadForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            life.change_head(
                membership=membership,
                household=household,
                new_head=form.cleaned_data["new_head"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s is now the head of the household.") % {
                "name": form.cleaned_data["new_head"].name,
            })  # fmt: skip
            return redirect(_url(request, "household-detail", pk=household.pk))
    return render_page(request, "households/household_head.html", {"form": form, "household": household})


urlpatterns = [
    path("villages/new/", village_create, name="village-create"),
    path("villages/<int:pk>/", village_detail, name="village-detail"),
    path("villages/<int:pk>/edit/", village_edit, name="village-edit"),
    path("villages/<int:village_pk>/areas/new/", area_create, name="area-create"),
    path("areas/<int:pk>/edit/", area_edit, name="area-edit"),
    path("households/", household_list, name="household-list"),
    path("households/new/", household_create, name="household-create"),
    path("households/<int:pk>/", household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", household_edit, name="household-edit"),
    path("households/<int:pk>/move/", household_move, name="household-move"),
    path("households/<int:pk>/members/new/", resident_create, name="resident-create"),
    path("residents/<int:pk>/edit/", resident_edit, name="resident-edit"),
    path("residents/<int:pk>/remove/", resident_remove, name="resident-remove"),
    path("households/<int:pk>/head/", household_head, name="household-head"),
]
