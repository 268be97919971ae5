"""The township setup checklist (issue 16, item 1): what is missing before the first round, shown to the township
office on its home page until everything is done. It reads the roster, the schemes, the panels and the notice
settings, so it lives in the top layer (publicity); households' home page renders it through a template tag.

A constant number of queries (five), whatever the number of villages and areas."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import Role
from core.vocabulary import OrganisationKind
from households.models import Area, Household, Membership, Township, Village
from review.models import ReviewPanel
from scoring.models import Scheme, SchemeState

from .models import NoticeSettings

MIN_PANEL_MEMBERS = 5  # seed 1: 评议小组不少于5人
SHOWN_NAMES = 5


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    todo: str = ""  # what to do, when not done
    url: str | None = None


def _url(name: str, township: Township, **kwargs) -> str | None:
    """A page's address, or None while that page does not exist (a step then says what to do without a link)."""
    try:
        return reverse(name, kwargs={"township_slug": township.slug, **kwargs})
    except NoReverseMatch:
        return None


def _names(items: list[str]) -> str:
    shown = "、".join(items[:SHOWN_NAMES])
    return shown + ("…" if len(items) > SHOWN_NAMES else "")


def _count(model, fk: str, **filters):
    rows = (
        model.objects.filter(**{fk: OuterRef("pk")}, **filters)
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _today(township: Township) -> datetime.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(township.timezone)).date()


def setup_steps(township: Township) -> list[Step]:
    """Each step of the setup, done or with what to do (call inside the township's scope)."""
    clerk_role = Role.HEAD_TEACHER if township.kind == OrganisationKind.SCHOOL else Role.VILLAGE_CLERK
    clerks = Membership.objects.filter(role=clerk_role, villages=OuterRef("pk"))
    villages = list(  # query 1
        Village.objects.filter(retired_at__isnull=True)
        .annotate(
            area_count=_count(Area, "village", retired_at__isnull=True),
            has_clerk=Exists(clerks),
        )
        .order_by("sort_key", "pk")
    )
    full_panels = (
        ReviewPanel.objects.filter(home_area=OuterRef("pk"))
        .annotate(member_count=Count("members"))
        .filter(member_count__gte=MIN_PANEL_MEMBERS)
    )
    areas = list(  # query 2
        Area.objects.filter(retired_at__isnull=True, village__retired_at__isnull=True)
        .annotate(household_count=_count(Household, "area"), has_panel=Exists(full_panels))
        .select_related("village")
        .order_by("village__sort_key", "sort_key", "pk")
    )
    has_households = Household.objects.exists()  # query 3
    year = _today(township).year
    has_scheme = Scheme.objects.filter(  # query 4
        Q(year=year) | Q(starts_on__year__lte=year, ends_on__isnull=True), state=SchemeState.ACTIVE
    ).exists()
    notice = NoticeSettings.objects.filter(township=township).first()  # query 5
    limit = settings.JIFEN_AREA_SOFT_LIMIT

    no_area = [v.name for v in villages if not v.area_count]
    too_big = [f"{a.village.name}{a.name}" for a in areas if a.household_count > limit]
    no_clerk = [v.name for v in villages if not v.has_clerk]
    no_panel = [f"{a.village.name}{a.name}" for a in areas if not a.has_panel]
    # The village page that fixes the areas: the first village without areas, else one with too big an area.
    area_village = next((v.pk for v in villages if not v.area_count), None)
    area_village = area_village or next((a.village_id for a in areas if a.household_count > limit), None)
    area_village = area_village or (villages[0].pk if villages else None)
    steps = [
        Step(
            "villages",
            _("Villages"),
            bool(villages),
            _("Create the villages of the township."),
            _url("households:village-create", township),
        ),
        Step(
            "areas",
            _("Areas of at most %(limit)d households") % {"limit": limit},
            bool(villages) and not no_area and not too_big,
            (
                _("Villages without areas: %(names)s.") % {"names": _names(no_area)}
                if no_area
                else _("Split the areas with more than %(limit)d households: %(names)s.")
                % {"limit": limit, "names": _names(too_big)}
                if too_big
                else _("Create the areas of each village.")
            ),
            _url("households:village-detail", township, pk=area_village) if area_village else None,
        ),
        Step(
            "households",
            _("Households imported"),
            has_households,
            _("Import the roster from the clerks' sheets."),
            _url("households:import-start", township),
        ),
        Step(
            "clerks",
            _("A village clerk for every village"),
            bool(villages) and not no_clerk,
            _("Villages without a clerk: %(names)s.") % {"names": _names(no_clerk)}
            if no_clerk
            else _("Create the villages first."),
            _url("households:membership-grant", township),
        ),
        Step(
            "scheme",
            _("An active scheme for %(year)d") % {"year": year},
            has_scheme,
            _("Create or load this year's scheme and make it active."),
            _url("scoring:scheme-list", township),
        ),
        Step(
            "panels",
            _("A review panel of at least %(count)d people for every area") % {"count": MIN_PANEL_MEMBERS},
            bool(areas) and not no_panel,
            _("Areas without a full review panel: %(names)s.") % {"names": _names(no_panel)}
            if no_panel
            else _("Create the areas first."),
            _url("review:panel-list", township),
        ),
        Step(
            "notice",
            _("Notice settings: how villagers raise an objection"),
            notice is not None and bool(notice.contact),
            _("Say on the settings page where and how villagers object to a notice."),
            _url("publicity:township-settings", township),
        ),
    ]
    return steps
