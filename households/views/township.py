"""Township pages: the home page with its villages, the township's members (roles) and the audit trail."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can
from core.views import render_page, township_view
from core.vocabulary import OrganisationKind

from .. import selectors, services
from ..forms import MembershipForm, add_domain_error
from ..models import Area, Household, Membership, Village

HISTORY_PER_PAGE = 50


@township_view(Action.VIEW)
def township_home(request, township, membership):
    villages = list(selectors.village_summaries(membership))
    context = {
        "villages": villages,
        "household_total": sum(village.household_count for village in villages),
        "can_manage": can(membership, Action.MANAGE_TOWNSHIP),
        "can_edit_roster": can(membership, Action.EDIT_ROSTER),
        "area_limit": settings.JIFEN_AREA_SOFT_LIMIT,
    }
    return render_page(request, "households/township_home.html", context)


# Members (roles) ---------------------------------------------------------------------------------------------


def _members_url(township) -> str:
    return reverse("households:people-list", kwargs={"township_slug": township.slug})


@township_view(Action.MANAGE_TOWNSHIP)
def membership_list(request, township, membership):
    # The scope limits memberships to this township: users of other townships never show.
    memberships = (
        Membership.objects.select_related("user")
        .prefetch_related("villages")
        .order_by("role", "user__username", "pk")
    )
    return render_page(request, "households/membership_list.html", {"memberships": memberships})


@township_view(Action.MANAGE_TOWNSHIP)
def membership_grant(request, township, membership):
    villages = Village.objects.order_by("sort_key", "pk")
    areas = Area.objects.select_related("village").order_by("village__sort_key", "sort_key", "pk")
    initial = {}
    if username := request.GET.get("username", "").replace("\x00", "").strip():
        # "Change" from the list: start from the member's current role and villages.
        current = Membership.objects.filter(user__username=username).prefetch_related("villages").first()
        if current is not None:
            initial = {
                "username": username,
                "role": current.role,
                "villages": list(current.villages.all()),
                "areas": list(current.areas.all()),
            }
    school = township.kind == OrganisationKind.SCHOOL
    if school and initial:
        initial["student"] = current.student_id
    form = MembershipForm(
        request.POST or None,
        villages=villages,
        areas=areas,
        initial=initial,
        roles=selectors.roles_of(township),
        students=Household.objects.order_by("village__sort_key", "number") if school else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = get_user_model().objects.filter(username=data["username"]).first()
        try:
            if user is None:
                services.create_member_account(
                    membership=membership,
                    username=data["username"],
                    password=data["password"],
                    role=data["role"],
                    villages=data["villages"],
                    areas=data["areas"],
                    student=data.get("student"),
                )
            elif data["password"]:
                raise DomainError(
                    _("This account already exists: leave the password empty, its owner keeps their own."),
                    field="password",
                )
            else:
                services.grant_membership(
                    membership=membership,
                    user=user,
                    role=data["role"],
                    villages=data["villages"],
                    areas=data["areas"],
                    student=data.get("student"),
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("%(username)s is now a member of this township.") % data)
            return redirect(_members_url(township))
    return render_page(request, "households/membership_form.html", {"form": form})


@township_view(Action.MANAGE_TOWNSHIP)
def membership_revoke(request, township, membership, pk):
    target = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    if request.method == "POST":
        try:
            services.revoke_membership(membership=membership, target=target)
        except DomainError as exc:  # one's own membership
            messages.error(request, exc.message)
            return redirect(_members_url(township))
        messages.success(request, _("%(username)s can no longer enter this township.") % {
            "username": target.user.username,
        })  # fmt: skip
        return redirect(_members_url(township))
    return render_page(request, "households/membership_revoke.html", {"target": target})


# History -----------------------------------------------------------------------------------------------------


@township_view(Action.VIEW_HISTORY)
def history(request, township, membership):
    page = Paginator(selectors.township_history(township), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "entries": selectors.history_entries(page.object_list)}
    return render_page(request, "households/history.html", context)


urlpatterns = [
    path("", township_home, name="township-home"),
    path("members/", membership_list, name="membership-list"),
    path("members/new/", membership_grant, name="membership-grant"),
    path("members/<int:pk>/revoke/", membership_revoke, name="membership-revoke"),
    path("history/", history, name="history"),
]
