"""A village with two areas, two cross-reviewing panels of five, and a small active scheme."""

import datetime
from decimal import Decimal

import pytest

from households.models import Role
from review.models import PanelMember, PanelMemberKind, ReviewPanel
from scoring import services as scoring
from tests.factories import AreaFactory, HouseholdFactory, MembershipFactory, ResidentFactory, UserFactory

D = Decimal
KINDS = list(PanelMemberKind.values)


class ReviewWorld:
    def __init__(self, world):
        a = world.a
        self.world, self.township, self.village = world, a.township, a.villages[0]
        self.admin, self.clerk, self.supervisor = a.admin, a.clerk, a.supervisor
        self.area1 = a.areas[0]
        self.area2 = AreaFactory(village=self.village, township=self.township, name="二组")
        self.h1 = a.households[0]  # area1
        self.h2 = HouseholdFactory(area=self.area2, number="A-201")
        ResidentFactory(household=self.h2, name="周二", is_head=True)
        self.panel1, self.members1 = self._panel("第一评议小组", self.area1, "p1")
        self.panel2, self.members2 = self._panel("第二评议小组", self.area2, "p2")
        admin = self.membership(self.admin)
        self.scheme = scoring.create_scheme(
            membership=admin, township=self.township, name="乡村治理", year=2026
        )
        env = scoring.add_category(
            membership=admin,
            scheme=self.scheme,
            name="环境整治",
            base_score=D("40"),
            cadence="quarterly",
            floor=D("0"),
        )
        party = scoring.add_category(
            membership=admin, scheme=self.scheme, name="党的建设", base_score=D("20"), cadence="annual"
        )
        self.clean = scoring.add_item(
            membership=admin, category=env, name="庭院整洁", kind="bonus", points=D("2")
        )
        self.mess = scoring.add_item(
            membership=admin, category=env, name="乱堆乱放", kind="penalty", points=D("2")
        )
        self.meeting = scoring.add_item(
            membership=admin,
            category=party,
            name="参加党员活动",
            kind="bonus",
            points=D("3"),
            by_declaration=True,
        )
        self.volunteer = scoring.add_item(
            membership=admin,
            category=party,
            name="志愿服务",
            kind="bonus",
            points=D("1"),
            by_declaration=True,
        )
        scoring.activate_scheme(membership=admin, scheme=self.scheme)

    def _panel(self, name, home_area, prefix):
        panel = ReviewPanel.objects.create(
            township=self.township, village=self.village, name=name, home_area=home_area
        )
        memberships = []
        for n, kind in enumerate(KINDS):
            user = UserFactory(username=f"{prefix}-{n}")
            memberships.append(
                MembershipFactory(
                    user=user, township=self.township, role=Role.PANEL_MEMBER, villages=[self.village]
                )
            )
            PanelMember.objects.create(township=self.township, panel=panel, user=user, kind=kind)
        return panel, memberships

    def membership(self, user):
        return user.memberships.get(township=self.township)


@pytest.fixture
def rw(world):
    return ReviewWorld(world)


Q1_DAY = datetime.date(2026, 3, 10)
