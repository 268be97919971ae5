"""Pages of the demonstration programme.

Township pages under /t/<township_slug>/demonstration/: the calls open to the township's villages, applying with the
form, and the applications of the villages the member sees, with the township's steps (publish, forward, refuse).
Region pages under /r/<region_slug>/demonstration/: a county's or a city's calls, opening a call, each call with the
applications of the region's townships and the steps of the region's officers (pre-select, score, select, award).
Every step goes through `demonstration.services`, which checks the member's right (`core.permissions`) and the
state and says why it refuses; the pages fetch what the member sees first (404) and map the refusal (403, or the
reason on the page).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, RegionAction, can, can_in_region
from core.views import parse_id, township_view
from households.forms import add_domain_error
from households.selectors import villages_visible_to
from oversight.tables import Link, workbook
from oversight.views import XLSX

from . import selectors, services
from .comparison import comparison, comparison_charts, comparison_tables
from .forms import ApplyForm, CallForm, MoveForm
from .moves import (
    APPLICATION_MOVE_LABELS,
    APPLICATION_MOVES,
    APPLICATION_TRAIL_LABELS,
    CALL_MOVE_LABELS,
    CALL_MOVES,
    CALL_RIGHT,
    CALL_TRAIL_LABELS,
    COMMENT_REQUIRED,
    SCORED_MOVES,
    VILLAGE_RIGHT,
)
from .notices import application_panel, result_panel
from .selectors import calls_seen_by_region, enter_region, township_calls, townships_of


def described_moves(names) -> list[dict]:
    return [
        {
            "name": name,
            "label": APPLICATION_MOVE_LABELS[name],
            "needs_comment": name in COMMENT_REQUIRED,
            "needs_score": name in SCORED_MOVES,
            "needs_amount": name == "award",
        }
        for name in names
    ]


def trail_rows(moves, labels) -> list[dict]:
    """The trail as the page shows it: each step with its label, states, who, when, why, and a score or amount."""
    return [
        {
            "at": move.at,
            "label": labels.get(move.move, move.move),
            "from_state": move.get_from_state_display() if move.from_state else "",
            "to_state": move.get_to_state_display(),
            "actor": move.actor,
            "comment": move.comment,
            "score": getattr(move, "score", None),
            "amount": getattr(move, "amount", None),
        }
        for move in moves
    ]


def back(request, default: str):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _move(request, application, default_url: str, make_move):
    """Run one application move from a form through `make_move(data)` (the township's or the region's service);
    the outcome is a message, a refusal of the member's right a 403."""
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return back(request, default_url)
    data = form.cleaned_data
    if data["move"] not in APPLICATION_MOVES:
        raise Http404
    try:
        make_move(data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        application.refresh_from_db()
        messages.success(
            request,
            _("Done: %(move)s. The application is now %(state)s.")
            % {
                "move": APPLICATION_MOVE_LABELS[data["move"]],
                "state": application.get_state_display(),
            },
        )
    return back(request, default_url)


def _form_download(application):
    try:
        handle = application.form.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=application.form_name,
        content_type=application.form_content_type,
    )


# Township pages ------------------------------------------------------------------------------------------------


def t_url(township, name: str, **kwargs) -> str:
    return reverse(f"demonstration:{name}", kwargs={"township_slug": township.slug, **kwargs})


def _township_application(membership, pk):
    application = selectors.applications_visible_to(membership).filter(pk=parse_id(pk)).first()
    if application is None:
        raise Http404
    return application


@township_view(Action.VIEW)
def township_home(request, township, membership):
    context = {
        "township": township,
        "membership": membership,
        "calls": list(township_calls(township)),
        "applications": list(selectors.applications_visible_to(membership).order_by("-applied_at", "-id")),
        "can_apply": can(membership, VILLAGE_RIGHT),
    }
    return render(request, "demonstration/township_home.html", context)


