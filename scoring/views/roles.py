"""Role pages (seed 2): a student's role and post (班长, 数学课代表, …) with its history, set and ended by the
class's head teacher or the school's office (ASSIGN_ROLE, checked by the services); a class's officers; and a
school's one-step "new student" form. The student's page (households:household-detail) loads the role block from
here."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can
from core.views import township_view
from households import selectors as roster_selectors
from households.selectors import households_visible_to, villages_visible_to

from .. import role_selectors, services
from ..forms import add_domain_error
from ..models import OFFICER_POSTS
from ..role_forms import EndRoleForm, RoleForm, StudentForm
from .common import get_visible, render_page, url


def _household_url(request, household) -> str:
    return reverse(
        "households:household-detail", kwargs={"township_slug": request.township.slug, "pk": household.pk}
    )


def _role_context(request, membership, household, form=None) -> dict:
    may_assign = can(membership, Action.ASSIGN_ROLE, household)
    roles = role_selectors.assignable_roles()
    return {
        "household": household,
        "assignments": role_selectors.roles_of(household),
        "history": role_selectors.role_history(household),
        "can_assign": may_assign and roles.exists(),
        "form": form or (RoleForm(roles=roles) if may_assign else None),
        "posts": OFFICER_POSTS,
        "household_url": _household_url(request, household),
    }


@township_view(Action.VIEW)
def student_role(request, township, membership, household_pk):
    """The role block: the whole page, or only the block when the student's page loads it (htmx)."""
    household = get_visible(households_visible_to(membership).select_related("village", "area"), household_pk)
    context = _role_context(request, membership, household)
    if request.headers.get("HX-Request") == "true":
        return render_page(request, "scoring/_student_role.html", context)
    return render_page(request, "scoring/student_role.html", context)


@township_view(Action.ASSIGN_ROLE)
def student_role_set(request, township, membership, household_pk):
    household = get_visible(households_visible_to(membership).select_related("village", "area"), household_pk)
    form = RoleForm(request.POST or None, roles=role_selectors.assignable_roles())
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_role(membership=membership, household=household, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The role was set. It counts for entries recorded from now on."))
            return redirect(url(request, "student-role", household_pk=household.pk))
    return render_page(
        request, "scoring/student_role.html", _role_context(request, membership, household, form=form)
    )


@township_view(Action.ASSIGN_ROLE)
def role_end(request, township, membership, pk):
    assignment = get_visible(role_selectors.role_assignments_visible_to(membership), pk)
    form = EndRoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_role(
                membership=membership, assignment=assignment, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("The role ended. Entries recorded from now on count as for a student.")
            )
            return redirect(url(request, "student-role", household_pk=assignment.household_id))
    return render_page(request, "scoring/role_end.html", {"assignment": assignment, "form": form})


@township_view(Action.VIEW)
def class_officers(request, township, membership, village_pk):
    village = get_visible(villages_visible_to(membership), village_pk)
    context = {
        "village": village,
        "assignments": role_selectors.class_officers(membership, village),
        "can_assign": can(membership, Action.ASSIGN_ROLE, village),
    }
    return render_page(request, "scoring/class_officers.html", context)


@township_view(Action.EDIT_ROSTER)
def student_create(request, township, membership):
    """A school's new student in one step (学号, name, gender, group, optional post)."""
    roles = role_selectors.assignable_roles() if can(membership, Action.ASSIGN_ROLE) else None
    form = StudentForm(
        request.POST or None,
        areas=roster_selectors.area_choices(membership),
        roles=roles if roles is not None else role_selectors.assignable_roles().none(),
    )
    if roles is None:
        del form.fields["role"], form.fields["title"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.enrol_student(
                membership=membership,
                area=data["area"],
                number=data["number"],
                name=data["name"],
                gender=data["gender"],
                role=data.get("role"),
                title=data.get("title", ""),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Student %(number)s was added.") % {"number": household.number})
            return redirect(_household_url(request, household))
    return render_page(request, "scoring/student_form.html", {"form": form, "posts": OFFICER_POSTS})


urlpatterns = [
    path("students/new/", student_create, name="student-create"),
    path("households/<int:household_pk>/role/", student_role, name="student-role"),
    path("households/<int:household_pk>/role/set/", student_role_set, name="student-role-set"),
    path("role-assignments/<int:pk>/end/", role_end, name="role-end"),
    path("villages/<int:village_pk>/officers/", class_officers, name="class-officers"),
]
