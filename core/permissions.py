"""Who may do what, answered in one place for services, pages, API and tasks: the role table and the checks.

Outsiders (no membership in the township) and objects outside a member's villages get "not found";
read-only members (supervisors, county viewers, panel members on the roster) get "permission denied" on writes.

Every township-owned model says how it reaches its village (`TownshipOwned.village_path`, checked at start-up):
a lookup such as "village" or "household__village", "" for a village itself, None for township-wide rows
(schemes, budgets of the township). A household's own records (roster, ledger, passbook, declarations, objections)
also say `household_record = True`: county viewers never see them.

The concrete township and membership models are the roster's (`settings.JIFEN_TOWNSHIP_MODEL`,
`settings.JIFEN_MEMBERSHIP_MODEL`, read like `AUTH_USER_MODEL`), so the platform does not import the roster.
"""

import enum
import functools
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .rows import columns, instance
from .rows import width as rows_width
from .tenancy import dangerously_all_townships, membership_model


class Role(models.TextChoices):
    TOWNSHIP_ADMIN = "township_admin", gettext_lazy("Township office")
    VILLAGE_CLERK = "village_clerk", gettext_lazy("Village clerk")
    PANEL_MEMBER = "panel_member", gettext_lazy("Review panel member")
    SUPERVISOR = "supervisor", gettext_lazy("Supervisor")
    COUNTY_VIEWER = "county_viewer", gettext_lazy("County viewer")
    GRID_WORKER = "grid_worker", gettext_lazy("Grid worker")  # 网格员 / 综治信息员 (scheme 4)
    # A school's roles (the class scheme, seed 2); a school's classes are its "villages" (core.vocabulary).
    HEAD_TEACHER = "head_teacher", gettext_lazy("Head teacher")  # 班主任: approves and corrects for the class
    CLASS_OFFICER = "class_officer", gettext_lazy("Class officer")  # 班干部: records, posts the weekly totals
    DUTY_MONITOR = "duty_monitor", gettext_lazy("Duty monitor")  # 值日班长: records the day
    PARENT = "parent", gettext_lazy("Parent")  # 家长: reads one student's records, writes the monthly comment


class Member(Protocol):
    """What the checks need of a membership (the roster's Membership: a user's role in one township)."""

    pk: Any
    user: Any
    role: str
    township_id: int

    @property
    def villages(self) -> Any: ...


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
    RECORD_CLAIM = "record_claim"  # claims (积分申报) outside rounds for households of one's villages/areas
    CHECK_CLAIM = "check_claim"  # the first check of a claim (time, place, cause, evidence); finding it false
    DECIDE_APPEAL = "decide_appeal"  # uphold or reject a household's appeal (申诉) against one of its entries
    ASSIGN_ROLE = "assign_role"  # a holder's role in a scheme (seed 2: a student made a class officer)
    COMMENT_REPORT = "comment_report"  # a parent's comment on the monthly report (seed 2)
    CLOSE_YEAR = "close_year"  # the year-end close (年度结算) of a scheme's year: the township office alone


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
        Action.RECORD_CLAIM,
        Action.CHECK_CLAIM,
        Action.DECIDE_APPEAL,
        Action.ASSIGN_ROLE,
        Action.CLOSE_YEAR,
    },
    Role.VILLAGE_CLERK: {
        Action.VIEW,
        Action.EDIT_ROSTER,
        Action.RECORD_ENTRY,
        Action.RUN_ROUND,
        Action.RUN_SHOP,
        Action.RECORD_CLAIM,
        Action.CHECK_CLAIM,
        Action.DECIDE_APPEAL,
    },
    Role.PANEL_MEMBER: {Action.VIEW, Action.PANEL_WORK},
    Role.SUPERVISOR: {Action.VIEW, Action.VIEW_HISTORY},
    Role.COUNTY_VIEWER: {Action.VIEW},
    # Reads the roster of their villages (areas) like a panel member; records and checks claims there.
    Role.GRID_WORKER: {Action.VIEW, Action.RECORD_CLAIM, Action.CHECK_CLAIM},
    Role.HEAD_TEACHER: {
        Action.VIEW,
        Action.EDIT_ROSTER,
        Action.VIEW_HISTORY,
        Action.RECORD_ENTRY,
        Action.APPROVE_ENTRY,
        Action.RUN_ROUND,
        Action.APPROVE_ROUND,
        Action.MANAGE_REWARDS,
        Action.DECIDE_APPEAL,
        Action.ASSIGN_ROLE,
    },
    Role.CLASS_OFFICER: {Action.VIEW, Action.RECORD_ENTRY, Action.RUN_ROUND},
    Role.DUTY_MONITOR: {Action.VIEW, Action.RECORD_ENTRY},
    # Reads one student's records (Membership.student) and the class's public pages; comments on the report.
    Role.PARENT: {Action.VIEW, Action.COMMENT_REPORT},
}
SCHOOL_ROLES = {Role.HEAD_TEACHER, Role.CLASS_OFFICER, Role.DUTY_MONITOR, Role.PARENT}


