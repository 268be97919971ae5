"""The monthly report's pages and PDFs (issue 15, item 4): the parent's own student only, the class's reports and
the talk list for its head teacher; PDFs read back with poppler (pdftotext, pdfinfo). Figures: tests/school_term.py
and tests/publicity/test_month_reports.py."""

import subprocess

import pytest
from django.urls import reverse

from core.models import Job, JobState
from core.tenancy import township_scope
from publicity.models import ParentComment
from tests.school_term import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    school = School()
    school.term_entries()
    return school


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def pdf_pages(content: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def url(school, name, **kwargs):
    return reverse(f"publicity:{name}", kwargs={"township_slug": school.township.slug, **kwargs})


def get(client, user, address):
    client.force_login(user)
    return client.get(address, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_the_parents_home_leads_to_their_students_report(client, school):
    home = get(client, school.parent_user, reverse("households:township-home", args=[school.township.slug]))
    report_url = url(school, "student-report", household_pk=school.students[0].pk)
    assert report_url in home.content.decode()
    page = get(client, school.parent_user, report_url + "?month=2025-11").content.decode()
    assert "王小明" in page and "S01" in page and "初一(3)班" in page
    assert '<strong id="balance">81</strong>' in page and "前 1/3" in page
    assert "家长评语" in page and 'name="text"' in page
    assert "李小红" not in page  # nobody else's name, nor their place


def test_a_parent_asking_for_another_students_report_or_passbook_gets_not_found(client, school):
    other = school.students[1].pk
    for address in (
        url(school, "student-report", household_pk=other),
        url(school, "student-report-pdf", household_pk=other) + "?month=2025-11",
        reverse("scoring:passbook", kwargs={"township_slug": school.township.slug, "household_pk": other}),
    ):
        assert get(client, school.parent_user, address).status_code == 404, address
    own = reverse("scoring:passbook", args=[school.township.slug, school.students[0].pk])
    assert get(client, school.parent_user, own).status_code == 200


def test_a_parent_comments_and_nothing_is_written_for_another_student_or_a_future_month(client, school):
    client.force_login(school.parent_user)
    mine = url(school, "comment-write", household_pk=school.students[0].pk)
    theirs = url(school, "comment-write", household_pk=school.students[1].pk)
    assert client.post(theirs, {"month": "2025-11", "text": "别人家的"}).status_code == 404
    response = client.post(mine, {"month": "2099-01", "text": "提前写"}, follow=True)
    assert "has not started" in response.content.decode() or "尚未开始" in response.content.decode()
    with township_scope(school.township):
        assert not ParentComment.objects.exists()
    response = client.post(mine, {"month": "2025-11", "text": "会督促孩子按时到校。"})
    assert response.status_code == 302 and "month=2025-11" in response["Location"]
    with township_scope(school.township):
        assert ParentComment.objects.get().text == "会督促孩子按时到校。"


def test_the_head_teacher_reads_the_class_comments_and_marks_them_read(client, school):
    with township_scope(school.township):
        from publicity import services

        comment = services.write_parent_comment(
            membership=school.parent, household=school.students[0], month="2025-11", text="收到月报"
        )
    page = get(
        client,
        school.teacher_user,
        url(school, "class-reports", village_pk=school.class_.pk) + "?month=2025-11",
    )
    assert page.status_code == 200 and "收到月报" in page.content.decode()
    client.post(url(school, "comment-read", pk=comment.pk))
    with township_scope(school.township):
        comment.refresh_from_db()
        assert comment.read_by == school.teacher_user
    # Another class's head teacher, an officer and a parent get nothing of this class.
    assert (
        get(
            client, school.other_teacher_user, url(school, "class-reports", village_pk=school.class_.pk)
        ).status_code
        == 404
    )
    assert (
        get(
            client, school.officer_user, url(school, "class-reports", village_pk=school.class_.pk)
        ).status_code
        == 403
    )
    assert (
        get(client, school.parent_user, url(school, "talk-list", village_pk=school.class_.pk)).status_code
        == 403
    )


def test_the_students_pdf_is_one_page_in_chinese_with_room_for_the_comment(client, school):
    response = get(
        client,
        school.parent_user,
        url(school, "student-report-pdf", household_pk=school.students[0].pk) + "?month=2025-11",
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for words in (
        "学生积分月报",
        "王小明",
        "S01",
        "初一(3)班",
        "迟到",
        "81",
        "前 1/3",
        "家长评语",
        "家长签字",
    ):
        assert words in text, words
    assert pdf_pages(response.content) == 1
    fonts = subprocess.run(["pdffonts", "-"], input=response.content, capture_output=True, check=True).stdout
    assert b"Noto-Sans-CJK" in fonts  # the Chinese is drawn in the CJK font, not empty boxes


def test_the_class_pdf_is_a_job_with_one_page_per_student(client, school, django_capture_on_commit_callbacks):
    client.force_login(school.teacher_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(school, "class-reports-pdf", village_pk=school.class_.pk), {"month": "2025-11"}
        )
    assert response.status_code == 302
    with township_scope(school.township):
        job = Job.objects.get(kind="month_reports")
        assert job.state == JobState.DONE, job.message
        job.file.open("rb")
        content = job.file.read()
    assert pdf_pages(content) == 7
    text = pdf_text(content)
    assert all(
        name in text for name in ("王小明", "李小红", "张三丰", "赵四海", "钱五多", "孙六顺", "周七巧")
    )
    assert "吴九" not in text  # another class's student


def test_the_talk_list_page_and_sheet_name_the_bottom_three_with_more_than_ten_deducted(client, school):
    page = get(
        client, school.teacher_user, url(school, "talk-list", village_pk=school.class_.pk) + "?month=2025-11"
    )
    body = page.content.decode()
    assert all(name in body for name in ("钱五多", "张三丰", "孙六顺")) and "赵四海" not in body
    sheet = get(
        client,
        school.teacher_user,
        url(school, "talk-list-pdf", village_pk=school.class_.pk) + "?month=2025-11",
    )
    text = pdf_text(sheet.content)
    assert (
        "家长约谈名单" in text and "钱五多" in text and "65" in text and "15" in text and "赵四海" not in text
    )


def test_a_class_officer_reads_a_classmates_report_without_the_parents_comment(client, school):
    with township_scope(school.township):
        from publicity import services

        services.write_parent_comment(
            membership=school.parent, household=school.students[0], month="2025-11", text="家里的私事"
        )
    report = url(school, "student-report", household_pk=school.students[0].pk) + "?month=2025-11"
    page = get(client, school.officer_user, report).content.decode()
    assert "王小明" in page and "家里的私事" not in page and 'name="text"' not in page
    sheet = get(
        client,
        school.officer_user,
        url(school, "student-report-pdf", household_pk=school.students[0].pk) + "?month=2025-11",
    )
    assert "家里的私事" not in pdf_text(sheet.content)
    assert "家里的私事" in get(client, school.teacher_user, report).content.decode()
