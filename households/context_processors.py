from dataclasses import dataclass

from django.db import connection
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.permissions import Action, can, request_memberships, sees_household_records
from core.vocabulary import OrganisationKind

from .models import Role

# Roles whose only act is reading: their navigation leads to reports, not to a to-do list that is always empty.
READERS = {Role.SUPERVISOR, Role.COUNTY_VIEWER}


@dataclass(frozen=True)
class NavLink:
    key: str
    url: str
    label: str | Promise


def navigation(request):
    """The user's townships and, inside one, what the navigation may offer to their role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if connection.needs_rollback:  # an error page (DRF's browsable 404) after a failed transaction
        return {}
    membership = getattr(request, "membership", None)
    context = {"my_memberships": request_memberships(request), "Role": Role}
    if membership is not None:
        context.update(township=request.township, membership=membership)
        context["nav"] = {
            "edit_roster": can(membership, Action.EDIT_ROSTER),
            "manage_township": can(membership, Action.MANAGE_TOWNSHIP),
            "view_history": can(membership, Action.VIEW_HISTORY),
            "record_entry": can(membership, Action.RECORD_ENTRY),
            "manage_rewards": can(membership, Action.MANAGE_REWARDS),
        }
        context["nav_links"] = nav_links(request.township, membership)
    return context


def nav_links(township, membership) -> list[NavLink]:
    """The pages the member's role can use, in the order of the day's work: no link leads to a refusal or to a
    list that is always empty for the role (tests/test_navigation.py opens every one for every role)."""
    school = township.kind == OrganisationKind.SCHOOL
    household_records = sees_household_records(membership)
    wanted: list[tuple[str, str, str | Promise, bool]] = [
        ("work", "review:worklist", _("My work"), membership.role not in READERS),
        ("households", "households:household-list", _("Households"), household_records),
        ("entries", "scoring:entry-list", _("Points"), household_records),
        ("rounds", "review:round-list", _("Review"), True),
        ("units", "households:unit-list", _("Units"), not school and household_records),
        ("dashboard", "oversight:dashboard", _("Dashboard"), membership.role in READERS),
        ("rewards", "rewards:shop-list", _("Rewards"), not school),
        ("demonstration", "demonstration:home", _("Demonstration villages"), not school),
        ("schemes", "scoring:scheme-list", _("Schemes"), True),
        ("import", "households:import-start", _("Import"), can(membership, Action.EDIT_ROSTER)),
        ("members", "households:people-list", _("Members"), can(membership, Action.MANAGE_TOWNSHIP)),
        ("history", "households:history", _("History"), can(membership, Action.VIEW_HISTORY)),
    ]
    links = []
    for key, name, label, offered in wanted:
        if not offered:
            continue
        try:
            url = reverse(name, kwargs={"township_slug": township.slug})
        except NoReverseMatch:  # an app not installed (a trimmed deployment)
            continue
        links.append(NavLink(key, url, label))
    if membership.role == Role.COUNTY_VIEWER:
        links.append(NavLink("county", reverse("oversight:county"), _("Townships compared")))
    return links
