"""The demo school (issue 15, item 6): 实验中学, one class of 45 students in groups, its officers with their posts,
the class template for the autumn term, its logins and a month of entries; a second run changes nothing."""

import datetime
from decimal import Decimal

import pytest

from core.tenancy import township_scope
from households.models import Area, Household, Membership, Resident, Role
from scoring.demo_school import seed_school
from scoring.models import Entry, RoleAssignment, RoleChange

pytestmark = pytest.mark.django_db


def _counts(school):
    return {
        "students": Household.objects.filter(township=school).count(),
        "roles": RoleAssignment.objects.filter(township=school).count(),
        "changes": RoleChange.objects.filter(township=school).count(),
        "entries": Entry.objects.filter(township=school).count(),
        "memberships": Membership.objects.filter(township=school).count(),
    }


def test_the_demo_school_has_a_class_of_45_officers_logins_and_a_month_of_entries():
    demo = seed_school()
    school, class_, scheme = demo.school, demo.class_, demo.scheme
    first = _counts(school)

    again = seed_school()
    assert not again.created and _counts(school) == first

    assert (school.slug, school.name, school.kind) == ("shiyan", "实验中学", "school")
    assert class_.name == "初一(3)班"
    assert first["students"] == 45
    assert Area.objects.filter(village=class_).count() == 5
    assert Resident.objects.filter(household__village=class_, is_head=True).count() == 45
    # The autumn term, from 1 September to 31 January.
    assert (scheme.template, scheme.state) == ("class", "active")
    assert (scheme.starts_on, scheme.ends_on) == (datetime.date(2026, 9, 1), datetime.date(2027, 1, 31))
    # Officers with their posts, each set with its history line.
    posts = dict(RoleAssignment.objects.filter(scheme=scheme).values_list("household__number", "title"))
    assert len(posts) == 15 == first["changes"]
    assert posts["26030101"] == "班长" and posts["26030137"] == "数学课代表"
    codes = RoleAssignment.objects.filter(scheme=scheme).values_list("role__code", flat=True)
    assert set(codes) == {"officer"}
    # The logins: the school's office, the head teacher, a class officer, the duty monitor and a parent.
    roles = dict(Membership.objects.filter(township=school).values_list("user__username", "role"))
    assert roles == {
        "demo-school": Role.TOWNSHIP_ADMIN,
        "demo-teacher": Role.HEAD_TEACHER,
        "demo-officer": Role.CLASS_OFFICER,
        "demo-monitor": Role.DUTY_MONITOR,
        "demo-parent": Role.PARENT,
    }
    parent = Membership.objects.get(user__username="demo-parent")
    assert parent.student.number == "26030105" and list(parent.villages.all()) == [class_]
    assert list(demo.users) == ["demo-school", "demo-teacher", "demo-officer", "demo-monitor", "demo-parent"]
    # A month of entries (2–29 November), recorded by the duty monitor and the class officer.
    entries = Entry.objects.filter(scheme=scheme)
    assert first["entries"] > 60
    days = sorted(set(entries.values_list("occurred_on", flat=True)))
    assert days[0] >= datetime.date(2026, 11, 2) and days[-1] <= datetime.date(2026, 11, 29)
    assert len({d.isocalendar().week for d in days}) == 4
    recorders = set(entries.values_list("recorded_by__username", flat=True))
    assert recorders == {"demo-monitor", "demo-officer"}
    # An officer's deduction counts double where the item says so (早操迟到 −1 → −2), a student's once.
    with township_scope(school):
        late = entries.filter(item__name="早操迟到")
        officers = set(posts)
        by_role = {(e.household.number in officers, e.points) for e in late.select_related("household")}
    assert by_role <= {(True, Decimal("-2")), (False, Decimal("-1"))} and (False, Decimal("-1")) in by_role