def memberships_of(user: Any) -> list:
    """All of a user's memberships, across townships, by township name (the only cross-township read a request
    makes), each with its township and `village_ids`."""
    if not user.is_authenticated or not user.is_active:
        return []
    return _read_memberships(user)


def _read_memberships(user: Any, slug: str | None = None) -> list:
    """The user's memberships (or the one in township `slug`), each with its township joined and `village_ids`,
    the ids of its villages (None when it has none; `visible_village_ids` reads them): one statement.

    Every request of a member reads its membership, so the statement is written out once (`_membership_statement`)
    instead of being compiled by the ORM on each request (1.7 ms against 0.3 ms, measured in issue 19); its rows
    become the same instances (core.rows). It names the user: a user's own rows across townships, as
    `memberships_of` always read them."""
    Membership = membership_model()  # noqa: N806
    Township = Membership._meta.get_field("township").related_model  # noqa: N806
    params = [user.pk] if slug is None else [user.pk, slug]
    with connection.cursor() as cursor:
        cursor.execute(_membership_statement(one_township=slug is not None), params)
        rows = cursor.fetchall()
    split = rows_width(Membership)
    memberships = []
    for row in rows:
        membership = instance(Membership, row[:split])
        membership.township = instance(Township, row[split:-1])
        membership.village_ids = row[-1]
        memberships.append(membership)
    return memberships


@functools.cache
def _membership_statement(*, one_township: bool) -> str:
    """The SQL of `_read_memberships` (`one_township`: also by the township's slug): the membership's columns, its
    township's, then the array of its villages' ids."""
    Membership = membership_model()  # noqa: N806
    Township = Membership._meta.get_field("township").related_model  # noqa: N806
    villages = Membership._meta.get_field("villages")
    through = villages.remote_field.through
    own = through._meta.get_field(villages.m2m_field_name()).column
    village = through._meta.get_field(villages.m2m_reverse_field_name()).column
    by_slug = " AND t.slug = %s" if one_township else ""
    # Only the models' own table and column names are written into it; the values are parameters.
    return (
        f"SELECT {columns(Membership, 'm')}, {columns(Township, 't')},"  # noqa: S608
        f' array_agg(v."{village}") FILTER (WHERE v."{village}" IS NOT NULL)'
        f' FROM "{Membership._meta.db_table}" m JOIN "{Township._meta.db_table}" t ON t.id = m.township_id'
        f' LEFT JOIN "{through._meta.db_table}" v ON v."{own}" = m.id'
        f" WHERE m.user_id = %s{by_slug} GROUP BY m.id, t.id ORDER BY t.name, t.id"
    )


def request_memberships(request: Any) -> list:
    """The user's memberships (township joined), read once per request: a page's entry into its township and the
    navigation's township list share the one query. Never kept beyond the request (revocation is immediate)."""
    memberships = getattr(request, "_jifen_memberships", None)
    if memberships is None:
        memberships = request._jifen_memberships = memberships_of(request.user)
    return memberships


