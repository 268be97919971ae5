"""A student made a class officer (issue 15, item 1): the role and its post set and ended by the class's head
teacher or the school's office, with its history; it counts for entries recorded from then on. Refused to anyone
else, with nothing written."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.errors import DomainError
from core.tenancy import township_scope
from households.models import Household, Resident
from scoring import services
from scoring.models import Account, RoleAssignment, RoleChange

from .school import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    return School()


def _role_rows():
    return (RoleAssignment.objects.count(), RoleChange.objects.count())


def test_the_head_teacher_makes_a_student_monitor_and_the_history_says_who_when_and_why(school):
    with township_scope(school.township):
        assignment = services.assign_role(
            membership=school.member(school.teacher),
            household=school.s1,
            role=school.officer_role,
            title=" 班长 ",
            reason="班委选举",
        )
        change = RoleChange.objects.get()
    assert (assignment.role, assignment.title, assignment.since) == (
        school.officer_role,
        "班长",
        change.effective_on,
    )
    assert (change.kind, change.title, change.reason, change.changed_by) == (
        "set",
        "班长",
        "班委选举",
        school.teacher,
    )


def test_a_role_counts_for_entries_recorded_from_then_on_and_past_entries_keep_their_points(school):
    before = school.record_late(school.s1)
    with township_scope(school.township):
        assignment = services.assign_role(
            membership=school.member(school.teacher),
            household=school.s1,
            role=school.officer_role,
            title="班长",
        )
    while_officer = school.record_late(school.s1)
    with township_scope(school.township):
        services.end_role(membership=school.member(school.teacher), assignment=assignment, reason="转学")
    after = school.record_late(school.s1)
    before.refresh_from_db()
    # 迟到 −1; an officer's deductions double (−2) while the role is held.
    assert [before.points, while_officer.points, after.points] == [
        Decimal("-1"),
        Decimal("-2"),
        Decimal("-1"),
    ]
    assert list(RoleChange.objects.order_by("id").values_list("kind", "title", "reason")) == [
        ("set", "班长", ""),
        ("ended", "班长", "转学"),
    ]
    assert not RoleAssignment.objects.exists()


def test_changing_the_post_replaces_the_role_and_keeps_both_lines_of_history(school):
    teacher = school.member(school.teacher)
    with township_scope(school.township):
        services.assign_role(membership=teacher, household=school.s2, role=school.officer_role, title="组长")
        services.assign_role(
            membership=teacher, household=school.s2, role=school.officer_role, title="数学课代表"
        )
        with pytest.raises(DomainError, match="已担任此职务"):
            services.assign_role(
                membership=teacher, household=school.s2, role=school.officer_role, title="数学课代表"
            )
    assert RoleAssignment.objects.get().title == "数学课代表"
    assert list(RoleChange.objects.order_by("id").values_list("title", flat=True)) == ["组长", "数学课代表"]


@pytest.mark.parametrize("who", ["teacher4", "officer", "monitor", "parent"])
def test_only_the_class_head_teacher_or_the_office_sets_a_role(school, who):
    """A head teacher of another class, a class officer, a duty monitor or a parent: refused, nothing written."""
    with township_scope(school.township):
        services.assign_role(
            membership=school.member(school.office),
            household=school.s1,
            role=school.officer_role,
            title="班长",
        )
        assignment = RoleAssignment.objects.get()
        rows = _role_rows()
        membership = school.member(getattr(school, who))
        with pytest.raises(PermissionDenied):
            services.assign_role(
                membership=membership, household=school.s2, role=school.officer_role, title="班长"
            )
        with pytest.raises(PermissionDenied):
            services.end_role(membership=membership, assignment=assignment)
    assert _role_rows() == rows
    assert RoleAssignment.objects.get().title == "班长"


def test_a_parent_cannot_make_their_own_child_an_officer(school):
    with township_scope(school.township), pytest.raises(PermissionDenied):
        services.assign_role(
            membership=school.member(school.parent), household=school.s1, role=school.officer_role
        )
    assert _role_rows() == (0, 0)


# Pages ---------------------------------------------------------------------------------------------------------


def _page(name, school, **kwargs):
    return reverse(f"scoring:{name}", kwargs={"township_slug": school.township.slug, **kwargs})


def test_the_student_page_loads_the_role_block_and_the_head_teacher_sets_and_ends_a_post(client, school):
    client.force_login(school.teacher)
    detail = reverse("households:household-detail", kwargs={"township_slug": "shiyan", "pk": school.s1.pk})
    page = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    role_url = _page("student-role", school, household_pk=school.s1.pk)
    assert f'hx-get="{role_url}"' in page and "班干部职务" in page
    assert '<th scope="row">住址</th>' not in page  # a student's facts have no address

    response = client.post(
        _page("student-role-set", school, household_pk=school.s1.pk),
        {"role": school.officer_role.pk, "title": "班长", "reason": "班委选举"},
    )
    assert response.status_code == 302
    block = client.get(role_url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "班长" in block and "班委选举" in block and "<html" not in block
    assert "已记录的积分记录保持记录时的分值" in block  # past entries are unchanged, the page says so

    assignment = RoleAssignment.objects.get()
    response = client.post(_page("role-end", school, pk=assignment.pk), {"reason": "换届"})
    assert response.status_code == 302 and not RoleAssignment.objects.exists()
    page = client.get(role_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "换届" in page and "职务结束" in page


def test_the_class_page_lists_its_officers_with_their_posts(client, school):
    with township_scope(school.township):
        for student, post in ((school.s1, "班长"), (school.s2, "学习委员")):
            services.assign_role(
                membership=school.member(school.office),
                household=student,
                role=school.officer_role,
                title=post,
            )
        services.assign_role(
            membership=school.member(school.office),
            household=school.s4,
            role=school.officer_role,
            title="体育委员",
        )
    client.force_login(school.teacher)
    page = client.get(_page("class-officers", school, village_pk=school.class3.pk)).content.decode()
    assert "王小明" in page and "班长" in page and "李小红" in page and "学习委员" in page
    assert "体育委员" not in page  # another class's officer
    assert client.get(_page("class-officers", school, village_pk=school.class4.pk)).status_code == 404


@pytest.mark.parametrize("who", ["officer", "parent", "teacher4"])
def test_a_member_without_the_right_cannot_set_a_role_from_the_page(client, school, who):
    client.force_login(getattr(school, who))
    response = client.post(
        _page("student-role-set", school, household_pk=school.s1.pk),
        {"role": school.officer_role.pk, "title": "班长"},
    )
    assert response.status_code in (403, 404)
    assert _role_rows() == (0, 0)


def test_a_school_adds_a_student_in_one_step_with_an_officer_post(client, school):
    client.force_login(school.teacher)
    new = reverse("households:household-create", kwargs={"township_slug": "shiyan"})
    assert client.get(new)["Location"] == _page("student-create", school)
    response = client.post(
        _page("student-create", school),
        {
            "number": "S03",
            "name": "陈小华",
            "gender": "female",
            "area": school.group.pk,
            "role": school.officer_role.pk,
            "title": "卫生委员",
        },
    )
    assert response.status_code == 302
    student = Household.objects.get(number="S03")
    head = Resident.objects.get(household=student)
    assert (head.name, head.gender, head.is_head) == ("陈小华", "female", True)
    assert Account.objects.filter(household=student).exists()
    assert RoleAssignment.objects.get(household=student).title == "卫生委员"


def test_a_refused_post_leaves_no_half_made_student(client, school):
    client.force_login(school.teacher)
    response = client.post(
        _page("student-create", school),
        {
            "number": "S01",
            "name": "重号",
            "area": school.group.pk,
            "role": school.officer_role.pk,
            "title": "班长",
        },
    )
    assert response.status_code == 200  # the number is taken: the form again, nothing written
    assert Household.objects.filter(number="S01").count() == 1 and _role_rows() == (0, 0)


# API -----------------------------------------------------------------------------------------------------------


def _api(user):
    return APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def _api_url(name, **kwargs):
    return reverse(f"scoring_api:{name}", kwargs={"township_slug": "shiyan", **kwargs})


def test_the_api_sets_lists_and_ends_a_role_with_its_history(school):
    api = _api(school.teacher)
    response = api.post(
        _api_url("role-assignment-list"),
        {"household": school.s1.pk, "role": school.officer_role.pk, "title": "班长", "reason": "选举"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["household"], body["scheme"], body["title"]) == (school.s1.pk, school.scheme.pk, "班长")
    listed = api.get(_api_url("role-assignment-list"), {"village": school.class3.pk}).json()["results"]
    assert [row["title"] for row in listed] == ["班长"]

    ended = api.post(_api_url("role-assignment-end", pk=body["id"]), {"reason": "换届"}, format="json")
    assert ended.status_code == 200 and ended.json()["kind"] == "ended"
    history = api.get(_api_url("role-change-list"), {"household": school.s1.pk}).json()["results"]
    assert [(row["kind"], row["title"], row["reason"]) for row in history] == [
        ("ended", "班长", "换届"),
        ("set", "班长", "选举"),
    ]


@pytest.mark.parametrize(("who", "status"), [("officer", 403), ("parent", 403), ("teacher4", 400)])
def test_the_api_refuses_a_role_from_a_member_without_the_right(school, who, status):
    response = _api(getattr(school, who)).post(
        _api_url("role-assignment-list"),
        {"household": school.s1.pk, "role": school.officer_role.pk, "title": "班长"},
        format="json",
    )
    # A head teacher of another class does not see the student: an invalid choice (400), never a role.
    assert response.status_code == status
    assert _role_rows() == (0, 0)


def test_a_parent_reads_only_their_own_childs_roles(school):
    with township_scope(school.township):
        for student in (school.s1, school.s2):
            services.assign_role(
                membership=school.member(school.office),
                household=student,
                role=school.officer_role,
                title="组长",
            )
    rows = _api(school.parent).get(_api_url("role-assignment-list")).json()["results"]
    assert [row["household"] for row in rows] == [school.s1.pk]


def test_a_townships_household_page_has_no_officer_block_and_keeps_its_two_step_form(client, world):
    client.force_login(world.a.admin)
    slug = world.a.township.slug
    detail = reverse(
        "households:household-detail", kwargs={"township_slug": slug, "pk": world.a.households[0].pk}
    )
    page = client.get(detail, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="student-role"' not in page and '<th scope="row">住址</th>' in page
    assert (
        client.get(reverse("households:household-create", kwargs={"township_slug": slug})).status_code == 200
    )
