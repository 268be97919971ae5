"""Pages of the demonstration programme.

Township pages under /t/<township_slug>/demonstration/: the calls open to the township's villages, applying with the
form, and the applications of the villages the member sees, with the township's steps (publish, forward, refuse).
Region pages under /r/<region_slug>/demonstration/: a county's or a city's calls, opening a call, each call with the
applications of the region's townships and the steps of the region's officers (pre-select, score, select, award).
Every step goes through `demonstration.services`, which checks the level and the state and says why it refuses.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.errors import DomainError
from households.forms import add_domain_error
from households.permissions import Action, villages_visible_to
from households.views.base import township_view

from . import selectors, services
from .forms import ApplyForm, CallForm, MoveForm
from .permissions import (
    Authority,
    calls_seen_by_region,
    can_apply_in,
    enter_region,
    is_officer,
    townships_of,
)
from .selectors import township_calls

MAX_ID = 2**31 - 1
SCORED_MOVES = {"score", "select", "not_select"}


def parse_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def described_moves(names) -> list[dict]:
    return [
        {
            "name": name,
            "label": services.APPLICATION_MOVE_LABELS[name],
            "needs_comment": name in services.COMMENT_REQUIRED,
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


def _move(request, application, default_url: str):
    """Run one application move from a form; the outcome is a message."""
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return back(request, default_url)
    data = form.cleaned_data
    if data["move"] not in services.APPLICATION_MOVES:
        raise Http404
    try:
        services.move_application(
            actor=request.user,
            application=application,
            move=data["move"],
            comment=data["comment"],
            score=data["score"],
            amount=data["amount"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        application.refresh_from_db()
        messages.success(
            request,
            _("Done: %(move)s. The application is now %(state)s.")
            % {
                "move": services.APPLICATION_MOVE_LABELS[data["move"]],
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
        "can_apply": can_apply_in(membership),
    }
    return render(request, "demonstration/township_home.html", context)


@township_view(Action.VIEW)
def apply_page(request, township, membership, pk):
    call = township_calls(township).filter(pk=parse_id(pk)).first()
    if call is None:
        raise Http404
    if not can_apply_in(membership):
        raise PermissionDenied(_("Your role does not allow this."))
    villages = villages_visible_to(membership).order_by("name", "pk")
    form = ApplyForm(request.POST or None, request.FILES or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.apply(actor=request.user, call=call, **form.cleaned_data)
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
        "trail": trail_rows(selectors.application_trail(application), services.APPLICATION_MOVE_LABELS),
        "moves": described_moves(services.application_moves_for(request.user, application)),
        "move_url": t_url(township, "application-move", pk=application.pk),
        "form_url": t_url(township, "application-form", pk=application.pk),
        "back_url": t_url(township, "home"),
    }
    return render(request, "demonstration/application_detail.html", context)


@township_view(Action.VIEW)
def township_application_move(request, township, membership, pk):
    application = _township_application(membership, pk)  # first: another township's is "not found"
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _move(request, application, t_url(township, "application", pk=application.pk))


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


def region_view(view):
    """Enter the region from the URL: an outsider is told "not found"."""

    @wraps(view)
    def wrapper(request, region_slug, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        region, region_membership = enter_region(request.user, region_slug)
        return view(request, region, region_membership, *args, **kwargs)

    return wrapper


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


@region_view
def region_home(request, region, region_membership):
    context = {"calls": selectors.calls_of_region(region), "is_officer": is_officer(region_membership)}
    return _page(request, region, region_membership, "demonstration/region_home.html", context)


@region_view
def call_create(request, region, region_membership):
    if not is_officer(region_membership):
        raise PermissionDenied(_("Your role does not allow this."))
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.create_call(actor=request.user, region=region, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The call %(call)s was created in draft.") % {"call": call})
            return redirect(r_url(region, "call", pk=call.pk))
    return _page(request, region, region_membership, "demonstration/call_form.html", {"form": form})


@region_view
def call_detail(request, region, region_membership, pk):
    call = _region_call(region, pk)
    applications = selectors.applications_for_region(region, call=call)
    authority = Authority(request.user)
    for application in applications:
        application.moves_for_me = described_moves(
            services.application_moves_for(request.user, application, authority)
        )
    counts = selectors.county_counts(call)
    counties = [region] if region.kind == "county" else list(region.children.order_by("name"))
    county_rows = [{"county": county, "preselected": counts.get(county.pk, 0)} for county in counties]
    context = {
        "call": call,
        "applications": applications,
        "county_rows": county_rows,
        "totals": selectors.call_totals(call),
        "call_moves": [
            {"name": name, "label": services.CALL_MOVE_LABELS[name]}
            for name in services.call_moves_for(request.user, call)
        ],
        "trail": trail_rows(selectors.call_trail(call), services.CALL_MOVE_LABELS),
        "township_count": townships_of(region).count(),
    }
    return _page(request, region, region_membership, "demonstration/call_detail.html", context)


@region_view
def call_move(request, region, region_membership, pk):
    call = _region_call(region, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MoveForm(request.POST)
    if not form.is_valid() or form.cleaned_data["move"] not in services.CALL_MOVES:
        raise Http404
    move = form.cleaned_data["move"]
    try:
        services.move_call(actor=request.user, call=call, move=move, comment=form.cleaned_data["comment"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        call.refresh_from_db()
        messages.success(
            request,
            _("Done: %(move)s. The call is now %(state)s.")
            % {"move": services.CALL_MOVE_LABELS[move], "state": call.get_state_display()},
        )
    return redirect(r_url(region, "call", pk=call.pk))


@region_view
def region_application(request, region, region_membership, pk):
    application = _region_application(region, pk)
    context = {
        "application": application,
        "trail": trail_rows(application.moves.all(), services.APPLICATION_MOVE_LABELS),
        "moves": described_moves(services.application_moves_for(request.user, application)),
        "move_url": r_url(region, "application-move", pk=application.pk),
        "form_url": r_url(region, "application-form", pk=application.pk),
        "back_url": r_url(region, "call", pk=application.call_id),
    }
    return _page(request, region, region_membership, "demonstration/application_detail.html", context)


@region_view
def region_application_move(request, region, region_membership, pk):
    application = _region_application(region, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _move(request, application, r_url(region, "application", pk=application.pk))


@region_view
def region_application_form(request, region, region_membership, pk):
    return _form_download(_region_application(region, pk))


region_urlpatterns = [
    path("", region_home, name="home"),
    path("calls/new/", call_create, name="call-create"),
    path("calls/<int:pk>/", call_detail, name="call"),
    path("calls/<int:pk>/move/", call_move, name="call-move"),
    path("applications/<int:pk>/", region_application, name="application"),
    path("applications/<int:pk>/move/", region_application_move, name="application-move"),
    path("applications/<int:pk>/form/", region_application_form, name="application-form"),
]
