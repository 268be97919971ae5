"""Weekly limits that carry over (seed 2: "作业、迟到、常规等一项满限额后上自习,一项一周累积顺延"), their consequence
on the class's weekly list (上自习名单: page and API), and back-dating that cannot game the carry-over."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from core.errors import DomainError
from core.tenancy import township_scope
from scoring import limits, services
from scoring.models import Entry, StudyListFiling, ThresholdAlert
from tests.notices import admin_membership
from tests.scoring.class_school import item, make_school, record

pytestmark = pytest.mark.django_db

HOMEWORK = "迟交、不交作业或交了没写"  # limit 2 a week, carries over
LATE = "上课或年级规定时间点迟到(以铃声结束为准)"  # limit 2
BED = "宿舍就寝不合格(相关责任人)"  # limit 1
# ISO weeks of October/November 2026: W41 starts Monday 5 October.
W41, W42, W43, W44 = (datetime.date(2026, 10, 5) + datetime.timedelta(weeks=n) for n in range(4))


def day(monday, weekday):
    return monday + datetime.timedelta(days=weekday)


@pytest.fixture
def w():
    return make_school()


def alerts(household):
    return sorted(
        (a.period, a.hits, a.carried_over) for a in ThresholdAlert.objects.filter(household=household)
    )


def test_hits_below_the_limit_carry_over_until_it_is_reached_then_the_count_starts_again(w):
    with township_scope(w.township):
        record(w, w.s01, HOMEWORK, day(W41, 1))  # 1: below the limit, carried into W42
        assert alerts(w.s01) == []
        reached = record(w, w.s01, HOMEWORK, day(W42, 3))  # 1 + 1 carried = 2: 上自习 on W42's Sunday
        assert alerts(w.s01) == [("2026-W42", 2, 1)]
        assert ThresholdAlert.objects.get(household=w.s01).entry == reached
        record(w, w.s01, HOMEWORK, day(W43, 0))  # the count started again: 1, carried
        assert alerts(w.s01) == [("2026-W42", 2, 1)]
        record(w, w.s01, HOMEWORK, day(W44, 2))  # 1 + 1 carried
        assert alerts(w.s01) == [("2026-W42", 2, 1), ("2026-W44", 2, 1)]

        rows = limits.count_periods(item(w, HOMEWORK), limits.counted_hits(w.s01.pk, item(w, HOMEWORK)))
        assert [(r.period, r.hits, r.carried_over, r.reached) for r in rows] == [
            ("2026-W41", 1, 0, False),
            ("2026-W42", 1, 1, True),
            ("2026-W43", 1, 0, False),
            ("2026-W44", 1, 1, True),
        ]


def test_one_week_over_the_limit_is_one_consequence_and_nothing_carries_over(w):
    with township_scope(w.township):
        for weekday in (0, 1, 2):
            record(w, w.s01, LATE, day(W41, weekday))  # three late arrivals: one Sunday
        record(w, w.s01, LATE, day(W42, 0))  # starts again at 1: no alert
        assert alerts(w.s01) == [("2026-W41", 2, 0)]


def test_withdrawn_and_corrected_hits_do_not_count(w):
    with township_scope(w.township):
        mistake = record(w, w.s01, HOMEWORK, day(W41, 0))
        services.withdraw_entry(membership=w.teacher, entry=mistake, reason="记错了人")
        record(w, w.s01, HOMEWORK, day(W41, 1))
        assert alerts(w.s01) == []  # one hit counts, carried
        rows = limits.count_periods(item(w, HOMEWORK), limits.counted_hits(w.s01.pk, item(w, HOMEWORK)))
        assert [(r.period, r.counted) for r in rows] == [("2026-W41", 1)]


def test_a_township_scheme_keeps_its_limits_per_period_without_carrying_over(world):
    office = admin_membership(world.a.township.pk)
    h1 = world.a.households[0]
    with township_scope(world.a.township):
        scheme = services.create_scheme(membership=office, township=world.a.township, name="村规", year=2026)
        category = services.add_category(
            membership=office, scheme=scheme, name="环境整治", base_score=Decimal("40"), cadence="weekly"
        )
        mess = services.add_item(
            membership=office,
            category=category,
            name="乱堆乱放",
            kind="penalty",
            points=Decimal("2"),
            threshold_count=2,
            threshold_consequence="约谈",
        )
        services.activate_scheme(membership=office, scheme=scheme)
        for when in (day(W41, 0), day(W42, 0), day(W41, 3)):  # back-dating is fine: nothing carries over
            services.record_entry(membership=office, household=h1, item=mess, occurred_on=when)
        assert sorted(ThresholdAlert.objects.values_list("period", "hits", "carried_over")) == [
            ("2026-W41", 2, 0)
        ]


def test_back_dating_into_a_week_before_a_later_hit_is_refused_and_writes_nothing(w):
    with township_scope(w.township):
        record(w, w.s01, HOMEWORK, day(W41, 0))
        record(w, w.s01, HOMEWORK, day(W42, 4))  # reached in W42 with one carried over
        before = Entry.objects.count()
        with translation.override("en"), pytest.raises(DomainError) as refused:
            record(w, w.s01, HOMEWORK, day(W41, 2))  # would have made W41 reach and W42 carry
        assert "2026-10-05" in refused.value.message and "current week" in refused.value.message
        assert "2026-10-16" in refused.value.message  # the later hit
        assert refused.value.field == "occurred_on"
        assert Entry.objects.count() == before and alerts(w.s01) == [("2026-W42", 2, 1)]
        # Within the open week a forgotten earlier day is fine, and another student's or item's week is open.
        record(w, w.s01, HOMEWORK, day(W42, 0))
        record(w, w.s03, HOMEWORK, day(W41, 2))
        record(w, w.s01, "早读不合格", day(W41, 2))  # no limit: back-dating changes no count


def test_a_filed_list_closes_its_week_and_the_weeks_before_it(w):
    with township_scope(w.township):
        record(w, w.s01, BED, day(W42, 1))
        filing = services.file_study_list(
            membership=w.officer, village=w.class_3, scheme=w.scheme, monday=W42
        )
        assert (filing.week, filing.students, filing.filed_by) == ("2026-W42", 1, w.officer.user)
        for when in (day(W42, 6), day(W41, 2)):
            with (
                translation.override("en"),
                pytest.raises(DomainError, match="was filed for the week of 2026-10-12"),
            ):
                record(w, w.s03, LATE, when)
        assert not Entry.objects.filter(household=w.s03).exists()
        record(w, w.s03, LATE, day(W43, 0))  # the next week is open
        record(w, w.s41, LATE, day(W42, 2), membership=w.teacher_4)  # another class's week was not filed


def test_filing_is_the_class_committees_from_saturday_and_once(w):
    with township_scope(w.township):
        with pytest.raises(PermissionDenied):
            services.file_study_list(membership=w.monitor, village=w.class_3, scheme=w.scheme, monday=W41)
        with pytest.raises(PermissionDenied):
            services.file_study_list(membership=w.teacher_4, village=w.class_3, scheme=w.scheme, monday=W41)
        this_monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
        if timezone.localdate().weekday() < 5:
            with pytest.raises(DomainError, match="Saturday|周六"):
                services.file_study_list(
                    membership=w.teacher, village=w.class_3, scheme=w.scheme, monday=this_monday
                )
        with pytest.raises(DomainError):
            services.file_study_list(
                membership=w.teacher, village=w.class_3, scheme=w.scheme, monday=day(W41, 1)
            )  # not a Monday
        services.file_study_list(membership=w.teacher, village=w.class_3, scheme=w.scheme, monday=W41)
        with pytest.raises(DomainError):
            services.file_study_list(membership=w.officer, village=w.class_3, scheme=w.scheme, monday=W41)
        assert StudyListFiling.objects.count() == 1


def test_the_weekly_list_names_who_reached_which_limit_with_the_carried_over_hits(w):
    with township_scope(w.township):
        record(w, w.s01, HOMEWORK, day(W41, 1))
        record(w, w.s01, HOMEWORK, day(W42, 2))  # 1 + 1 carried
        record(w, w.s02, BED, day(W42, 3))
        record(w, w.s03, LATE, day(W42, 0))  # below the limit: not listed
        record(w, w.s41, BED, day(W42, 3), membership=w.teacher_4)  # another class
        rows = limits.weekly_list(w.class_3, w.scheme, W42)
        assert [(r.household.number, r.item.name, r.period.counted, r.period.carried_over) for r in rows] == [
            ("S01", HOMEWORK, 2, 1),
            ("S02", BED, 1, 0),
        ]
        assert limits.weekly_list(w.class_3, w.scheme, W41) == []


def _page(w, **query):
    url = reverse("scoring:study-list", kwargs={"township_slug": w.township.slug, "pk": w.class_3.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_list_page_shows_the_week_and_files_it_and_a_parent_sees_only_their_child(w, client):
    with township_scope(w.township):
        record(w, w.s01, HOMEWORK, day(W41, 1))
        record(w, w.s01, HOMEWORK, day(W42, 2))
        record(w, w.s02, BED, day(W42, 3))
    client.force_login(w.officer.user)
    page = client.get(_page(w, week="2026-W42"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "上自习名单" in page and "初一(3)班" in page
    assert "王小明" in page and "李小红" in page and "1 次为前几周累积顺延" in page
    assert "周日不得离校" in page and "2026-W41" in page and "2026-W43" in page
    filed = client.post(
        reverse("scoring:study-list-file", kwargs={"township_slug": w.township.slug, "pk": w.class_3.pk}),
        {"week": "2026-W42", "scheme": w.scheme.pk},
    )
    assert filed.status_code == 302
    with township_scope(w.township):
        assert StudyListFiling.objects.get().week == "2026-W42"
    assert 'id="filed"' in client.get(_page(w, week="2026-W42")).content.decode()

    client.force_login(w.parent.user)
    page = client.get(_page(w, week="2026-W42"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "王小明" in page and "李小红" not in page and "S02" not in page
    assert client.get(_page(w, week="2026-W99")).status_code == 404
    # The class and the school's home link to it.
    client.force_login(w.teacher.user)
    for name, kwargs in (
        ("households:village-detail", {"pk": w.class_3.pk}),
        ("households:township-home", {}),
    ):
        html = client.get(reverse(name, kwargs={"township_slug": w.township.slug, **kwargs})).content.decode()
        assert _page(w) in html


def test_the_api_gives_the_week_and_files_it(w, client):
    with township_scope(w.township):
        record(w, w.s01, HOMEWORK, day(W41, 1))
        record(w, w.s01, HOMEWORK, day(W42, 2))
    base = reverse("scoring_api:study-list-list", kwargs={"township_slug": w.township.slug})
    week = reverse("scoring_api:study-list-week", kwargs={"township_slug": w.township.slug})
    client.force_login(w.monitor.user)
    data = client.get(week, {"village": w.class_3.pk, "week": "2026-W42"}).json()
    assert (data["week"], data["starts_on"], data["scheme"], data["filed"]) == (
        "2026-W42",
        "2026-10-12",
        w.scheme.pk,
        None,
    )
    assert [
        (r["number"], r["name"], r["hits"], r["hits_this_week"], r["carried_over"]) for r in data["rows"]
    ] == [("S01", "王小明", 2, 1, 1)]
    body = {"village": w.class_3.pk, "scheme": w.scheme.pk, "week": "2026-W42"}
    assert client.post(base, body, content_type="application/json").status_code == 403  # a duty monitor
    client.force_login(w.officer.user)
    assert client.post(base, body, content_type="application/json").status_code == 201
    again = client.post(base, body, content_type="application/json")
    assert again.status_code == 400 and again.json()["field"] == "week"
    assert client.get(base).json()["count"] == 1
    assert client.get(week, {"village": w.class_3.pk, "week": "W42"}).status_code == 400


def test_another_school_gets_nothing_of_this_schools_list(w, client):
    other = make_school("erzhong")
    with township_scope(w.township):
        record(w, w.s01, BED, day(W42, 1))
    client.force_login(other.teacher.user)
    # Its own school's address with this school's class: not found, and nothing filed.
    url = reverse("scoring:study-list", kwargs={"township_slug": other.township.slug, "pk": w.class_3.pk})
    assert client.get(url).status_code == 404
    file_url = reverse(
        "scoring:study-list-file", kwargs={"township_slug": other.township.slug, "pk": w.class_3.pk}
    )
    assert client.post(file_url, {"week": "2026-W42"}).status_code == 404
    # This school's address: not found at all.
    assert client.get(_page(w, week="2026-W42")).status_code == 404
    week = reverse("scoring_api:study-list-week", kwargs={"township_slug": other.township.slug})
    answer = client.get(week, {"village": w.class_3.pk, "week": "2026-W42"})
    assert answer.status_code == 400 and "王小明" not in answer.content.decode()
    base = reverse("scoring_api:study-list-list", kwargs={"township_slug": other.township.slug})
    body = {"village": w.class_3.pk, "scheme": w.scheme.pk, "week": "2026-W42"}
    assert client.post(base, body, content_type="application/json").status_code == 400
    with township_scope(w.township):
        assert not StudyListFiling.objects.exists()


def test_a_teacher_of_another_class_does_not_see_this_class_list(w, client):
    client.force_login(w.teacher_4.user)
    assert client.get(_page(w, week="2026-W42")).status_code == 404
