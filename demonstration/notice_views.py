"""Pages of the programme's notices: the printed sheets and the resolution of objections (staff), and the public
pages reached by a notice's token (no login), where anyone objects while the notice runs.

The staff routes find what the member sees first (404 for anything else), then the services check the right.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.errors import DomainError
from core.permissions import Action
from core.security import over_objection_limit
from core.tenancy import dangerously_all_townships, township_scope
from core.views import township_view
from households.forms import add_domain_error
from review.public_forms import PublicObjectionForm

from . import services
from .forms import ResolveObjectionForm
from .models import (
    ApplicationNotice,
    ApplicationObjection,
    ApplicationState,
    CallState,
    ResultNotice,
    ResultObjection,
)
from .notices import (
    application_notice_pdf,
    application_notice_state,
    result_notice_pdf,
    result_notice_state,
    selected_applications,
)
from .views import _region_call, _township_application, r_url, region_view, t_url


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


def _document_error(request, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect(request.META.get("HTTP_REFERER") or "/")


def _resolve(request, objection, resolve, back_url):
    form = ResolveObjectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect(back_url)
    try:
        resolve(objection, form.cleaned_data["upheld"], form.cleaned_data["outcome"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The objection is resolved and the resolution recorded."))
    return redirect(back_url)


# Township ----------------------------------------------------------------------------------------------------


@township_view(Action.VIEW)
def application_notice_sheet(request, township, membership, pk):
    application = _township_application(membership, pk)
    notice = ApplicationNotice.objects.filter(application=application).first()
    if notice is None:
        raise Http404
    try:
        return _pdf(*application_notice_pdf(notice))
    except DomainError as exc:
        return _document_error(request, exc.message)


@township_view(Action.VIEW)
def application_resolve_objection(request, township, membership, pk):
    application = _township_application(membership, pk)  # first: another township's is "not found"
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    objection = ApplicationObjection.objects.filter(
        notice__application=application, pk=_objection_id(request)
    ).first()
    if objection is None:
        raise Http404

    def resolve(objection, upheld, outcome):
        services.resolve_application_objection(
            membership=membership, objection=objection, upheld=upheld, outcome=outcome
        )

    return _resolve(request, objection, resolve, t_url(township, "application", pk=application.pk))


def _objection_id(request) -> int:
    value = request.POST.get("objection", "")
    if not value.isdigit() or len(value) > 18:
        raise Http404
    return int(value)


township_urlpatterns = [
    path("applications/<int:pk>/notice.pdf", application_notice_sheet, name="application-notice-sheet"),
    path(
        "applications/<int:pk>/resolve-objection/",
        application_resolve_objection,
        name="application-resolve-objection",
    ),
]


# Region ------------------------------------------------------------------------------------------------------


@region_view()
def call_notice_sheet(request, region, region_membership, pk):
    call = _region_call(region, pk)
    notice = ResultNotice.objects.filter(call=call).first()
    if notice is None:
        raise Http404
    try:
        return _pdf(*result_notice_pdf(notice))
    except DomainError as exc:
        return _document_error(request, exc.message)


@region_view()
def call_resolve_objection(request, region, region_membership, pk):
    call = _region_call(region, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    objection = ResultObjection.objects.filter(notice__call=call, pk=_objection_id(request)).first()
    if objection is None:
        raise Http404

    def resolve(objection, upheld, outcome):
        services.resolve_result_objection(
            membership=region_membership, objection=objection, upheld=upheld, outcome=outcome
        )

    return _resolve(request, objection, resolve, r_url(region, "call", pk=call.pk))


region_urlpatterns = [
    path("calls/<int:pk>/notice.pdf", call_notice_sheet, name="call-notice-sheet"),
    path("calls/<int:pk>/resolve-objection/", call_resolve_objection, name="call-resolve-objection"),
]


# Public pages (no login) -------------------------------------------------------------------------------------


class ResultObjectionForm(PublicObjectionForm):
    """The result's public form: the objection may concern one selected village, or the result as a whole."""

    application = forms.ChoiceField(label=_("Village concerned"), required=False)
    field_order = ["objector_name", "objector_phone", "application", "reason", "website"]

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [("", _("The result as a whole"))] + [
            (str(pk), name) for pk, name in villages
        ]


def _public(request, form, running: bool, file_objection) -> tuple[int, HttpResponse | None]:
    """The objection form's answer: (status, a redirect once an objection is kept)."""
    if request.method != "POST":
        return 200, None
    if not running:
        messages.error(request, _("The notice has ended: objections are no longer accepted."))
        return 400, None
    if over_objection_limit(request):
        messages.error(
            request,
            _(
                "Too many objections from this connection; please try again in an hour or go to the village office."
            ),
        )
        return 429, None
    if not form.is_valid():
        return 400, None
    data = form.cleaned_data
    if not data["website"]:  # a filled honeypot is a bot: answered as if accepted, nothing kept
        try:
            file_objection(data)
        except DomainError as exc:
            add_domain_error(form, exc)
            return 400, None
    messages.success(request, _("Your objection has been received. It will be looked into and answered."))
    return 302, redirect(request.path)


@never_cache
def public_application_notice(request, token: str):
    # The token is the only key to the notice: the one cross-township lookup this page makes.
    with dangerously_all_townships():
        notice = ApplicationNotice.objects.select_related("township").filter(token=token).first()
    if notice is None:
        raise Http404
    with township_scope(notice.township):
        state = application_notice_state(notice)
        application = notice.application
        running = state.running and application.state == ApplicationState.ON_NOTICE
        form = PublicObjectionForm(request.POST or None)

        def file_objection(data):
            services.file_application_objection(
                notice=notice,
                objector_name=data["objector_name"],
                objector_phone=data["objector_phone"],
                reason=data["reason"],
            )

        status, answer = _public(request, form, running, file_objection)
        if answer is not None:
            return answer
        context = {"state": state, "application": application, "running": running, "form": form}
        return render(request, "demonstration/public_application_notice.html", context, status=status)


@never_cache
def public_result_notice(request, token: str):
    notice = ResultNotice.objects.select_related("call", "call__region").filter(token=token).first()
    if notice is None:
        raise Http404
    state = result_notice_state(notice)
    rows = selected_applications(notice)
    running = state.running and notice.call.state == CallState.RESULT_PUBLISHED
    form = ResultObjectionForm(request.POST or None, villages=[(a.pk, a.village.name) for a in rows])

    def file_objection(data):
        chosen = {str(a.pk): a for a in rows}.get(data["application"] or "")
        services.file_result_objection(
            notice=notice,
            application=chosen,
            objector_name=data["objector_name"],
            objector_phone=data["objector_phone"],
            reason=data["reason"],
        )

    status, answer = _public(request, form, running, file_objection)
    if answer is not None:
        return answer
    context = {"state": state, "call": notice.call, "rows": rows, "running": running, "form": form}
    return render(request, "demonstration/public_result_notice.html", context, status=status)


public_urlpatterns = [
    path("demonstration/notice/<str:token>/", public_application_notice, name="application-notice"),
    path("demonstration/result/<str:token>/", public_result_notice, name="result-notice"),
]
