"""The township office's people pages: the list with search, a new person with a one-time password, one person's
page (role and villages, password reset, deactivation, history). Each act is one service of households.people or
households.services; a one-time password is rendered in the response to the act and never stored in clear."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.people import display_name
from core.permissions import Action
from core.views import render_page, township_view
from core.vocabulary import OrganisationKind

from .. import people, selectors, services
from ..forms import PersonForm, ReasonForm, RoleForm, add_domain_error
from ..models import Area, Household, Membership, Village

PEOPLE_PER_PAGE = 50


def _person_url(township, target: Membership) -> str:
    return reverse("households:person-detail", kwargs={"township_slug": township.slug, "pk": target.pk})


def _role_form_kwargs(township) -> dict:
    school = township.kind == OrganisationKind.SCHOOL
    return {
        "villages": Village.objects.order_by("sort_key", "pk"),
        "areas": Area.objects.select_related("village").order_by("village__sort_key", "sort_key", "pk"),
        "roles": selectors.roles_of(township),
        "students": Household.objects.order_by("village__sort_key", "number") if school else None,
    }


def _once(response):
    """A page that shows a one-time password: never cached, never offered again."""
    add_never_cache_headers(response)
    return response


@township_view(Action.MANAGE_TOWNSHIP)
def people_list(request, township, membership):
    query = request.GET.get("q", "")[:100]
    page = Paginator(selectors.people_list(query), PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "people": page.object_list, "query": query.replace("\x00", "")}
    return render_page(request, "households/people_list.html", context)


@township_view(Action.MANAGE_TOWNSHIP)
def person_create(request, township, membership):
    role = request.POST.get("role") or request.GET.get("role") or ""
    initial = {"username": people.suggest_username(township, role or selectors.roles_of(township)[0])}
    form = PersonForm(request.POST or None, initial=initial, **_role_form_kwargs(township))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            granted, password = people.create_person(
                membership=membership,
                name=data["name"],
                username=data["username"],
                role=data["role"],
                villages=data["villages"],
                areas=data["areas"],
                student=data.get("student"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            context = {"target": granted, "password": password, "created": True}
            return _once(render_page(request, "households/person_password.html", context))
    return render_page(request, "households/person_form.html", {"form": form})


@township_view(Action.MANAGE_TOWNSHIP)
def person_detail(request, township, membership, pk):
    target = get_object_or_404(
        Membership.objects.select_related("user", "user__login_account").prefetch_related(
            "villages", "areas"
        ),
        pk=pk,
    )
    initial = {
        "role": target.role,
        "villages": list(target.villages.all()),
        "areas": list(target.areas.all()),
        "student": target.student_id,
    }
    form = RoleForm(request.POST or None, initial=initial, **_role_form_kwargs(township))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.grant_membership(
                membership=membership,
                user=target.user,
                role=data["role"],
                villages=data["villages"],
                areas=data["areas"],
                student=data.get("student"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The role of %(person)s is saved.") % {"person": _name(target)})
            return redirect(_person_url(township, target))
    context = {
        "target": target,
        "form": form,
        "reason_form": ReasonForm(),
        "history": selectors.account_history(target),
        "is_self": target.pk == membership.pk,
    }
    return render_page(request, "households/person_detail.html", context)


def _name(target: Membership) -> str:
    return display_name(target.user)


def _account_act(request, township, membership, pk, act):
    """POST only: run `act(reason)` on the member's account; a refusal returns to the person's page with why."""
    target = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    if request.method != "POST":
        return redirect(_person_url(township, target))
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why, for the record."))
        return redirect(_person_url(township, target))
    try:
        return act(target, form.cleaned_data["reason"])
    except (DomainError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
        return redirect(_person_url(township, target))


@township_view(Action.MANAGE_TOWNSHIP)
def person_reset_password(request, township, membership, pk):
    def act(target, reason):
        password = people.reset_password(membership=membership, user=target.user, reason=reason)
        context = {"target": target, "password": password, "created": False}
        return _once(render_page(request, "households/person_password.html", context))

    return _account_act(request, township, membership, pk, act)


@township_view(Action.MANAGE_TOWNSHIP)
def person_active(request, township, membership, pk):
    def act(target, reason):
        if target.user.is_active:
            people.deactivate_person(membership=membership, user=target.user, reason=reason)
            messages.success(request, _("%(person)s can no longer sign in.") % {"person": _name(target)})
        else:
            people.reactivate_person(membership=membership, user=target.user, reason=reason)
            messages.success(request, _("%(person)s can sign in again.") % {"person": _name(target)})
        return redirect(_person_url(township, target))

    return _account_act(request, township, membership, pk, act)


urlpatterns = [
    path("people/", people_list, name="people-list"),
    path("people/new/", person_create, name="person-create"),
    path("members/<int:pk>/", person_detail, name="person-detail"),
    path("members/<int:pk>/password/", person_reset_password, name="person-reset-password"),
    path("members/<int:pk>/active/", person_active, name="person-active"),
]
