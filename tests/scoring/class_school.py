"""A school running the class template for the autumn term of 2026 (1 September 2026 to 31 January 2027), for the
tests of the class template and of its weekly limits: class 初一(3)班 with students S01 王小明 (a student), S02
李小红 (an officer), S03 张伟, a head teacher, a class officer, a duty monitor and S01's parent; class 初一(4)班 with
S41, its own teacher."""

import datetime
from types import SimpleNamespace

from core.tenancy import township_scope
from core.vocabulary import OrganisationKind
from households.models import Membership, Role
from scoring import services
from scoring.models import Item
from scoring.scheme_templates import load_template
from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    ResidentFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)

TERM = (datetime.date(2026, 9, 1), datetime.date(2027, 1, 31))


def student(group, number, name):
    household = HouseholdFactory(area=group, number=number)
    ResidentFactory(household=household, name=name, is_head=True)
    return household


def make_school(slug="yizhong") -> SimpleNamespace:
    school = TownshipFactory(
        slug=slug, name="第一中学", kind=OrganisationKind.SCHOOL, timezone="Asia/Shanghai"
    )
    class_3 = VillageFactory(township=school, name="初一(3)班")
    class_4 = VillageFactory(township=school, name="初一(4)班")
    group_3 = AreaFactory(village=class_3, township=school, name="第一小组")
    group_4 = AreaFactory(village=class_4, township=school, name="第一小组")
    s01, s02, s03 = (
        student(group_3, n, name) for n, name in (("S01", "王小明"), ("S02", "李小红"), ("S03", "张伟"))
    )
    s41 = student(group_4, "S41", "赵四")

    def member(username, role, villages=(), **extra) -> Membership:
        return MembershipFactory(
            user=UserFactory(username=f"{slug}-{username}"),
            township=school,
            role=role,
            villages=list(villages),
            **extra,
        )

    w = SimpleNamespace(
        township=school,
        class_3=class_3,
        class_4=class_4,
        s01=s01,
        s02=s02,
        s03=s03,
        s41=s41,
        office=member("office", Role.TOWNSHIP_ADMIN),
        teacher=member("teacher", Role.HEAD_TEACHER, [class_3]),
        teacher_4=member("teacher4", Role.HEAD_TEACHER, [class_4]),
        officer=member("officer", Role.CLASS_OFFICER, [class_3]),
        monitor=member("monitor", Role.DUTY_MONITOR, [class_3]),
        parent=member("parent", Role.PARENT, [class_3], student=s01),
    )
    with township_scope(school):
        w.scheme = load_template(
            membership=w.office, township=school, name="class", year=2026, starts_on=TERM[0], ends_on=TERM[1]
        )
        services.activate_scheme(membership=w.office, scheme=w.scheme)
        roles = {rule.code: rule for rule in w.scheme.role_rules.all()}
        for household in (s01, s03, s41):
            services.assign_role(membership=w.office, household=household, role=roles["student"])
        services.assign_role(membership=w.office, household=s02, role=roles["officer"])
    return w


def item(w, name) -> Item:
    return Item.objects.select_related("category").get(category__scheme=w.scheme, name=name)


def record(w, household, name, day, membership=None, **kwargs):
    return services.record_entry(
        membership=membership or w.teacher, household=household, item=item(w, name), occurred_on=day, **kwargs
    )
