"""A school's class with a term of entries, for the monthly report, the talk list and the term-end prizes
(issue 15, items 4 and 5). Every figure below is counted by hand in the tests that use it.

School 第一中学 (Asia/Shanghai), class 初一(3)班, seven students S01–S07 (base 80, one category 常规), the
term 2025-09-01 to 2026-01-31. Items: 好人好事 +1, 竞赛获奖 +3, 迟到 −1, 打架 −5. Entries (`term_entries`):

    S01 王小明  Oct +1 +1        Nov −1            Dec +1
    S02 李小红  Oct +3
    S03 张三丰  Oct +3 +3        Nov −5 −5 −1
    S04 赵四海  Nov −5 −5
    S05 钱五多  Nov −5 −5 −5
    S06 孙六顺  Oct +3 +3        Nov −5 −5 −1
    S07 周七巧  (none)
"""

import datetime
from decimal import Decimal

from core.tenancy import township_scope
from core.vocabulary import OrganisationKind
from households.models import Membership, Role
from scoring import services as scoring
from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    ResidentFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from tests.notices import approve_through_notice

D = Decimal
NAMES = ["王小明", "李小红", "张三丰", "赵四海", "钱五多", "孙六顺", "周七巧"]
OCT, NOV, DEC = datetime.date(2025, 10, 10), datetime.date(2025, 11, 12), datetime.date(2025, 12, 3)


class School:
    def __init__(self, slug: str = "yizhong") -> None:
        self.township = TownshipFactory(
            slug=slug, name="第一中学", kind=OrganisationKind.SCHOOL, timezone="Asia/Shanghai"
        )
        self.class_ = VillageFactory(township=self.township, name="初一(3)班")
        self.other_class = VillageFactory(township=self.township, name="初一(4)班")
        group = AreaFactory(village=self.class_, township=self.township, name="第一小组")
        self.students = []
        for index, name in enumerate(NAMES, start=1):
            student = HouseholdFactory(area=group, number=f"S{index:02d}")
            ResidentFactory(household=student, name=name, is_head=True)
            self.students.append(student)
        other_group = AreaFactory(village=self.other_class, township=self.township, name="第一小组")
        self.stranger = HouseholdFactory(area=other_group, number="S99")
        ResidentFactory(household=self.stranger, name="吴九", is_head=True)
        self.office_user = self._member(f"{slug}-office", Role.TOWNSHIP_ADMIN)
        self.teacher_user = self._member(f"{slug}-teacher", Role.HEAD_TEACHER, [self.class_])
        self.other_teacher_user = self._member(f"{slug}-teacher4", Role.HEAD_TEACHER, [self.other_class])
        self.officer_user = self._member(f"{slug}-officer", Role.CLASS_OFFICER, [self.class_])
        self.parent_user = UserFactory(username=f"{slug}-parent")
        MembershipFactory(
            user=self.parent_user,
            township=self.township,
            role=Role.PARENT,
            villages=[self.class_],
            student=self.students[0],
        )
        self.other_parent_user = UserFactory(username=f"{slug}-parent2")
        MembershipFactory(
            user=self.other_parent_user,
            township=self.township,
            role=Role.PARENT,
            villages=[self.class_],
            student=self.students[1],
        )
        self.scheme = self.term(datetime.date(2025, 9, 1), datetime.date(2026, 1, 31), 2025)

    def _member(self, username, role, villages=()):
        user = UserFactory(username=username)
        MembershipFactory(user=user, township=self.township, role=role, villages=list(villages))
        return user

    def membership(self, user) -> Membership:
        return Membership.objects.get(user=user)

    @property
    def office(self) -> Membership:
        return self.membership(self.office_user)

    @property
    def teacher(self) -> Membership:
        return self.membership(self.teacher_user)

    @property
    def parent(self) -> Membership:
        return self.membership(self.parent_user)

    def term(self, starts_on, ends_on, year):
        office = self.office
        scheme = scoring.create_scheme(
            membership=office,
            township=self.township,
            name=f"班级量化 {starts_on:%Y-%m}",
            year=year,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        category = scoring.add_category(
            membership=office, scheme=scheme, name="常规", base_score=D("80"), cadence="weekly"
        )
        self.items = {
            name: scoring.add_item(
                membership=office, category=category, name=name, kind=kind, points=D(points)
            )
            for name, kind, points in (
                ("好人好事", "bonus", "1"),
                ("竞赛获奖", "bonus", "3"),
                ("迟到", "penalty", "1"),
                ("打架", "penalty", "5"),
            )
        }
        scoring.activate_scheme(membership=office, scheme=scheme)
        return scheme

    def record(self, plan) -> list:
        """plan: [(student index 0–6, item name, date, times)]; records and approves them through a notice."""
        entries = []
        with township_scope(self.township):
            for index, item, day, times in plan:
                for _ in range(times):
                    entries.append(
                        scoring.record_entry(
                            membership=self.teacher,
                            household=self.students[index],
                            item=self.items[item],
                            occurred_on=day,
                        )
                    )
            approve_through_notice(entries, membership=self.office)
        return entries

    def term_entries(self) -> list:
        return self.record(
            [
                (0, "好人好事", OCT, 2),
                (0, "迟到", NOV, 1),
                (0, "好人好事", DEC, 1),
                (1, "竞赛获奖", OCT, 1),
                (2, "竞赛获奖", OCT, 2),
                (2, "打架", NOV, 2),
                (2, "迟到", NOV, 1),
                (3, "打架", NOV, 2),
                (4, "打架", NOV, 3),
                (5, "竞赛获奖", OCT, 2),
                (5, "打架", NOV, 2),
                (5, "迟到", NOV, 1),
            ]
        )
