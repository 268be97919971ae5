"""The demo school (issue 15, item 6), beside the demo township: 实验中学 with one class, 初一(3)班, of 45 students
in five groups; the class template loaded for the autumn term; class officers with their posts; logins for the
school's office, the head teacher, a class officer, the duty monitor and a parent; and a month of entries recorded
through the services, as the duty monitor and the officers would record them. Idempotent: a second run changes
nothing.

`seed_school()` returns the school and its class, for what is seeded on top of it (the weekly notice, the parents'
report)."""

import contextlib
import datetime
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from core.errors import DomainError
from core.tenancy import township_scope
from core.vocabulary import OrganisationKind
from households import services as roster
from households.demo import DEMO_PASSWORD, GIVEN, SURNAMES, DemoUser
from households.models import Area, Household, Membership, Role, Township, Village

from . import services
from .models import Entry, Item, RoleAssignment, RoleRule, Scheme, SchemeState
from .scheme_templates import load_template

SCHOOL_SLUG, SCHOOL_NAME = "shiyan", "实验中学"
CLASS_NAME, CLASS_CODE = "初一(3)班", "C0103"
GROUPS = ["第一小组", "第二小组", "第三小组", "第四小组", "第五小组"]
STUDENTS_PER_GROUP = 9  # 45 students
TERM_YEAR = 2026
TERM_STARTS, TERM_ENDS = datetime.date(2026, 9, 1), datetime.date(2027, 1, 31)
MONTH_STARTS, MONTH_ENDS = datetime.date(2026, 11, 2), datetime.date(2026, 11, 29)  # the month of entries
# Officers by student number (学号) and post: the class committee, the group leaders and the subject monitors.
OFFICERS = {
    "26030101": "班长",
    "26030102": "副班长",
    "26030110": "学习委员",
    "26030111": "卫生委员",
    "26030119": "体育委员",
    "26030120": "文艺委员",
    "26030128": "安全委员",
    "26030129": "宿舍长",
    "26030137": "数学课代表",
    "26030138": "语文课代表",
    "26030103": "组长",
    "26030112": "组长",
    "26030121": "组长",
    "26030130": "组长",
    "26030139": "组长",
}
SCHOOL_USERS = [
    DemoUser(
        "demo-school",
        Role.TOWNSHIP_ADMIN,
        "school office of 实验中学 (教务处): everything in the school",
        "周文华",
    ),
    DemoUser("demo-teacher", Role.HEAD_TEACHER, "head teacher (班主任) of 初一(3)班", "吴静"),
    DemoUser(
        "demo-officer",
        Role.CLASS_OFFICER,
        "class officer (班长) of 初一(3)班: records, posts the week",
        "郑小宇",
    ),
    DemoUser(
        "demo-monitor", Role.DUTY_MONITOR, "duty monitor (值日班长) of 初一(3)班: records the day", "陈思雨"
    ),
    DemoUser("demo-parent", Role.PARENT, "parent (家长) of student 26030105 in 初一(3)班", "刘建华"),
]
PARENTS_STUDENT = "26030105"


@dataclass
class DemoSchool:
    school: Township
    class_: Village
    scheme: Scheme
    users: dict[str, str]  # username → what the login is
    created: bool


def _number(group: int, seat: int) -> str:
    return f"260301{group * STUDENTS_PER_GROUP + seat + 1:02d}"


def seed_school() -> DemoSchool:
    """Create what is missing of the demo school; nothing when it is all there."""
    rng = random.Random(1503)
    User = get_user_model()  # noqa: N806
    created = False
    with transaction.atomic():
        school, made = Township.objects.get_or_create(
            slug=SCHOOL_SLUG,
            defaults={"name": SCHOOL_NAME, "kind": OrganisationKind.SCHOOL, "timezone": "Asia/Shanghai"},
        )
        created |= made
        users = {}
        for demo in SCHOOL_USERS:
            user = User.objects.filter(username=demo.username).first()
            if user is None:
                user = User.objects.create_user(demo.username, password=DEMO_PASSWORD, first_name=demo.name)
                created = True
            users[demo.username] = user
        with township_scope(school):
            office = Membership.objects.filter(user=users["demo-school"]).first()
            if (
                office is None
            ):  # a new school's first membership: no member can grant it (like createsuperuser)
                office = Membership.objects.create(
                    township=school, user=users["demo-school"], role=Role.TOWNSHIP_ADMIN
                )
                created = True
            class_ = Village.objects.filter(name=CLASS_NAME).first()
            if class_ is None:
                class_ = roster.create_village(membership=office, name=CLASS_NAME, code=CLASS_CODE)
                created = True
            created |= _seed_students(rng, office, class_)
            created |= _seed_memberships(office, class_, users)
            scheme, made = _seed_scheme(office, school)
            created |= made
            created |= _seed_officers(office, scheme)
            created |= _seed_month(scheme, class_)
    return DemoSchool(school, class_, scheme, {d.username: d.description for d in SCHOOL_USERS}, created)


