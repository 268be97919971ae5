"""A small school for the role tests: 实验中学 with two classes, a term scheme (students 80, officers 85 with
deductions doubled), and one login per school role."""

import datetime
from decimal import Decimal

from django.utils import timezone

from core.tenancy import township_scope
from core.vocabulary import OrganisationKind
from households.models import Membership, Role
from scoring import services
from scoring.models import RoleRule
from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    ResidentFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)


class School:
    def __init__(self):
        self.township = TownshipFactory(slug="shiyan", name="实验中学", kind=OrganisationKind.SCHOOL)
        self.class3 = VillageFactory(township=self.township, name="初一(3)班")
        self.class4 = VillageFactory(township=self.township, name="初一(4)班")
        self.group = AreaFactory(village=self.class3, township=self.township, name="第一小组")
        self.group4 = AreaFactory(village=self.class4, township=self.township, name="第一小组")
        self.s1 = self._student(self.group, "S01", "王小明")
        self.s2 = self._student(self.group, "S02", "李小红")
        self.s4 = self._student(self.group4, "S41", "赵小刚")
        self.office = self._member("office", Role.TOWNSHIP_ADMIN)
        self.teacher = self._member("teacher", Role.HEAD_TEACHER, [self.class3])
        self.teacher4 = self._member("teacher4", Role.HEAD_TEACHER, [self.class4])
        self.officer = self._member("officer", Role.CLASS_OFFICER, [self.class3])
        self.monitor = self._member("monitor", Role.DUTY_MONITOR, [self.class3])
        parent = UserFactory(username="parent")
        MembershipFactory(
            user=parent, township=self.township, role=Role.PARENT, villages=[self.class3], student=self.s1
        )
        self.parent = parent
        office = Membership.objects.get(user=self.office)
        today = timezone.localdate()
        self.scheme = services.create_scheme(
            membership=office,
            township=self.township,
            name="班级量化",
            year=today.year,
            starts_on=today - datetime.timedelta(days=60),
            ends_on=today + datetime.timedelta(days=60),
        )
        category = services.add_category(
            membership=office, scheme=self.scheme, name="纪律", base_score=Decimal("80"), cadence="weekly"
        )
        self.late = services.add_item(
            membership=office, category=category, name="迟到", kind="penalty", points=Decimal("1")
        )
        self.student_role = services.add_role_rule(
            membership=office, scheme=self.scheme, code="student", name="学生", base_score=Decimal("80")
        )
        self.officer_role = services.add_role_rule(
            membership=office,
            scheme=self.scheme,
            code="officer",
            name="班干部",
            base_score=Decimal("85"),
            penalty_multiplier=Decimal("2"),
        )
        services.activate_scheme(membership=office, scheme=self.scheme)

    def _student(self, group, number, name):
        student = HouseholdFactory(area=group, number=number)
        ResidentFactory(household=student, name=name, is_head=True)
        return student

    def _member(self, key, role, villages=()):
        user = UserFactory(username=key)
        MembershipFactory(user=user, township=self.township, role=role, villages=list(villages))
        return user

    def member(self, user) -> Membership:
        return Membership.objects.get(user=user)

    def record_late(self, student, *, day=None):
        with township_scope(self.township):
            return services.record_entry(
                membership=self.member(self.monitor),
                household=student,
                item=self.late,
                occurred_on=day or timezone.localdate(),
            )

    def roles(self) -> list[RoleRule]:
        return [self.student_role, self.officer_role]
