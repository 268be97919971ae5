"""The ground the navigation and screenshot tests stand on: township A of the `world`, filled with a row of every
kind (tests/full_township.py) and a realistic roster (five areas of households with heads, phones and a few
approved entries), and a school's class (tests/school_term.py). One user per role, by role name.

The demo seed (`seed_demo`) is more realistic still but takes minutes on a busy CI machine; this takes seconds.
"""

import datetime

from core.tenancy import township_scope
from households.models import Area, Role
from scoring import services as scoring
from scoring.models import Item
from tests.conftest import World
from tests.contract import member
from tests.factories import HouseholdFactory, MembershipFactory, ResidentFactory, UserFactory
from tests.full_township import fill
from tests.notices import approve_through_notice
from tests.school_term import School

HEADS = ["王建国", "李秀英", "张卫东", "刘桂兰", "陈志强", "杨淑芬", "赵德胜", "黄丽娟", "周国华", "吴海燕"]
AREAS = ["一组", "二组", "三组", "四组", "五组"]


class Ground:
    def __init__(self) -> None:
        world = World()
        self.world, self.a = world, world.a
        fill(self.a)
        self._roster()
        grid = UserFactory(username="a-grid_worker")
        MembershipFactory(
            user=grid, township=self.a.township, role=Role.GRID_WORKER, villages=[self.a.villages[0]]
        )
        self.school = School()
        self.users = {
            Role.TOWNSHIP_ADMIN: self.a.admin,
            Role.VILLAGE_CLERK: self.a.clerk,
            Role.PANEL_MEMBER: self.a.panel,
            Role.SUPERVISOR: self.a.supervisor,
            Role.COUNTY_VIEWER: self.a.county,
            Role.GRID_WORKER: grid,
            Role.HEAD_TEACHER: self.school.teacher_user,
            Role.CLASS_OFFICER: self.school.officer_user,
            Role.PARENT: self.school.parent_user,
        }

    def _roster(self) -> None:
        """Twenty households in five areas of village 1, each head with a phone; every third one earned points."""
        township, village = self.a.township, self.a.villages[0]
        item = Item.objects.filter(category__scheme__township=township, kind="bonus").order_by("pk").first()
        office = member(self.a.admin)
        entries = []
        with township_scope(township):
            for index in range(20):
                area, _ = Area.objects.get_or_create(
                    township=township, village=village, name=AREAS[index % 5]
                )
                household = HouseholdFactory(area=area, number=f"A-1{index:02d}")
                ResidentFactory(
                    household=household, name=HEADS[index % 10], is_head=True, mobile=f"1390013{index:04d}"
                )
                if index % 3 == 0 and item is not None:
                    entries.append(
                        scoring.record_entry(
                            membership=office,
                            household=household,
                            item=item,
                            occurred_on=datetime.date(2026, 3, 1 + index),
                        )
                    )
            if entries:
                approve_through_notice(entries, membership=office)
