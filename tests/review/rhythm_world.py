"""A class of a school running the class template (seed 2) in a term around today, for the class's rhythm tests:
students S01–S04 in two groups, S04 a class officer (the vice monitor), a head teacher, a duty monitor, a class
officer and a parent (memberships), and a second class with a student of its own."""

import datetime

from django.utils import timezone

from core.tenancy import township_scope
from core.vocabulary import OrganisationKind
from households.models import Role
from scoring import services as scoring
from scoring.models import Item, RoleRule
from scoring.scheme_templates import read_template
from tests.contract import member
from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    ResidentFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)

STUDENTS = (("S01", "王小明"), ("S02", "李小红"), ("S03", "赵小刚"), ("S04", "陈小华"))


def load_class_scheme(office, township, starts_on: datetime.date, ends_on: datetime.date):
    """The class template (scoring/scheme_templates/class.json) as a term scheme, active."""
    content = read_template("class")
    scheme = scoring.create_scheme(
        membership=office,
        township=township,
        name=content["name"],
        year=starts_on.year,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    for category_content in content["categories"]:
        items = category_content.pop("items")
        category = scoring.add_category(membership=office, scheme=scheme, **category_content)
        for order, item_content in enumerate(items, start=1):
            scoring.add_item(membership=office, category=category, order=order, **item_content)
    for rule in content["role_rules"]:
        scoring.add_role_rule(membership=office, scheme=scheme, **rule)
    scoring.activate_scheme(membership=office, scheme=scheme)
    return scheme


class RhythmWorld:
    def __init__(self, slug: str = "yizhong", prefix: str = ""):
        self.township = TownshipFactory(
            slug=slug, name="第一中学", kind=OrganisationKind.SCHOOL, timezone="Asia/Shanghai"
        )
        self.class_ = VillageFactory(township=self.township, name="初一(3)班")
        self.group1 = AreaFactory(village=self.class_, township=self.township, name="第一小组")
        self.group2 = AreaFactory(village=self.class_, township=self.township, name="第二小组")
        self.students = []
        for n, (number, name) in enumerate(STUDENTS):
            student = HouseholdFactory(area=self.group1 if n < 2 else self.group2, number=number)
            ResidentFactory(household=student, name=name, is_head=True)
            self.students.append(student)
        self.other_class = VillageFactory(township=self.township, name="初一(4)班")
        other_group = AreaFactory(village=self.other_class, township=self.township, name="第一小组")
        self.stranger = HouseholdFactory(area=other_group, number="S99")
        ResidentFactory(household=self.stranger, name="孙外班", is_head=True)

        def user(role, name, villages=(), **extra):
            account = UserFactory(username=f"{prefix}{name}")
            MembershipFactory(
                user=account, township=self.township, role=role, villages=list(villages), **extra
            )
            return account

        self.office = user(Role.TOWNSHIP_ADMIN, "office")
        self.teacher = user(Role.HEAD_TEACHER, "teacher", [self.class_])
        self.monitor = user(Role.DUTY_MONITOR, "monitor", [self.class_])
        self.officer = user(Role.CLASS_OFFICER, "officer", [self.class_])
        self.other_monitor = user(Role.DUTY_MONITOR, "monitor4", [self.other_class])
        self.parent = user(Role.PARENT, "parent", [self.class_], student=self.students[0])
        with township_scope(self.township):
            self.today = timezone.localdate()
        self.term_start = self.today - datetime.timedelta(days=100)
        self.term_end = self.today + datetime.timedelta(days=60)
        self.scheme = load_class_scheme(member(self.office), self.township, self.term_start, self.term_end)
        officer_role = RoleRule.objects.get(scheme=self.scheme, code="officer")
        scoring.assign_role(membership=member(self.office), household=self.students[3], role=officer_role)
        self.late = self.item("迟到")
        self.reading = self.item("早读不合格")
        self.skipped_drill = self.item(
            "旷操"
        )  # −2, an officer's doubled (learning items are not: seed 2, 附说明 3)
        self.good_deed = self.item("在校内做好人好事")

    def item(self, words: str) -> Item:
        return Item.objects.filter(category__scheme=self.scheme, name__contains=words).order_by("pk").first()

    def m(self, user):
        return member(user)

    @property
    def last_monday(self) -> datetime.date:
        """The Monday of last week (a whole week in the past, inside the term)."""
        return self.today - datetime.timedelta(days=self.today.weekday() + 7)
