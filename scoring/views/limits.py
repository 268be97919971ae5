"""The weekly list of limits reached (上自习名单) of one class (village): who reached which item's limit in an ISO
week of the school's calendar, the consequence, and the hits counted with the part carried over from earlier
weeks. Printable; the class committee (RUN_ROUND) files it from the week's Saturday on, which closes the week to
back-dating (scoring.limits)."""

import datetime

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action, can, can_see
from core.views import township_view
from households.selectors import villages_visible_to

from .. import limits, services
from ..models import StudyListFiling
from ..periods import Cadence, monday_of_week, period_of
from .common import get_visible, parse_id, render_page, url


def week_of(value: str | None) -> datetime.date:
    """The Monday of the week asked for ("2026-W49"), else of the school's current week; 404 for nonsense."""
    if not value:
        today = timezone.localdate()
        return today - datetime.timedelta(days=today.weekday())
    monday = monday_of_week(value)
    if monday is None:
        raise Http404
    return monday


def scheme_of_week(monday: datetime.date, value: str | None):
    """The scheme asked for among those that keep weekly limits that week (404 otherwise), else the first."""
    schemes = limits.schemes_for_week(monday)
    pk = parse_id(value)
    if pk is None:
        return (schemes[0] if schemes else None), schemes
    chosen = next((scheme for scheme in schemes if scheme.pk == pk), None)
    if chosen is None:
        raise Http404
    return chosen, schemes


def visible_rows(membership, village, scheme, monday) -> list[limits.ListRow]:
    """The list as the member may read it: a parent sees only their own student's rows."""
    if scheme is None:
        return []
    return [row for row in limits.weekly_list(village, scheme, monday) if can_see(membership, row.household)]


@township_view(Action.VIEW)
def study_list(request, township, membership, pk):
    village = get_visible(villages_visible_to(membership), pk)
    monday = week_of(request.GET.get("week"))
    scheme, schemes = scheme_of_week(monday, request.GET.get("scheme"))
    rows = visible_rows(membership, village, scheme, monday)
    names = limits.student_names(row.household for row in rows)
    week = period_of(Cadence.WEEKLY, monday)
    filing = None
    if scheme is not None:
        filing = (
            StudyListFiling.objects.filter(village=village, scheme=scheme, week=week)
            .select_related("filed_by")
            .first()
        )
    saturday = monday + datetime.timedelta(days=5)
    context = {
        "village": village,
        "scheme": scheme,
        "schemes": schemes,
        "rows": [(row, names.get(row.household.pk, "")) for row in rows],
        "week": week,
        "monday": monday,
        "saturday": saturday,
        "sunday": monday + datetime.timedelta(days=6),
        "previous": period_of(Cadence.WEEKLY, monday - datetime.timedelta(days=7)),
        "next": period_of(Cadence.WEEKLY, monday + datetime.timedelta(days=7)),
        "filing": filing,
        "can_file": (
            scheme is not None
            and filing is None
            and can(membership, Action.RUN_ROUND, village)
            and timezone.localdate() >= saturday
        ),
    }
    return render_page(request, "scoring/study_list.html", context)


@township_view(Action.RUN_ROUND)
@require_POST
def study_list_file(request, township, membership, pk):
    village = get_visible(villages_visible_to(membership), pk)
    monday = week_of(request.POST.get("week"))
    scheme, _schemes = scheme_of_week(monday, request.POST.get("scheme"))
    target = url(request, "study-list", pk=village.pk) + f"?week={period_of(Cadence.WEEKLY, monday)}"
    if scheme is None:
        raise Http404
    target += f"&scheme={scheme.pk}"
    try:
        filing = services.file_study_list(
            membership=membership, village=village, scheme=scheme, monday=monday
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The list of the week of %(start)s was filed: that week is closed to back-dated entries.")
            % {"start": filing.starts_on},
        )
    return redirect(target)


urlpatterns = [
    path("villages/<int:pk>/study-list/", study_list, name="study-list"),
    path("villages/<int:pk>/study-list/file/", study_list_file, name="study-list-file"),
]