@township_view(VILLAGE_RIGHT)
def apply_page(request, township, membership, pk):
    call = township_calls(township).filter(pk=parse_id(pk)).first()
    if call is None:
        raise Http404
    villages = villages_visible_to(membership).order_by("sort_key", "pk")
    form = ApplyForm(request.POST or None, request.FILES or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.apply(membership=membership, call=call, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("The application of %(village)s was submitted.") % {"village": application.village}
            )
            return redirect(t_url(township, "application", pk=application.pk))
    figures = [
        (
            village,
            selectors.village_figures(
                village, call.year, on=selectors.now_local_date(), grace_days=call.round_grace_days
            ),
        )
        for village in villages
    ]
    context = {"township": township, "membership": membership, "call": call, "form": form, "figures": figures}
    return render(request, "demonstration/apply.html", context)


@township_view(Action.VIEW)
def township_application(request, township, membership, pk):
    application = _township_application(membership, pk)
    context = {
        "township": township,
        "membership": membership,
        "application": application,
        "trail": trail_rows(selectors.application_trail(application), APPLICATION_TRAIL_LABELS),
        "moves": described_moves(selectors.township_moves_for(membership, application)),
        "move_url": t_url(township, "application-move", pk=application.pk),
        "form_url": t_url(township, "application-form", pk=application.pk),
        "back_url": t_url(township, "home"),
        "notice_panel": application_panel(township, membership, application),
        "award_url": t_url(township, "award", pk=application.pk),
        "misuse": selectors.misuse_flags([application.pk]).get(application.pk),
    }
    return render(request, "demonstration/application_detail.html", context)


@township_view(Action.VIEW)
def township_application_move(request, township, membership, pk):
    application = _township_application(membership, pk)  # first: another township's is "not found"
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])

    def make_move(data):
        services.move_application(
            membership=membership, application=application, move=data["move"], comment=data["comment"]
        )

    return _move(request, application, t_url(township, "application", pk=application.pk), make_move)


@township_view(Action.VIEW)
def township_application_form(request, township, membership, pk):
    return _form_download(_township_application(membership, pk))


urlpatterns = [
    path("", township_home, name="home"),
    path("calls/<int:pk>/apply/", apply_page, name="apply"),
    path("applications/<int:pk>/", township_application, name="application"),
    path("applications/<int:pk>/move/", township_application_move, name="application-move"),
    path("applications/<int:pk>/form/", township_application_form, name="application-form"),
]


# Region pages --------------------------------------------------------------------------------------------------


