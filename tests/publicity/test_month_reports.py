"""The monthly report to parents and the talk list (issue 15, item 4), with the figures of tests/school_term.py
counted by hand:

    end of November   S01 80+2−1 = 81   S02 83   S03 80+6−11 = 75   S04 80−10 = 70   S05 80−15 = 65
                      S06 80+6−11 = 75   S07 80
    places            S02 1, S01 2, S07 3, S03 4, S06 4 (tied), S04 6, S05 7 of 7
    thirds of 7       place r is in third ⌊3(r−1)/7⌋: 1–3 top, 4–5 middle, 6–7 bottom
    November's deductions   S01 1, S03 11, S04 10, S05 15, S06 11
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from core.tenancy import township_scope
from publicity import services
from publicity.models import ParentComment
from publicity.month_reports import class_reports, parse_month, student_report, talk_list
from tests.school_term import School

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def school():
    school = School()
    school.term_entries()
    return school


def test_the_november_report_holds_the_month_and_the_balance_at_its_end(school):
    with township_scope(school.township):
        report = student_report(school.students[0], parse_month("2025-11"))
    assert [(e.occurred_on, e.item_name, e.points) for e in report.entries] == [
        (datetime.date(2025, 11, 12), "迟到", D("-1"))
    ]
    # December's +1 happened after the month: 80 + 2 − 1, not 82.
    assert report.balance == D("81")
    assert (report.rank, report.n, report.band) == (2, 7, "top")
    assert report.name == "王小明"


def test_december_counts_decembers_entry(school):
    with township_scope(school.township):
        report = student_report(school.students[0], parse_month("2025-12"))
    assert report.balance == D("82") and len(report.entries) == 1


def test_every_student_of_the_class_gets_a_band_and_ties_share_one(school):
    with township_scope(school.township):
        reports = class_reports(school.class_, parse_month("2025-11"))
    got = {r.household.number: (r.balance, r.rank, r.band, r.deductions) for r in reports}
    assert got == {
        "S01": (D("81"), 2, "top", D("1")),
        "S02": (D("83"), 1, "top", D("0")),
        "S03": (D("75"), 4, "middle", D("11")),
        "S04": (D("70"), 6, "bottom", D("10")),
        "S05": (D("65"), 7, "bottom", D("15")),
        "S06": (D("75"), 4, "middle", D("11")),
        "S07": (D("80"), 3, "top", D("0")),
    }


def test_the_talk_list_takes_the_bottom_three_with_ties_and_more_than_ten_deducted(school):
    # Bottom three by balance: 65 (S05), 70 (S04), 75 (S03 and S06, tied at the third place: both in).
    # S04 lost exactly 10 points: not more than 10, not listed.
    with township_scope(school.township):
        listed = talk_list(school.class_, parse_month("2025-11"))
    assert [(r.household.number, r.balance, r.deductions) for r in listed] == [
        ("S05", D("65"), D("15")),
        ("S03", D("75"), D("11")),
        ("S06", D("75"), D("11")),
    ]


def test_nobody_is_called_in_for_october(school):
    with township_scope(school.township):
        assert talk_list(school.class_, parse_month("2025-10")) == []


def test_a_parent_writes_and_rewrites_the_comment_until_it_is_read(school):
    with township_scope(school.township):
        first = services.write_parent_comment(
            membership=school.parent,
            household=school.students[0],
            month="2025-11",
            text="孩子迟到一次，会督促。",
        )
        again = services.write_parent_comment(
            membership=school.parent, household=school.students[0], month="2025-11", text="已和孩子谈过。"
        )
        assert again.pk == first.pk and ParentComment.objects.count() == 1
        assert [h.text for h in again.history.order_by("history_id")] == [
            "孩子迟到一次，会督促。",
            "已和孩子谈过。",
        ]
        services.mark_comment_read(membership=school.teacher, comment=again)
        with pytest.raises(DomainError, match="班主任已阅读"):
            services.write_parent_comment(
                membership=school.parent, household=school.students[0], month="2025-11", text="再改"
            )
        assert ParentComment.objects.get().text == "已和孩子谈过。"
        # The next month is a new comment.
        services.write_parent_comment(
            membership=school.parent, household=school.students[0], month="2025-12", text="十二月表现好"
        )
        assert ParentComment.objects.count() == 2


def test_a_parent_cannot_comment_for_another_student(school):
    with township_scope(school.township), pytest.raises(PermissionDenied):
        services.write_parent_comment(
            membership=school.parent, household=school.students[1], month="2025-11", text="别人的孩子"
        )
    with township_scope(school.township):
        assert not ParentComment.objects.exists()


def test_a_comment_on_a_month_that_has_not_started_is_refused(school):
    with township_scope(school.township):
        for month, message in (("2099-01", "尚未开始"), ("2025-13", "YYYY-MM"), ("", "请先填写评语")):
            text = "" if month == "" else "提前写"
            with pytest.raises(DomainError, match=message):
                services.write_parent_comment(
                    membership=school.parent,
                    household=school.students[0],
                    month=month or "2025-11",
                    text=text,
                )
        assert not ParentComment.objects.exists()


def test_only_the_head_teacher_marks_a_comment_read(school):
    with township_scope(school.township):
        comment = services.write_parent_comment(
            membership=school.parent, household=school.students[0], month="2025-11", text="收到"
        )
        for user in (school.parent_user, school.officer_user, school.other_teacher_user):
            with pytest.raises(PermissionDenied):
                services.mark_comment_read(membership=school.membership(user), comment=comment)
        comment.refresh_from_db()
        assert comment.read_at is None