def _student_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _seed_students(rng: random.Random, office: Membership, class_: Village) -> bool:
    created = False
    existing = set(Household.objects.filter(village=class_).values_list("number", flat=True))
    for group_index, group_name in enumerate(GROUPS):
        area = Area.objects.filter(village=class_, name=group_name).first()
        if area is None:
            area = roster.create_area(membership=office, village=class_, name=group_name)
            created = True
        for seat in range(STUDENTS_PER_GROUP):
            name, female = (
                _student_name(rng),
                rng.random() < 0.5,
            )  # drawn even when present: re-runs stay the same
            number = _number(group_index, seat)
            if number in existing:
                continue
            services.enrol_student(
                membership=office,
                area=area,
                number=number,
                name=name,
                gender="female" if female else "male",
            )
            created = True
    return created


def _seed_memberships(office: Membership, class_: Village, users: dict) -> bool:
    created = False
    for demo in SCHOOL_USERS[1:]:
        if Membership.objects.filter(user=users[demo.username]).exists():
            continue
        student = Household.objects.get(number=PARENTS_STUDENT) if demo.role == Role.PARENT else None
        roster.grant_membership(
            membership=office, user=users[demo.username], role=demo.role, villages=[class_], student=student
        )
        created = True
    return created


def _seed_scheme(office: Membership, school: Township) -> tuple[Scheme, bool]:
    """The class template for the autumn term (1 September to 31 January), active."""
    scheme = Scheme.objects.filter(year=TERM_YEAR, template="class").first()
    created = False
    if scheme is None:
        scheme = load_template(membership=office, township=school, name="class", year=TERM_YEAR)
        # The loader makes a calendar year's scheme: the demo's is a term.
        Scheme.objects.filter(pk=scheme.pk).update(starts_on=TERM_STARTS, ends_on=TERM_ENDS)
        scheme.refresh_from_db()
        created = True
    if scheme.state == SchemeState.DRAFT:
        services.activate_scheme(membership=office, scheme=scheme)
        created = True
    return scheme, created


def _seed_officers(office: Membership, scheme: Scheme) -> bool:
    officer = RoleRule.objects.get(scheme=scheme, code="officer")
    created = False
    holding = set(RoleAssignment.objects.filter(scheme=scheme).values_list("household__number", flat=True))
    for number, post in OFFICERS.items():
        if number in holding:
            continue
        services.assign_role(
            membership=office,
            household=Household.objects.get(number=number),
            role=officer,
            title=post,
            reason="开学班委选举",
        )
        created = True
    return created


# The month: what the duty monitor writes down each school day, and what the officers add each week.
DAILY_PENALTIES = [
    "上课或年级规定时间点迟到(以铃声结束为准)",
    "上课(含自习课)不注意听讲(说话、睡觉、看闲书等)",
    "早读不合格",
    "迟交、不交作业或交了没写",
    "早操迟到",
    "桌面乱",
    "垃圾筐未倒",
    "自习迟到早退",
]
WEEKLY_BONUSES = [
    "被老师评为作业优秀",
    "在校内做好人好事",
    "积极参加学校、班级临时劳动",
    "宿舍值日优秀值日生",
    "担任值周生",
]


def _seed_month(scheme: Scheme, class_: Village) -> bool:
    """About four weeks of entries, recorded by the duty monitor (the day) and the class officer (the week)."""
    if Entry.objects.filter(scheme=scheme).exists():
        return False
    rng = random.Random(1511)
    monitor = Membership.objects.get(user__username="demo-monitor")
    officer = Membership.objects.get(user__username="demo-officer")
    items = {item.name: item for item in Item.objects.filter(category__scheme=scheme, active=True)}
    students = list(Household.objects.filter(village=class_).order_by("number"))
    day = MONTH_STARTS
    while day <= MONTH_ENDS:
        if day.weekday() < 5:  # school days: the duty monitor's record
            for student in rng.sample(students, rng.randint(1, 4)):
                _record(monitor, student, items[rng.choice(DAILY_PENALTIES)], day, "值日班长记录")
        if day.weekday() == 4:  # Friday: the week's bonuses, written up by the class officer
            for student in rng.sample(students, rng.randint(6, 12)):
                _record(officer, student, items[rng.choice(WEEKLY_BONUSES)], day, "本周表现")
        day += datetime.timedelta(days=1)
    return True


def _record(membership: Membership, student: Household, item: Item, day: datetime.date, reason: str) -> None:
    with contextlib.suppress(DomainError):  # a weekly cap reached: the demo records one entry fewer
        services.record_entry(
            membership=membership, household=student, item=item, occurred_on=day, reason=reason
        )
