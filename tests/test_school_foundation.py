"""A school as a tenant (issue 15): its words on every page, its time zone, parents limited to one student, and
schemes that cover a term."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can, can_see, restrict_to_visible
from core.tenancy import township_scope
from core.vocabulary import OrganisationKind, reword
from households.models import Household, Membership, Role
from scoring import services
from tests.factories import (
    AreaFactory,
    HouseholdFactory,
    MembershipFactory,
    ResidentFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)

pytestmark = pytest.mark.django_db


def member(user, township, role, villages=()):
    return MembershipFactory(user=user, township=township, role=role, villages=list(villages))


def test_school_words_in_chinese_leave_placeholders_and_tags_alone():
    assert reword("评议小组交叉评议本村农户", "zh-hans") == "班委交叉评议本班学生"
    assert reword("户号 %(number)s 不属于%(village)s村", "zh-hans") == "学号 %(number)s 不属于%(village)s班"
    assert reword('<a href="/villages/">村</a>', "zh-hans") == '<a href="/villages/">班</a>'


def test_school_words_in_english_are_whole_words_with_their_plural():
    assert reword("Villages and their households", "en") == "Classes and their students"
    assert reword("A villager of the village", "en") == "A student of the class"
    assert (
        reword("%(village)s: review panel of the area", "en") == "%(village)s: class committee of the group"
    )
    assert reword("Already there", "en") == "Already there"


@pytest.fixture
def school():
    school = TownshipFactory(
        slug="yizhong", name="第一中学", kind=OrganisationKind.SCHOOL, timezone="Asia/Urumqi"
    )
    class_ = VillageFactory(township=school, name="初一(3)班")
    group = AreaFactory(village=class_, township=school, name="第一小组")
    students = []
    for number, name in (("S01", "王小明"), ("S02", "李小红")):
        student = HouseholdFactory(area=group, number=number)
        ResidentFactory(household=student, name=name, is_head=True)
        students.append(student)
    teacher = UserFactory(username="teacher")
    MembershipFactory(user=teacher, township=school, role=Role.HEAD_TEACHER, villages=[class_])
    parent = UserFactory(username="parent")
    MembershipFactory(user=parent, township=school, role=Role.PARENT, villages=[class_], student=students[0])
    return type(
        "School",
        (),
        {"township": school, "class_": class_, "students": students, "teacher": teacher, "parent": parent},
    )


def test_a_school_page_speaks_of_classes_and_students_and_keeps_the_data(client, school, world):
    client.force_login(school.teacher)
    url = reverse("households:household-list", kwargs={"township_slug": school.township.slug})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "学号" in page and "初一(3)班" in page and "王小明" in page
    assert "农户" not in page and "户号" not in page and "片区" not in page
    # A township's page keeps a township's words.
    client.force_login(world.a.admin)
    url = reverse("households:household-list", kwargs={"township_slug": world.a.township.slug})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "户号" in page and "学号" not in page


def test_the_school_scope_counts_in_the_school_time_zone_and_ends_with_it(school):
    outside = timezone.get_current_timezone_name()
    with township_scope(school.township), translation.override("zh-hans"):
        assert timezone.get_current_timezone_name() == "Asia/Urumqi"
    with translation.override("zh-hans"), township_scope(school.township):
        assert _("Household") == "学号"
    assert timezone.get_current_timezone_name() == outside
    with translation.override("zh-hans"):
        assert _("Household") == "户号"


def test_a_parent_sees_one_student_and_nothing_else(school):
    parent = Membership.objects.get(user=school.parent)
    mine, other = school.students
    assert can_see(parent, mine) and not can_see(parent, other)
    with township_scope(school.township):
        visible = restrict_to_visible(parent, Household.objects.all())
        assert list(visible) == [mine]
    assert can(parent, Action.COMMENT_REPORT) and not can(parent, Action.RECORD_ENTRY)


def test_a_parent_names_one_student(school):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=UserFactory(username="p2"), township=school.township, role=Role.PARENT)


def test_a_term_scheme_takes_a_december_date_and_refuses_one_outside_the_term(school):
    office = member(UserFactory(username="office"), school.township, Role.TOWNSHIP_ADMIN)
    scheme = services.create_scheme(
        membership=office,
        township=school.township,
        name="班级量化",
        year=2025,
        starts_on=datetime.date(2025, 9, 1),
        ends_on=datetime.date(2026, 1, 31),
    )
    category = services.add_category(
        membership=office, scheme=scheme, name="学习", base_score=Decimal("30"), cadence="weekly"
    )
    item = services.add_item(
        membership=office, category=category, name="迟到", kind="penalty", points=Decimal("1")
    )
    services.activate_scheme(membership=office, scheme=scheme)
    teacher = Membership.objects.get(user=school.teacher)
    with township_scope(school.township):
        entry = services.record_entry(
            membership=teacher,
            household=school.students[0],
            item=item,
            occurred_on=datetime.date(2025, 12, 15),
        )
        january = services.record_entry(
            membership=teacher, household=school.students[0], item=item, occurred_on=datetime.date(2026, 1, 5)
        )
        assert (entry.year, entry.period) == (2025, "2025-W51")
        assert (january.year, january.period) == (2025, "2026-W02")
        with (
            translation.override("en"),
            pytest.raises(DomainError, match="term, from 2025-09-01 to 2026-01-31"),
        ):
            services.record_entry(
                membership=teacher,
                household=school.students[0],
                item=item,
                occurred_on=datetime.date(2026, 2, 2),
            )


def test_a_duty_monitor_records_only_for_their_class(school):
    other_class = VillageFactory(township=school.township, name="初一(4)班")
    group = AreaFactory(village=other_class, township=school.township, name="第一小组")
    stranger = HouseholdFactory(area=group, number="S99")
    monitor = member(UserFactory(username="monitor"), school.township, Role.DUTY_MONITOR, [school.class_])
    assert can(monitor, Action.RECORD_ENTRY, school.students[1])
    assert not can(monitor, Action.RECORD_ENTRY, stranger)
    with pytest.raises(PermissionDenied):
        from core.permissions import require

        require(monitor, Action.APPROVE_ENTRY, school.students[1])


def test_a_school_office_grants_school_roles_and_a_parent_their_student(client, school):
    from households import services as roster

    office = member(UserFactory(username="office"), school.township, Role.TOWNSHIP_ADMIN)
    with translation.override("en"), township_scope(school.township):
        with pytest.raises(DomainError, match="has no role"):
            roster.grant_membership(
                membership=office,
                user=UserFactory(username="c1"),
                role=Role.VILLAGE_CLERK,
                villages=[school.class_],
            )
        with pytest.raises(DomainError, match="parent's student"):
            roster.grant_membership(membership=office, user=UserFactory(username="p3"), role=Role.PARENT)
        mother = roster.create_member_account(
            membership=office,
            username="mother",
            password="Xuexiao-2026-pw",
            role=Role.PARENT,
            student=school.students[1],
        )
    assert mother.student == school.students[1] and list(mother.villages.all()) == [school.class_]
    # The page offers a school's roles and the student to name.
    client.force_login(office.user)
    url = reverse("households:membership-grant", kwargs={"township_slug": school.township.slug})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "班主任" in page and "值日班长" in page and "家长" in page and 'value="grid_worker"' not in page
    assert "S01" in page


def test_a_school_navigation_has_no_supermarket_units_or_demonstration(client, school):
    client.force_login(school.teacher)
    url = reverse("households:household-list", kwargs={"township_slug": school.township.slug})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "学生" in page
    for township_only in ("示范", "超市", "单位"):
        assert township_only not in page


def test_a_school_is_offered_the_school_s_templates_and_speaks_of_students_in_its_history():
    from scoring.scheme_templates import available_templates

    assert [t["name"] for t in available_templates(OrganisationKind.SCHOOL)] == ["class"]
    assert "class" not in [t["name"] for t in available_templates(OrganisationKind.TOWNSHIP)]
    assert reword("家庭成员", "zh-hans") == "学生"
