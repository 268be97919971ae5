"""Unit pages (单位): the list with its search, a unit's page with its history, the forms, archiving and restoring.

Like the household pages: every view enters the township through `township_view`, finds the unit among those the
member may see (404 otherwise) and changes it only through `households.units.services`.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action, can, is_read_only
from core.views import get_visible, render_page, township_view

from .. import selectors
from ..forms import add_domain_error
from ..units import services
from ..units.forms import ArchiveUnitForm, UnitEditForm, UnitFilterForm, UnitForm
from ..units.selectors import unit_list as select_units
from ..units.selectors import units_visible_to

UNITS_PER_PAGE = 50
HISTORY_ON_DETAIL = 50
FIELDS = ("name", "kind", "contact_name", "contact_mobile", "address", "note")


def _detail_url(request, unit) -> str:
    return reverse("households:unit-detail", kwargs={"township_slug": request.township.slug, "pk": unit.pk})


def _unit(membership, pk):
    return get_visible(units_visible_to(membership).select_related("village"), pk)


@township_view(Action.VIEW)
def unit_list(request, township, membership):
    villages = selectors.villages_visible_to(membership)
    filter_form = UnitFilterForm(request.GET or None, villages=villages)
    page = Paginator(select_units(membership, **filter_form.filters()), UNITS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "filter_form": filter_form,
        "page": page,
        "can_edit_roster": can(membership, Action.EDIT_ROSTER),
        "reveal_mobile": not is_read_only(membership),
    }
    # htmx live search swaps only the results; a plain request gets the whole page.
    partial = (
        request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "unit-results"
    )
    template = "households/_unit_results.html" if partial else "households/unit_list.html"
    return render_page(request, template, context)


@township_view(Action.EDIT_ROSTER)
def unit_create(request, township, membership):
    villages = selectors.villages_visible_to(membership).filter(retired_at__isnull=True)  # not 已撤销 ones
    initial = {"village": request.GET.get("village", "")}  # from a village's page; only preselects an option
    form = UnitForm(request.POST or None, villages=villages, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.create_unit(membership=membership, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Unit %(name)s was added.") % {"name": unit.name})
            return redirect(_detail_url(request, unit))
    return render_page(request, "households/unit_form.html", {"form": form, "unit": None})


@township_view(Action.VIEW)
def unit_detail(request, township, membership, pk):
    unit = _unit(membership, pk)
    context = {
        "unit": unit,
        "can_edit_roster": can(membership, Action.EDIT_ROSTER, unit),
        "reveal_mobile": not is_read_only(membership),
    }
    if can(membership, Action.VIEW_HISTORY):
        context["history"] = selectors.history_entries(selectors.unit_history(unit)[:HISTORY_ON_DETAIL])
    return render_page(request, "households/unit_detail.html", context)


@township_view(Action.EDIT_ROSTER)
def unit_edit(request, township, membership, pk):
    unit = _unit(membership, pk)
    initial = {"village": unit.village, **{name: getattr(unit, name) for name in FIELDS}}
    villages = selectors.villages_visible_to(membership)
    form = UnitEditForm(request.POST or None, villages=villages, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        reason = fields.pop("change_reason")
        try:
            services.update_unit(membership=membership, unit=unit, reason=reason, **fields)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The unit was saved."))
            return redirect(_detail_url(request, unit))
    return render_page(request, "households/unit_form.html", {"form": form, "unit": unit})


@township_view(Action.EDIT_ROSTER)
def unit_archive(request, township, membership, pk):
    unit = _unit(membership, pk)
    form = ArchiveUnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.archive_unit(membership=membership, unit=unit, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Unit %(name)s was archived.") % {"name": unit.name})
            return redirect(_detail_url(request, unit))
    return render_page(request, "households/unit_archive.html", {"form": form, "unit": unit})


@township_view(Action.EDIT_ROSTER)
@require_POST
def unit_restore(request, township, membership, pk):
    unit = _unit(membership, pk)
    try:
        services.restore_unit(membership=membership, unit=unit)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Unit %(name)s is active again.") % {"name": unit.name})
    return redirect(_detail_url(request, unit))


urlpatterns = [
    path("units/", unit_list, name="unit-list"),
    path("units/new/", unit_create, name="unit-create"),
    path("units/<int:pk>/", unit_detail, name="unit-detail"),
    path("units/<int:pk>/edit/", unit_edit, name="unit-edit"),
    path("units/<int:pk>/archive/", unit_archive, name="unit-archive"),
    path("units/<int:pk>/restore/", unit_restore, name="unit-restore"),
]
