"""Read queries of roles (seed 2: class officers and their posts): the roles a member may set, a household's
roles and their history, and a class's officers. Shared by the pages and the API (kept beside scoring/selectors.py,
which is at its size limit)."""

from django.db.models import OuterRef, QuerySet, Subquery

from core.permissions import restrict_to_visible
from households.models import Household, Membership, Resident, Village

from .models import RoleAssignment, RoleChange, RoleRule, SchemeState


def assignable_roles() -> QuerySet[RoleRule]:
    """The role rules of the township's schemes that still take changes (draft or active), newest scheme first."""
    return (
        RoleRule.objects.exclude(scheme__state=SchemeState.CLOSED)
        .select_related("scheme")
        .order_by("-scheme__year", "scheme__name", "-base_score", "code")
    )


def role_assignments_visible_to(membership: Membership) -> QuerySet[RoleAssignment]:
    return restrict_to_visible(
        membership, RoleAssignment.objects.select_related("role", "scheme", "household", "household__village")
    )


def role_changes_visible_to(membership: Membership) -> QuerySet[RoleChange]:
    return restrict_to_visible(
        membership, RoleChange.objects.select_related("role", "scheme", "household", "changed_by")
    )


def roles_of(household: Household) -> list[RoleAssignment]:
    """The household's current roles, one per scheme (newest scheme first)."""
    return list(
        RoleAssignment.objects.filter(household=household)
        .select_related("role", "scheme")
        .order_by("-scheme__year", "scheme__name")
    )


def role_history(household: Household) -> list[RoleChange]:
    """Every role set or ended for the household, newest first."""
    return list(RoleChange.objects.filter(household=household).select_related("role", "scheme", "changed_by"))


def class_officers(membership: Membership, village: Village) -> list[RoleAssignment]:
    """The roles held in a class (village) that change what a student's points are worth (officers), by scheme
    and student number."""
    return list(
        role_assignments_visible_to(membership)
        .filter(household__village=village)
        .select_related("household__area")
        .annotate(
            head_name=Subquery(
                Resident.objects.filter(household=OuterRef("household"), is_head=True).values("name")[:1]
            )
        )
        .order_by("-scheme__year", "scheme__name", "household__number")
    )
