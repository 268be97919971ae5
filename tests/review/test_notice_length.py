"""The notice's length (issue 12, item 3): at least three whole calendar days after the day it is posted (a township
may lengthen, never shorten), ending at midnight after its last day in the township's time zone. Dates are worked
out by hand below."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import translation

from core.errors import DomainError
from review import selectors, services
from review.models import ReviewRound, RoundState
from tests.review.test_api import Stages, as_user, snapshot
from tests.review.test_pages import client_for, page_url, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def stages(rw):
    return Stages(rw)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
URUMQI = zoneinfo.ZoneInfo("Asia/Urumqi")  # UTC+6


def local(tz, *args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=tz)


def test_a_notice_posted_late_on_6_december_ends_when_10_december_begins():
    # 6 Dec 23:50 is the day it is posted; 7, 8 and 9 Dec are its three days; it ends at 10 Dec 00:00.
    assert services.notice_end(local(SHANGHAI, 2026, 12, 6, 23, 50), 3, "Asia/Shanghai") == local(
        SHANGHAI, 2026, 12, 10, 0, 0
    )
    # Posted just after midnight, it still gets the rest of that day for free, not a shorter notice.
    assert services.notice_end(local(SHANGHAI, 2026, 12, 6, 0, 5), 3, "Asia/Shanghai") == local(
        SHANGHAI, 2026, 12, 10, 0, 0
    )
    # Across a month end: posted 30 Dec, five days: 31 Dec, 1, 2, 3, 4 Jan; ends 5 Jan 00:00.
    assert services.notice_end(local(SHANGHAI, 2026, 12, 30, 9, 0), 5, "Asia/Shanghai") == local(
        SHANGHAI, 2027, 1, 5, 0, 0
    )


def test_the_calendar_day_is_the_townships_own():
    # 6 Dec 23:50 in Shanghai is 6 Dec 21:50 in Urumqi: ends 10 Dec 00:00 Urumqi time = 9 Dec 18:00 UTC.
    end = services.notice_end(local(SHANGHAI, 2026, 12, 6, 23, 50), 3, "Asia/Urumqi")
    assert end == local(URUMQI, 2026, 12, 10, 0, 0)
    assert end == datetime.datetime(2026, 12, 9, 18, 0, tzinfo=datetime.UTC)
    # 7 Dec 01:30 in Shanghai is still 6 Dec (23:30) in Urumqi: the same end.
    assert services.notice_end(local(SHANGHAI, 2026, 12, 7, 1, 30), 3, "Asia/Urumqi") == end


def test_opening_the_notice_stores_the_end_of_its_last_day_and_submission_waits_for_it(rw, stages):
    round_ = stages.met()
    with time_machine.travel(local(SHANGHAI, 2026, 12, 6, 23, 50), tick=False) as clock:
        stages.move(round_, "open_notice")
        round_.refresh_from_db()
        assert round_.notice_ends_at == local(SHANGHAI, 2026, 12, 10, 0, 0)
        assert (round_.notice_first_day, round_.notice_last_day) == (
            datetime.date(2026, 12, 6),
            datetime.date(2026, 12, 9),
        )
        clock.move_to(local(SHANGHAI, 2026, 12, 9, 23, 59, 59))
        assert selectors.notice_is_running(round_)
        with pytest.raises(DomainError, match="only after it ends"):
            stages.move(round_, "submit")
        clock.move_to(local(SHANGHAI, 2026, 12, 10, 0, 0))
        assert not selectors.notice_is_running(round_)
        stages.move(round_, "submit")


def test_a_township_in_another_time_zone_gets_its_own_midnight(rw, stages):
    rw.township.timezone = "Asia/Urumqi"
    rw.township.save()
    round_ = stages.met()
    with time_machine.travel(local(SHANGHAI, 2026, 12, 6, 23, 50), tick=False):
        stages.move(round_, "open_notice")
    round_.refresh_from_db()
    assert round_.notice_ends_at == local(URUMQI, 2026, 12, 10, 0, 0)


@pytest.mark.parametrize("days", [0, 1, 2])
def test_a_notice_shorter_than_three_days_is_refused_by_the_service(rw, days):
    before = snapshot()
    with pytest.raises(DomainError) as caught:
        services.create_round(
            membership=rw.membership(rw.admin),
            village=rw.village,
            scheme=rw.scheme,
            kind="quarterly",
            period="2026-Q1",
            notice_days=days,
        )
    assert (caught.value.code, caught.value.field) == ("notice_too_short", "notice_days")
    assert snapshot() == before


def test_a_longer_notice_runs_its_whole_days(rw, stages):
    round_ = services.create_round(
        membership=rw.membership(rw.admin),
        village=rw.village,
        scheme=rw.scheme,
        kind="quarterly",
        period="2026-Q1",
        notice_days=7,
    )
    services.apply_rotation(membership=stages.clerk, round=round_)
    stages.move(round_, "open")
    for household, member, item in ((rw.h1, rw.members2[0], rw.clean), (rw.h2, rw.members1[0], rw.mess)):
        services.record_inspection(
            membership=member, round=round_, household=household, inspected_on=datetime.date(2026, 3, 10)
        )
    stages.move(round_, "start_panel_review")
    for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
        services.record_panel_meeting(
            membership=stages.clerk,
            round=round_,
            panel=panel,
            held_on=datetime.date(2026, 3, 31),
            attendees=[m.user for m in members],
        )
    with time_machine.travel(local(SHANGHAI, 2026, 12, 6, 8, 0), tick=False):
        stages.move(round_, "open_notice")
    round_.refresh_from_db()
    # Posted 6 Dec; seven days: 7–13 Dec; ends 14 Dec 00:00.
    assert round_.notice_ends_at == local(SHANGHAI, 2026, 12, 14, 0, 0)


def test_the_api_refuses_a_two_day_notice_and_takes_a_five_day_one(rw):
    body = {"village": rw.village.pk, "scheme": rw.scheme.pk, "kind": "quarterly", "period": "2026-Q1"}
    api = as_user(rw, rw.clerk)
    before = snapshot()
    short = api.post("rounds/", {**body, "notice_days": 2}, headers={"Accept-Language": "en"})
    assert (short.status_code, short.json()["field"]) == (400, "notice_days")
    assert "at least three whole calendar days" in short.json()["errors"]["notice_days"][0]
    assert snapshot() == before
    created = api.post("rounds/", {**body, "notice_days": 5})
    assert created.status_code == 201 and created.json()["notice_days"] == 5


def test_the_round_form_refuses_a_two_day_notice(rw):
    before = snapshot()
    response = client_for(rw.clerk).post(
        page_url("round-create", rw.township),
        {
            "village": rw.village.pk,
            "scheme": rw.scheme.pk,
            "kind": "quarterly",
            "period": "2026-Q1",
            "notice_days": 2,
        },
    )
    assert response.status_code == 200
    assert "公示期至少三个整日" in text(response)
    assert snapshot() == before


def test_the_round_page_the_public_page_and_the_api_show_the_notice_dates(client, rw, stages):
    round_ = stages.met()
    with time_machine.travel(local(SHANGHAI, 2026, 12, 6, 23, 50), tick=False):
        stages.move(round_, "open_notice")
        page = text(client_for(rw.supervisor).get(page_url("round-detail", rw.township, pk=round_.pk)))
        public = client.get(f"/notice/{round_.notice_token}/").content.decode()
        detail = as_user(rw, rw.supervisor).get(f"rounds/{round_.pk}/").json()
    assert "第 1 次公示：2026年12月6日 至 2026年12月9日" in page
    assert "2026年12月6日" in public and "2026年12月9日" in public
    assert (detail["notice_first_day"], detail["notice_last_day"]) == ("2026-12-06", "2026-12-09")
    assert ReviewRound.objects.get(pk=round_.pk).state == RoundState.ON_NOTICE
