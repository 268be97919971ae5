"""Who may do what, answered in one place for pages, API and tasks.

Outsiders (no membership in the township) and objects outside a member's villages get "not found";
read-only members (supervisors, county viewers, panel members on the roster) get "permission denied" on writes.
"""

import enum

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Area, Household, Membership, Resident, Role, Township, Village
from .tenancy import dangerously_all_townships


class Action(enum.StrEnum):
    VIEW = "view"  # read the roster of a village
    EDIT_ROSTER = "edit_roster"  # areas, households, residents, moves, import
    MANAGE_TOWNSHIP = "manage_township"  # villages and memberships
    VIEW_HISTORY = "view_history"  # the audit trail
    EDIT_SCHEME = "edit_scheme"  # schemes, categories, items, role rules
    RECORD_ENTRY = "record_entry"  # propose points for households of one's villages
    APPROVE_ENTRY = "approve_entry"  # make proposed entries count; corrections
    RUN_ROUND = "run_round"  # open and move review rounds, declarations at the counter, minutes, objections
    APPROVE_ROUND = "approve_round"  # the township's approval or return of a round
    PANEL_WORK = "panel_work"  # inspections, verifying declarations, resolving objections
    MANAGE_REWARDS = "manage_rewards"  # star ratings, reward levels, budgets and their allocations
    RUN_SHOP = "run_shop"  # the points supermarket of one's villages: products, stock, the counter


WHOLE_TOWNSHIP_ROLES = {Role.TOWNSHIP_ADMIN, Role.SUPERVISOR, Role.COUNTY_VIEWER}
ROLE_ACTIONS: dict[str, set[Action]] = {
    Role.TOWNSHIP_ADMIN: {
        Action.VIEW,
        Action.EDIT_ROSTER,
        Action.MANAGE_TOWNSHIP,
        Action.VIEW_HISTORY,
        Action.EDIT_SCHEME,
        Action.RECORD_ENTRY,
        Action.APPROVE_ENTRY,
        Action.RUN_ROUND,
        Action.APPROVE_ROUND,
        Action.MANAGE_REWARDS,
        Action.RUN_SHOP,
    },
    Role.VILLAGE_CLERK: {
        Action.VIEW,
        Action.EDIT_ROSTER,
        Action.RECORD_ENTRY,
        Action.RUN_ROUND,
        Action.RUN_SHOP,
    },
    Role.PANEL_MEMBER: {Action.VIEW, Action.PANEL_WORK},
    Role.SUPERVISOR: {Action.VIEW, Action.VIEW_HISTORY},
    Role.COUNTY_VIEWER: {Action.VIEW},
}


def memberships_of(user) -> QuerySet[Membership]:
    """All of a user's memberships, across townships (the only cross-township read a request makes)."""
    if not user.is_authenticated or not user.is_active:
        return Membership.objects.none()
    with dangerously_all_townships():
        return Membership.objects.filter(user=user).select_related("township").order_by("township__name")


def enter_township(user, slug: str) -> tuple[Township, Membership]:
    """Fetch-and-check: the township and the user's membership there, or 404 (never reveal it exists)."""
    township = Township.objects.filter(slug=slug).first()
    if township is None or not user.is_authenticated or not user.is_active:
        raise Http404
    with dangerously_all_townships():
        membership = (
            Membership.objects.filter(user=user, township=township).prefetch_related("villages").first()
        )
    if membership is None:
        raise Http404
    return township, membership


def is_read_only(membership: Membership) -> bool:
    return Action.EDIT_ROSTER not in ROLE_ACTIONS[membership.role]


def visible_village_ids(membership: Membership) -> set[int] | None:
    """None means every village of the township."""
    if membership.role in WHOLE_TOWNSHIP_ROLES:
        return None
    return {village.pk for village in membership.villages.all()}


def village_of(obj) -> int | None:
    if isinstance(obj, Village):
        return obj.pk
    if isinstance(obj, Area | Household):
        return obj.village_id
    if isinstance(obj, Resident):
        return obj.household.village_id
    if hasattr(obj, "village_id"):
        return obj.village_id
    if hasattr(obj, "round"):  # a review round's declaration, objection, inspection …
        return obj.round.village_id
    if hasattr(obj, "shop"):  # the supermarket's products and redemptions
        return obj.shop.village_id
    if hasattr(obj, "budget"):  # funding lines and reward allocations
        return obj.budget.village_id
    if hasattr(obj, "household"):
        return obj.household.village_id
    return None


def sees_household_records(membership: Membership) -> bool:
    """County viewers compare townships and villages (issue 7): a household's own records — roster, residents,
    ledger, passbook, declarations, objections — stay inside the township, so for them these are "not found"."""
    return membership.role != Role.COUNTY_VIEWER


def _is_household_record(obj) -> bool:
    return isinstance(obj, Household | Resident) or hasattr(obj, "household_id") or hasattr(obj, "entry_id")


def can_see(membership: Membership, obj) -> bool:
    if obj.township_id != membership.township_id:
        return False
    if not sees_household_records(membership) and _is_household_record(obj):
        return False
    village_ids = visible_village_ids(membership)
    return village_ids is None or village_of(obj) in village_ids


def can(membership: Membership, action: Action, obj=None) -> bool:
    if action not in ROLE_ACTIONS[membership.role]:
        return False
    return obj is None or can_see(membership, obj)


def membership_of(user, township_id: int) -> Membership | None:
    """The user's membership in one township (None for no user or no membership): for services that are given
    the acting user and check its right themselves."""
    if user is None:
        return None
    return Membership.objects.filter(user=user, township_id=township_id).first()


def require_action(
    user, township_id: int, action: Action, obj=None, *, message: str | None = None
) -> Membership:
    """The acting user's membership if it allows `action` (on `obj`), else PermissionDenied with `message`."""
    membership = membership_of(user, township_id)
    if membership is None or not can(membership, action, obj):
        raise PermissionDenied(message or _("Your role does not allow this."))
    return membership


def check(membership: Membership, action: Action, obj=None) -> None:
    """Raise 404 for what the member cannot see, 403 for what they can see but not do."""
    if obj is not None and not can_see(membership, obj):
        raise Http404
    if not can(membership, action, obj):
        raise PermissionDenied(_("Your role does not allow this."))


def restrict_to_visible(
    membership: Membership, queryset: QuerySet, village_field: str = "village"
) -> QuerySet:
    """The rows of `queryset` the member may see (call inside the township scope)."""
    if not sees_household_records(membership) and (
        queryset.model in (Household, Resident) or "household" in village_field
    ):
        return queryset.none()
    village_ids = visible_village_ids(membership)
    if village_ids is None:
        return queryset
    lookup = "pk__in" if village_field == "" else f"{village_field}__in"
    return queryset.filter(**{lookup: village_ids})


def villages_visible_to(membership: Membership) -> QuerySet[Village]:
    return restrict_to_visible(membership, Village.objects.all(), village_field="")


def areas_visible_to(membership: Membership) -> QuerySet[Area]:
    return restrict_to_visible(membership, Area.objects.all())


def households_visible_to(membership: Membership) -> QuerySet[Household]:
    return restrict_to_visible(membership, Household.objects.all())


def residents_visible_to(membership: Membership) -> QuerySet[Resident]:
    return restrict_to_visible(membership, Resident.objects.all(), village_field="household__village")
