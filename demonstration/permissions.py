"""Who may do what in the demonstration programme, at each level, answered in one place for pages, API and services.

- Village level (apply, withdraw): the township office, or a village clerk for the villages of their membership.
- Township level (publish and review the applications of its villages): the township office.
- County level (pre-select at most N villages per county): an officer of the township's county.
- Call level (score, select, publish the result, award): an officer of the call's region.

Seeing follows the same levels: a township member sees its own villages' applications (a clerk only those of their
villages), a county member those of its townships, a city member every application of its counties' townships.
Outsiders get "not found", members who may read but not act get "permission denied", as everywhere in Jifen.
"""

import enum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from households.models import Membership, Role, Township
from households.permissions import can_see, memberships_of
from households.tenancy import township_scope

from .models import Application, Call, Region, RegionKind, RegionMembership, RegionRole


class Level(enum.StrEnum):
    VILLAGE = "village"
    TOWNSHIP = "township"
    COUNTY = "county"
    CALL = "call"


TOWNSHIP_ROLES = {
    Level.VILLAGE: {Role.TOWNSHIP_ADMIN, Role.VILLAGE_CLERK},
    Level.TOWNSHIP: {Role.TOWNSHIP_ADMIN},
}


# Regions -------------------------------------------------------------------------------------------------------


def region_memberships_of(user) -> QuerySet[RegionMembership]:
    if not user.is_authenticated or not user.is_active:
        return RegionMembership.objects.none()
    return RegionMembership.objects.filter(user=user).select_related("region", "region__parent")


def enter_region(user, slug: str) -> tuple[Region, RegionMembership]:
    """Fetch-and-check: the region and the user's membership there, or 404 (never reveal that it exists)."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    membership = region_memberships_of(user).filter(region__slug=slug).first()
    if membership is None:
        raise Http404
    return membership.region, membership


def townships_of(region: Region) -> QuerySet[Township]:
    """A county's townships, or every township of a city's counties."""
    if region.kind == RegionKind.COUNTY:
        return Township.objects.filter(county_link__county=region)
    return Township.objects.filter(county_link__county__parent=region)


def county_of(township) -> Region | None:
    return Region.objects.filter(township_links__township=township).select_related("parent").first()


def calls_seen_by_region(region: Region) -> QuerySet[Call]:
    """A county sees its own calls and its city's; a city its own and its counties'."""
    if region.kind == RegionKind.COUNTY:
        where = Q(region=region) | (Q(region_id=region.parent_id) if region.parent_id else Q(pk__in=[]))
    else:
        where = Q(region=region) | Q(region__parent=region)
    return Call.objects.filter(where)


def calls_for_township(township) -> QuerySet[Call]:
    """The calls a township's villages may see and apply to: its county's and its city's."""
    county = county_of(township)
    if county is None:
        return Call.objects.none()
    regions = [county.pk] + ([county.parent_id] if county.parent_id else [])
    return Call.objects.filter(region_id__in=regions)


def is_officer(membership: RegionMembership) -> bool:
    return membership.role == RegionRole.OFFICER


# Applications --------------------------------------------------------------------------------------------------


def _township_membership(user, township_id: int) -> Membership | None:
    return next((m for m in memberships_of(user) if m.township_id == township_id), None)


def _member_sees(membership: Membership, application: Application) -> bool:
    """A clerk's villages are read in the application's own township (region pages run outside any scope)."""
    with township_scope(application.township):
        return can_see(membership, application)


def _region_sees(region: Region, application: Application) -> bool:
    return (
        townships_of(region).filter(pk=application.township_id).exists()
        and calls_seen_by_region(region).filter(pk=application.call_id).exists()
    )


def can_see_application(user, application: Application) -> bool:
    membership = _township_membership(user, application.township_id)
    if membership is not None and _member_sees(membership, application):
        return True
    return any(_region_sees(m.region, application) for m in region_memberships_of(user))


def can_act(user, application: Application, level: Level) -> bool:
    if level in TOWNSHIP_ROLES:
        membership = _township_membership(user, application.township_id)
        return (
            membership is not None
            and membership.role in TOWNSHIP_ROLES[level]
            and _member_sees(membership, application)
        )
    region = county_of(application.township) if level == Level.COUNTY else application.call.region
    if region is None:
        return False
    return RegionMembership.objects.filter(user=user, region=region, role=RegionRole.OFFICER).exists()


def check_application(user, application: Application, level: Level) -> None:
    """404 for what the user cannot see, 403 for what they can see but not do."""
    if not can_see_application(user, application):
        raise Http404
    if not can_act(user, application, level):
        raise PermissionDenied(_("Your role does not allow this."))


def check_call(user, call: Call) -> None:
    """Only an officer of the call's region moves the call; others who see it get 403, outsiders 404."""
    memberships = list(region_memberships_of(user))
    if not any(calls_seen_by_region(m.region).filter(pk=call.pk).exists() for m in memberships):
        raise Http404
    if not any(m.region_id == call.region_id and is_officer(m) for m in memberships):
        raise PermissionDenied(_("Your role does not allow this."))


def can_apply_in(membership: Membership) -> bool:
    return membership.role in TOWNSHIP_ROLES[Level.VILLAGE]


def is_officer_of(user, region: Region) -> bool:
    return region_memberships_of(user).filter(region=region, role=RegionRole.OFFICER).exists()


class Authority:
    """What one user may do, read once: their township memberships and the regions where they are an officer.
    A page listing many applications asks it for each row without a query per row."""

    def __init__(self, user):
        self.memberships = {m.township_id: m for m in memberships_of(user)}
        self.officer_of = set(
            region_memberships_of(user).filter(role=RegionRole.OFFICER).values_list("region_id", flat=True)
        )

    def can_act(self, application: Application, level: Level) -> bool:
        if level in TOWNSHIP_ROLES:
            membership = self.memberships.get(application.township_id)
            return (
                membership is not None
                and membership.role in TOWNSHIP_ROLES[level]
                and _member_sees(membership, application)
            )
        if level == Level.COUNTY:
            link = getattr(application.township, "county_link", None)
            return link is not None and link.county_id in self.officer_of
        return application.call.region_id in self.officer_of
