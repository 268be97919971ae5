"""A city (银川市) with two counties: 东县 holds townships A and C (four villages), 西县 holds township B.

Five villages in all can apply: a东村, a西村 (A), c北村, c南村 (C) in 东县 and b东村 (B) in 西县. Officers: one per
county, one for the city; a county viewer who may only read. Supermarket participation comes from
`rewards.selectors.shop_participation`, replaced here by fixed shares per village (`shares`).
"""

import datetime
import secrets
from decimal import Decimal
from typing import NamedTuple

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from demonstration import services
from demonstration.models import Region, RegionKind, RegionMembership, RegionRole, RegionTownship
from households.models import Role
from tests.contract import member
from tests.factories import MembershipFactory, TownshipFactory, UserFactory, VillageFactory

D = Decimal
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
APPLY_DAY = datetime.datetime(2026, 7, 25, 10, 0, tzinfo=datetime.UTC)
AFTER_APPLICATIONS = datetime.datetime(2026, 8, 6, 10, 0, tzinfo=datetime.UTC)
SELECTION_DAY = datetime.datetime(2026, 8, 14, 10, 0, tzinfo=datetime.UTC)
# A notice posted on APPLY_DAY (18:00 in Shanghai) runs the three whole days 26, 27 and 28 July: over on the 29th.
APPLICATION_NOTICE_OVER = datetime.datetime(2026, 7, 29, 10, 0, tzinfo=datetime.UTC)
# The result posted on SELECTION_DAY runs 15, 16 and 17 August: the award may be paid from the 18th.
RESULT_NOTICE_OVER = datetime.datetime(2026, 8, 18, 10, 0, tzinfo=datetime.UTC)


class ShopParticipation(NamedTuple):
    household_share: Decimal
    resident_share: Decimal


def region_member(user) -> RegionMembership:
    """The user's membership at a county or city (the programme's officers and viewers have one each)."""
    return RegionMembership.objects.select_related("region").get(user=user)


def form_file(name="申报表.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


class Programme:
    def __init__(self, world, shares):
        self.world, self.shares = world, shares
        a, b = world.a, world.b
        self.city = Region.objects.create(kind=RegionKind.CITY, slug="yinchuan", name="银川市")
        self.east = Region.objects.create(kind=RegionKind.COUNTY, slug="east", name="东县", parent=self.city)
        self.west = Region.objects.create(kind=RegionKind.COUNTY, slug="west", name="西县", parent=self.city)
        self.c = TownshipFactory(slug="town-c", name="C镇")
        c1 = VillageFactory(township=self.c, name="c北村")
        c2 = VillageFactory(township=self.c, name="c南村")
        self.c_admin = UserFactory(username="c-township_admin")
        MembershipFactory(user=self.c_admin, township=self.c, role=Role.TOWNSHIP_ADMIN)
        for township, county in ((a.township, self.east), (self.c, self.east), (b.township, self.west)):
            RegionTownship.objects.create(township=township, county=county)
        self.east_officer = self._officer("east-officer", self.east)
        self.west_officer = self._officer("west-officer", self.west)
        self.city_officer = self._officer("city-officer", self.city)
        self.east_viewer = self._officer("east-viewer", self.east, RegionRole.VIEWER)
        self.villages = {v.name: v for v in [*a.villages, c1, c2, b.villages[0]]}
        for village in self.villages.values():
            shares[village.pk] = ShopParticipation(D("40.00"), D("35.50"))
        self.admin_of = {a.township.pk: a.admin, self.c.pk: self.c_admin, b.township.pk: b.admin}

    def _officer(self, username, region, role=RegionRole.OFFICER):
        user = UserFactory(username=username)
        RegionMembership.objects.create(user=user, region=region, role=role)
        return user

    def call(self, region=None, **kwargs):
        values = {
            "title": "2026年积分制管理示范村",
            "year": 2026,
            "budget": D("500000"),
            "villages_wanted": 2,
            "applications_open_on": datetime.date(2026, 7, 22),
            "applications_close_on": datetime.date(2026, 8, 5),
            "preselection_ends_on": datetime.date(2026, 8, 12),
            "selection_ends_on": datetime.date(2026, 8, 31),
            "conditions": "村民积分兑换人数占本村总人数比例原则应达到30%以上。",
            **kwargs,
        }
        region = region or self.city
        officer = {self.city: self.city_officer, self.east: self.east_officer, self.west: self.west_officer}[
            region
        ]
        call = services.create_call(membership=region_member(officer), region=region, **values)
        with time_machine.travel(datetime.datetime(2026, 7, 20, tzinfo=datetime.UTC), tick=False):
            services.move_call(membership=region_member(officer), call=call, move="open")
        return call

    def apply(self, call, name, user=None):
        village = self.villages[name]
        with time_machine.travel(APPLY_DAY, tick=False):
            return services.apply(
                membership=member(user or self.admin_of[village.township_id]),
                call=call,
                village=village,
                form=form_file(),
                statement="积分超市运行良好",
            )

    def forward(self, application):
        """Posted in the township on APPLY_DAY, forwarded once its notice has ended without objection."""
        admin = self.admin_of[application.township_id]
        with time_machine.travel(APPLY_DAY, tick=False):
            services.move_application(membership=member(admin), application=application, move="publish")
        with time_machine.travel(APPLICATION_NOTICE_OVER, tick=False):
            return services.move_application(
                membership=member(admin), application=application, move="forward"
            )


@pytest.fixture
def shares(monkeypatch):
    """village id → ShopParticipation; the stand-in for the rewards selector of the supermarket."""
    table: dict[int, ShopParticipation] = {}

    def shop_participation(*, year, village_ids):
        return {pk: table[pk] for pk in village_ids if pk in table}

    monkeypatch.setattr("rewards.selectors.shop_participation", shop_participation, raising=False)
    return table


@pytest.fixture
def programme(world, shares):
    return Programme(world, shares)


def make_round(township, village, scheme, kind, period, *, state="draft", approved_at=None, user=None):
    from review.models import ReviewRound

    return ReviewRound.objects.create(
        township=township,
        village=village,
        scheme=scheme,
        kind=kind,
        period=period,
        state=state,
        approved_at=approved_at,
        notice_token=secrets.token_urlsafe(32),
        created_by=user,
    )


def local(year, month, day, hour=12):
    return timezone.make_aware(datetime.datetime(year, month, day, hour))