def enter_township(user: Any, slug: str, *, memberships: list | None = None) -> tuple[Any, Any]:
    """Fetch-and-check: the township and the user's membership there, or 404 (never reveal it exists). One query
    for the membership with its township and its villages' ids (none when the caller passes the user's
    `memberships`, read once per request by `request_memberships`); a grid worker's areas in a second."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    if memberships is None:
        memberships = _read_memberships(user, slug)
    membership = next((m for m in memberships if m.township.slug == slug), None)
    if membership is None:
        raise Http404
    membership.user = user  # it is the request's user: services reading membership.user ask no query
    if membership.role == Role.GRID_WORKER:
        with dangerously_all_townships():
            prefetch_related_objects([membership], "areas")  # only grid workers are limited to areas
    return membership.township, membership


def is_read_only(membership: Member) -> bool:
    return Action.EDIT_ROSTER not in ROLE_ACTIONS[membership.role]


def visible_area_ids(membership: Member) -> set[int] | None:
    """A grid worker may be limited to some areas of their villages; None means every area of them."""
    if membership.role != Role.GRID_WORKER:
        return None
    areas = getattr(membership, "areas", None)
    ids = {area.pk for area in areas.all()} if areas is not None else set()
    return ids or None


def visible_household_id(membership: Member) -> int | None:
    """A parent reads one student's records (a school's student is its household row); None: no such limit."""
    if membership.role != Role.PARENT:
        return None
    return getattr(membership, "student_id", None) or 0


def household_of(obj: Any) -> int | None | object:
    """The household (a school's student) a household record belongs to; NO_PATH when it names none."""
    if type(obj).__name__ == "Household":
        return obj.pk
    return getattr(obj, "household_id", NO_PATH) if hasattr(type(obj), "household_id") else NO_PATH


def area_of(obj: Any) -> int | None | object:
    """The area of a household record (the household's own area, or its household's, or what the model's
    `area_path` names); NO_PATH for others."""
    path = getattr(type(obj), "area_path", None)
    if path is not None:
        *steps, last = path.split("__")
        current: Any = obj
        for step in steps:
            current = getattr(current, step)
            if current is None:
                return None
        return getattr(current, f"{last}_id")
    if hasattr(type(obj), "area_id") and type(obj).__name__ == "Household":
        return obj.area_id
    household = getattr(obj, "household", None) if hasattr(type(obj), "household_id") else None
    return household.area_id if household is not None else NO_PATH


def _area_lookup(model: Any) -> str | None:
    """How a household record's rows reach their area (None: the model has no household)."""
    if getattr(model, "area_path", None) is not None:
        return f"{model.area_path}__in"
    fields = {f.name for f in model._meta.get_fields()}
    if model.__name__ == "Household":
        return "area__in"
    return "household__area__in" if "household" in fields else None


_NOT_READ = object()


def visible_village_ids(membership: Member) -> set[int] | None:
    """None means every village of the township."""
    if membership.role in WHOLE_TOWNSHIP_ROLES:
        return None
    read_with_it: Any = getattr(membership, "village_ids", _NOT_READ)  # the request's: _read_memberships
    if read_with_it is not _NOT_READ:
        return set(read_with_it or ())
    return {village.pk for village in membership.villages.all()}


NO_PATH = object()


def village_of(obj: Any) -> int | None:
    """The id of the village `obj` belongs to (None: township-wide), by its model's declared `village_path`."""
    path: Any = getattr(type(obj), "village_path", NO_PATH)
    if path is NO_PATH:
        raise TypeError(f"{type(obj).__name__} declares no village_path: say how it reaches its village")
    if path is None:
        return None
    if path == "":
        return obj.pk
    *steps, last = path.split("__")
    current: Any = obj
    for step in steps:
        current = getattr(current, step)
        if current is None:
            return None
    return getattr(current, f"{last}_id")


def sees_household_records(membership: Member) -> bool:
    """County viewers compare townships and villages (issue 7): a household's own records — roster, residents,
    ledger, passbook, declarations, objections — stay inside the township, so for them these are "not found"."""
    return membership.role != Role.COUNTY_VIEWER


def is_household_record(model_or_obj: object) -> bool:
    return getattr(model_or_obj, "household_record", False)


def can_see(membership: Member, obj: Any) -> bool:
    if obj.township_id != membership.township_id:
        return False
    if not sees_household_records(membership) and is_household_record(obj):
        return False
    village_ids = visible_village_ids(membership)
    if village_ids is None or getattr(type(obj), "village_path", "") is None:
        return True  # the whole township's member, or a township-wide row (a scheme, an import batch)
    if village_of(obj) not in village_ids:
        return False
    if not is_household_record(obj):
        return True
    student = visible_household_id(membership)
    if student is not None and household_of(obj) != student:
        return False
    area_ids = visible_area_ids(membership)
    if area_ids is None:
        return True
    area = area_of(obj)
    return area is NO_PATH or area in area_ids


def can(membership: Member, action: Action, obj: Any = None) -> bool:
    if action not in ROLE_ACTIONS[membership.role]:
        return False
    return obj is None or can_see(membership, obj)


def require(
    membership: Member | None, action: Action, obj: Any = None, *, message: str | None = None
) -> None:
    """The services' own check: PermissionDenied (with `message`) unless the acting member may do `action` (on
    `obj`). Pages and the API call the service and map the refusal; they do not repeat the check."""
    if membership is None or not can(membership, action, obj):
        raise PermissionDenied(message or _("Your role does not allow this."))


def check(membership: Member, action: Action, obj: Any = None) -> None:
    """Raise 404 for what the member cannot see, 403 for what they can see but not do."""
    if obj is not None and not can_see(membership, obj):
        raise Http404
    if not can(membership, action, obj):
        raise PermissionDenied(_("Your role does not allow this."))


def restrict_to_visible(
    membership: Member,
    queryset: QuerySet,
    village_field: str | None = None,
    *,
    household_record: bool | None = None,
) -> QuerySet:
    """The rows of `queryset` the member may see (call inside the township scope).

    `village_field` and `household_record` default to what the model declares (`village_path`,
    `household_record`); a path through "household" always counts as a household's record."""
    model = queryset.model
    if village_field is None:
        village_field = getattr(model, "village_path")  # noqa: B009 — declared by each concrete model
        if household_record is None:
            household_record = is_household_record(model)
        if village_field is None:  # a township-wide row: every member of the township sees it
            return queryset
    if not sees_household_records(membership) and (household_record or "household" in village_field):
        return queryset.none()
    village_ids = visible_village_ids(membership)
    if village_ids is None:
        return queryset
    lookup = "pk__in" if village_field == "" else f"{village_field}__in"
    queryset = queryset.filter(**{lookup: village_ids})
    area_ids = visible_area_ids(membership)
    area_lookup = _area_lookup(model) if household_record or is_household_record(model) else None
    if area_ids is not None and area_lookup:
        queryset = queryset.filter(**{area_lookup: area_ids})
    student = visible_household_id(membership)
    if student is not None and (household_record or is_household_record(model)):
        student_lookup = _household_lookup(model)
        queryset = queryset.filter(**{student_lookup: student}) if student_lookup else queryset.none()
    return queryset


def _household_lookup(model: Any) -> str | None:
    """How a household record's rows name their household (None: they name none, e.g. a villager's account)."""
    if model.__name__ == "Household":
        return "pk"
    return "household" if "household" in {f.name for f in model._meta.get_fields()} else None


# Regions: the counties and cities above the townships -----------------------------------------------------------
# The demonstration programme's county and city officers act for a region, not in a township: the same contract
# (a role table, `can_in_region`, `require_region`) answers for them. The region membership is the programme's
# (`demonstration.models.RegionMembership`); the platform reads only its `role` and `region_id`. Which calls and
# applications a region sees is a query of the programme (`demonstration.selectors`), like a township's villages.


class RegionRole(models.TextChoices):
    OFFICER = "officer", gettext_lazy("Programme officer")  # acts: pre-selection (county), selection (city)
    VIEWER = "viewer", gettext_lazy("Programme viewer")  # reads the region's calls and applications


class RegionMember(Protocol):
    """What the checks need of a region membership (a user's role at one county or city)."""

    role: str
    region_id: int


class RegionAction(enum.StrEnum):
    VIEW = "view"  # the calls the region sees and the applications of its townships
    RUN_CALL = "run_call"  # open and move the region's own calls; score, select and award their applications
    PRESELECT = "preselect"  # a county's pre-selection of its townships' forwarded applications


REGION_ROLE_ACTIONS: dict[str, set[RegionAction]] = {
    RegionRole.OFFICER: {RegionAction.VIEW, RegionAction.RUN_CALL, RegionAction.PRESELECT},
    RegionRole.VIEWER: {RegionAction.VIEW},
}


def is_region_read_only(region_membership: RegionMember) -> bool:
    return REGION_ROLE_ACTIONS[region_membership.role] <= {RegionAction.VIEW}


def can_in_region(region_membership: RegionMember, action: RegionAction, region: Any = None) -> bool:
    """`region`: the region whose act it is (a call's region; for pre-selection the township's county). A member
    acts only for the region of their membership: a city's officer does not pre-select for its counties."""
    if action not in REGION_ROLE_ACTIONS[region_membership.role]:
        return False
    return region is None or region.pk == region_membership.region_id


def require_region(
    region_membership: RegionMember | None,
    action: RegionAction,
    region: Any = None,
    *,
    message: str | None = None,
) -> None:
    """`require` for a region's member: PermissionDenied (with `message`) unless they may do `action` for
    `region`. The services of the region side call it; pages and the API map the refusal."""
    if region_membership is None or not can_in_region(region_membership, action, region):
        raise PermissionDenied(message or _("Your role does not allow this."))
