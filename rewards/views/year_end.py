"""The year-end close (年度结算) page of a scheme's year, for the township office: each village's status, the dry
run (what the close would do, nothing written), the close itself with a confirmation, and its result with the
archive's download."""

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action
from core.views import township_view
from scoring.models import Scheme, SchemeState

from .. import selectors, services
from .common import get_visible, render_page, url


def _scheme(pk) -> Scheme:
    # The township scope limits Scheme to this township: another township's id is "not found".
    return get_visible(Scheme.objects.exclude(state=SchemeState.DRAFT), pk)


def _year(request, scheme: Scheme) -> int:
    """?year= for a scheme whose points carry forward (it spans years), else the scheme's own year."""
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or scheme.year)
    except ValueError:
        return scheme.year
    return year if scheme.year <= year <= scheme.year + 50 else scheme.year


def _by_village(plan) -> list[dict]:
    """The dry run's accounts summed per village (a page of a few lines, whatever the number of accounts)."""
    rows: dict[str, dict] = defaultdict(lambda: {"accounts": 0, "points": Decimal("0")})
    for line in plan.accounts:
        rows[line.village]["accounts"] += 1
        rows[line.village]["points"] += line.points
    return [{"village": name, **row} for name, row in sorted(rows.items())]


def _page(request, scheme: Scheme, year: int, *, status: int = 200):
    plan = selectors.year_end_plan(scheme, year)
    context = {
        "scheme": scheme,
        "year": year,
        "plan": plan,
        "close": plan.close,
        "accounts_by_village": _by_village(plan),
    }
    return render_page(request, "rewards/year_end.html", context, status=status)


@township_view(Action.CLOSE_YEAR)
def year_end(request, township, membership, scheme_pk):
    scheme = _scheme(scheme_pk)
    return _page(request, scheme, _year(request, scheme))


@township_view(Action.CLOSE_YEAR)
@require_POST
def year_end_close(request, township, membership, scheme_pk):
    scheme = _scheme(scheme_pk)
    year = _year(request, scheme)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the year is to be closed."))
        return _page(request, scheme, year, status=400)
    try:
        close, created = services.close_year(membership=membership, scheme=scheme, year=year)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _page(request, scheme, year, status=400)
    if created:
        messages.success(
            request,
            _(
                "The year %(year)d is closed. The next year's draft scheme is ready; the archive is being written."
            )
            % {"year": year},
        )
    else:
        messages.info(
            request, _("The year %(year)d was already closed: nothing was done again.") % {"year": year}
        )
    return redirect(url(request, "year-end", scheme_pk=scheme.pk) + f"?year={close.year}")


urlpatterns = [
    path("year-end/scheme/<int:scheme_pk>/", year_end, name="year-end"),
    path("year-end/scheme/<int:scheme_pk>/close/", year_end_close, name="year-end-close"),
]