def region_view(action: RegionAction = RegionAction.VIEW):
    """Enter the region from the URL: an outsider is told "not found", a member without `action` "permission
    denied" (the entry gate of a page with a form; the services check every step again)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, region_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            region, region_membership = enter_region(request.user, region_slug)
            if not can_in_region(region_membership, action):
                raise PermissionDenied(_("Your role does not allow this."))
            return view(request, region, region_membership, *args, **kwargs)

        return wrapper

    return decorator


def r_url(region, name: str, **kwargs) -> str:
    return reverse(f"demonstration_region:{name}", kwargs={"region_slug": region.slug, **kwargs})


def _region_call(region, pk):
    call = calls_seen_by_region(region).select_related("region", "created_by").filter(pk=parse_id(pk)).first()
    if call is None:
        raise Http404
    return call


def _region_application(region, pk):
    rows = selectors.applications_for_region(region, pk=parse_id(pk))
    if not rows:
        raise Http404
    return rows[0]


def _page(request, region, region_membership, template, context):
    return render(request, template, {"region": region, "region_membership": region_membership, **context})


@region_view()
def region_home(request, region, region_membership):
    context = {
        "calls": selectors.calls_of_region(region),
        "is_officer": can_in_region(region_membership, CALL_RIGHT, region),
    }
    return _page(request, region, region_membership, "demonstration/region_home.html", context)


@region_view(CALL_RIGHT)
def call_create(request, region, region_membership):
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.create_call(membership=region_membership, region=region, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The call %(call)s was created in draft.") % {"call": call})
            return redirect(r_url(region, "call", pk=call.pk))
    return _page(request, region, region_membership, "demonstration/call_form.html", {"form": form})


@region_view()
def call_detail(request, region, region_membership, pk):
    call = _region_call(region, pk)
    applications = selectors.applications_for_region(region, call=call)
    for application in applications:
        application.moves_for_me = described_moves(selectors.region_moves_for(region_membership, application))
    counts = selectors.county_counts(call)
    counties = [region] if region.kind == "county" else list(region.children.order_by("name"))
    county_rows = [{"county": county, "preselected": counts.get(county.pk, 0)} for county in counties]
    context = {
        "call": call,
        "applications": applications,
        "county_rows": county_rows,
        "totals": selectors.call_totals(call),
        "call_moves": [
            {"name": name, "label": CALL_MOVE_LABELS[name]}
            for name in selectors.call_moves_for(region_membership, call)
        ],
        "trail": trail_rows(selectors.call_trail(call), CALL_TRAIL_LABELS),
        "township_count": townships_of(region).count(),
        "notice_panel": result_panel(region, region_membership, call),
    }
    return _page(request, region, region_membership, "demonstration/call_detail.html", context)


@region_view()
def call_move(request, region, region_membership, pk):
    call = _region_call(region, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MoveForm(request.POST)
    if not form.is_valid() or form.cleaned_data["move"] not in CALL_MOVES:
        raise Http404
    move = form.cleaned_data["move"]
    try:
        services.move_call(
            membership=region_membership, call=call, move=move, comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        call.refresh_from_db()
        messages.success(
            request,
            _("Done: %(move)s. The call is now %(state)s.")
            % {"move": CALL_MOVE_LABELS[move], "state": call.get_state_display()},
        )
    return redirect(r_url(region, "call", pk=call.pk))


@region_view()
def region_application(request, region, region_membership, pk):
    application = _region_application(region, pk)
    context = {
        "application": application,
        "trail": trail_rows(application.moves.all(), APPLICATION_TRAIL_LABELS),
        "moves": described_moves(selectors.region_moves_for(region_membership, application)),
        "move_url": r_url(region, "application-move", pk=application.pk),
        "form_url": r_url(region, "application-form", pk=application.pk),
        "back_url": r_url(region, "call", pk=application.call_id),
        "award_url": r_url(region, "award", pk=application.pk),
        "misuse": selectors.misuse_flags([application.pk]).get(application.pk),
    }
    return _page(request, region, region_membership, "demonstration/application_detail.html", context)


@region_view()
def region_application_move(request, region, region_membership, pk):
    application = _region_application(region, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])

    def make_move(data):
        services.decide_application(membership=region_membership, application=application, **data)

    return _move(request, application, r_url(region, "application", pk=application.pk), make_move)


@region_view()
def region_application_form(request, region, region_membership, pk):
    return _form_download(_region_application(region, pk))


@region_view()
def call_comparison(request, region, region_membership, pk):
    """The counties and their applying villages side by side (a county's member: their county only)."""
    call = _region_call(region, pk)
    result = comparison(region, call)

    def link(row):
        return Link(row.name, r_url(region, "application", pk=row.application_id))

    context = {
        "call": call,
        "comparison": result,
        "tables": comparison_tables(result, link),
        "charts": comparison_charts(result),
    }
    return _page(request, region, region_membership, "demonstration/comparison.html", context)


@region_view()
def call_comparison_xlsx(request, region, region_membership, pk):
    call = _region_call(region, pk)
    heading = _("%(region)s: %(call)s, villages compared") % {"region": region.name, "call": call.title}
    content = workbook(comparison_tables(comparison(region, call)), heading=heading)
    response = HttpResponse(content, content_type=XLSX)
    filename = f"comparison-{region.slug}-{call.pk}.xlsx"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


region_urlpatterns = [
    path("", region_home, name="home"),
    path("calls/new/", call_create, name="call-create"),
    path("calls/<int:pk>/", call_detail, name="call"),
    path("calls/<int:pk>/move/", call_move, name="call-move"),
    path("calls/<int:pk>/comparison/", call_comparison, name="call-comparison"),
    path("calls/<int:pk>/comparison.xlsx", call_comparison_xlsx, name="call-comparison-xlsx"),
    path("applications/<int:pk>/", region_application, name="application"),
    path("applications/<int:pk>/move/", region_application_move, name="application-move"),
    path("applications/<int:pk>/form/", region_application_form, name="application-form"),
]
