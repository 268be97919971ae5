"""Pages to merge, retire and restore villages (the township office) and areas (the office and the village's
clerk). Objects are looked up among those the member sees: another township's village is simply not found."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action
from core.views import render_page, township_view

from ..forms import add_domain_error
from ..selectors import areas_visible_to, villages_visible_to
from . import services
from .forms import AreaMergeForm, RetireForm, VillageMergeForm


def _village_url(township, pk: int) -> str:
    return reverse("households:village-detail", kwargs={"township_slug": township.slug, "pk": pk})


def _report(request, result, target_name: str) -> None:
    messages.success(
        request,
        _("Merged into %(target)s: %(households)d households, %(areas)d areas and %(units)d units moved.")
        % {
            "target": target_name,
            "households": result.households,
            "areas": result.areas,
            "units": result.units,
        },
    )
    for old, new in result.renamed:
        messages.info(request, _("%(old)s was renamed %(new)s: the village already had that name.") % {
            "old": old, "new": new,
        })  # fmt: skip


# Villages -----------------------------------------------------------------------------------------------------


@township_view(Action.MANAGE_TOWNSHIP)
def village_merge(request, township, membership, pk):
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    targets = villages_visible_to(membership).filter(retired_at__isnull=True).exclude(pk=village.pk)
    form = VillageMergeForm(request.POST or None, villages=targets.order_by("sort_key", "pk"))
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            result = services.merge_villages(
                membership=membership, source=village, target=target, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            _report(request, result, target.name)
            messages.info(request, _("Members who worked only in %(old)s keep it: give them %(new)s on the members page if they carry on.") % {
                "old": village.name, "new": target.name,
            })  # fmt: skip
            return redirect(_village_url(township, target.pk))
    return render_page(request, "households/places/village_merge.html", {"form": form, "village": village})


@township_view(Action.MANAGE_TOWNSHIP)
def village_retire(request, township, membership, pk):
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    form = RetireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.retire_village(
                membership=membership, village=village, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s is retired.") % {"name": village.name})
            return redirect(_village_url(township, village.pk))
    context = {"form": form, "place": village, "village": village, "is_village": True}
    return render_page(request, "households/places/retire.html", context)


@township_view(Action.MANAGE_TOWNSHIP)
def village_restore(request, township, membership, pk):
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    if request.method == "POST":
        try:
            services.restore_village(membership=membership, village=village)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s is restored.") % {"name": village.name})
    return redirect(_village_url(township, village.pk))


# Areas --------------------------------------------------------------------------------------------------------


def _visible_area(membership, pk):
    return get_object_or_404(areas_visible_to(membership).select_related("village"), pk=pk)


@township_view(Action.EDIT_ROSTER)
def area_merge(request, township, membership, pk):
    area = _visible_area(membership, pk)
    targets = areas_visible_to(membership).filter(village_id=area.village_id, retired_at__isnull=True)
    form = AreaMergeForm(request.POST or None, areas=targets.exclude(pk=area.pk).order_by("sort_key", "pk"))
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            result = services.merge_areas(
                membership=membership, source=area, target=target, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            _report(request, result, target.name)
            return redirect(_village_url(township, area.village_id))
    context = {"form": form, "area": area, "village": area.village}
    return render_page(request, "households/places/area_merge.html", context)


@township_view(Action.EDIT_ROSTER)
def area_retire(request, township, membership, pk):
    area = _visible_area(membership, pk)
    form = RetireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.retire_area(membership=membership, area=area, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s is retired.") % {"name": area.name})
            return redirect(_village_url(township, area.village_id))
    context = {"form": form, "place": area, "village": area.village, "is_village": False}
    return render_page(request, "households/places/retire.html", context)


@township_view(Action.EDIT_ROSTER)
def area_restore(request, township, membership, pk):
    area = _visible_area(membership, pk)
    if request.method == "POST":
        try:
            services.restore_area(membership=membership, area=area)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s is restored.") % {"name": area.name})
    return redirect(_village_url(township, area.village_id))


urlpatterns = [
    path("villages/<int:pk>/merge/", village_merge, name="village-merge"),
    path("villages/<int:pk>/retire/", village_retire, name="village-retire"),
    path("villages/<int:pk>/restore/", village_restore, name="village-restore"),
    path("areas/<int:pk>/merge/", area_merge, name="area-merge"),
    path("areas/<int:pk>/retire/", area_retire, name="area-retire"),
    path("areas/<int:pk>/restore/", area_restore, name="area-restore"),
]
