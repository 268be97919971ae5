"""Issue 17.1: every role's home page says what to do now, as counts linking to the filtered list where the work is
done; 待办 shows the very same counts (one selector); a role never sees a count for work it may not do; the home
costs a fixed number of queries whatever the data; the township approves all of a village's rounds and batches at
once, through the round moves, never one whose notice has not ended.

Rounds and the clock come from test_pages.py (frozen at 2026-12-15 10:00 Shanghai)."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import DomainError
from households.models import Role
from review import selectors, services
from review.models import Objection, ReviewRound, RoundKind, RoundMove, RoundState
from scoring import services as scoring
from scoring.models import Entry, EntryState
from tests.factories import HouseholdFactory, MembershipFactory, ResidentFactory, UserFactory
from tests.review.test_pages import (
    NOW,
    client_for,
    clock,  # noqa: F401 (the same frozen clock, autouse)
    make_round,
    page_url,
    text,
)

pytestmark = pytest.mark.django_db
Q4_DAY = datetime.date(2026, 11, 10)


def _home(township) -> str:
    return reverse("households:township-home", kwargs={"township_slug": township.slug})


def counts_on(html: str) -> dict[str, int]:
    """The counts a page shows: {line key: number} from the work-counts block."""
    block = html[html.index('id="work-counts"') :]
    block = block[: block.index("</section>")]
    return {
        key: int(n)
        for key, n in re.findall(r'data-work="([^"]+)"[^>]*>.*?data-count="(\d+)"', block, flags=re.S)
    }


def links_on(html: str) -> dict[str, str]:
    block = html[html.index('id="work-counts"') :]
    block = block[: block.index("</section>")]
    return dict(re.findall(r'data-work="([^"]+)"[^>]*>\s*<a href="([^"]+)"', block))


def _direct_entries(rw, household, n, day=Q4_DAY):
    """`n` entries recorded directly (by the township office) for the household: proposals waiting for a notice."""
    admin = rw.membership(rw.admin)
    return [
        scoring.record_entry(membership=admin, household=household, item=rw.clean, occurred_on=day)
        for _ in range(n)
    ]


def _submitted_batch(rw, village):
    """The village's waiting entries on a notice batch posted five days ago, its notice ended, submitted."""
    admin = rw.membership(rw.admin)
    with time_machine.travel(NOW - datetime.timedelta(days=5), tick=False):
        batch = services.post_notice_batch(membership=admin, village=village, scheme=rw.scheme)
    return services.move_round(membership=admin, round=batch, move="submit")


def _notice_ending_today(rw):
    """A quarterly round whose three-day notice was opened on 12 Dec: it runs through the 15th (today)."""
    with time_machine.travel(NOW - datetime.timedelta(days=3), tick=False):
        return make_round(rw, RoundState.ON_NOTICE, period="2026-Q3")


@pytest.fixture
def busy(rw):
    """Township A: village 0 has a submitted quarterly round (2 proposals) and a submitted notice batch (3 direct
    entries), a round on notice ending today with a public objection, and 2 direct entries waiting for a notice;
    village 1 has a submitted batch of 4 entries."""
    west = rw.world.a.villages[1]
    west_household = rw.world.a.households[1]
    make_round(rw, RoundState.SUBMITTED, period="2026-Q1")
    _direct_entries(rw, rw.h1, 3)
    _submitted_batch(rw, rw.village)
    _direct_entries(rw, west_household, 4)
    _submitted_batch(rw, west)
    on_notice = _notice_ending_today(rw)
    services.file_public_objection(round=on_notice, household=rw.h1, objector_name="王五", reason="分数不对")
    _direct_entries(rw, rw.h2, 2)
    return rw


def test_the_township_office_sees_approvals_per_village_notices_objections_and_stages(busy):
    rw = busy
    work = selectors.work_counts(rw.membership(rw.admin))
    east, west = rw.village, rw.world.a.villages[1]
    # Hand-counted from the fixture: 2 + 3 proposals in the east, 4 in the west.
    assert work.count("approvals") == 9
    assert work.count(f"approvals-village-{east.pk}") == 5
    assert work.count(f"approvals-village-{west.pk}") == 4
    assert work.count("batch") == 2
    assert work.count("notices-ending-today") == 1
    assert work.count("open-objections") == 1
    assert work.count("stage-submitted") == 3
    assert work.count("stage-on_notice") == 1


def test_the_home_and_the_worklist_show_the_same_counts(busy):
    rw = busy
    client = client_for(rw.admin)
    home = counts_on(text(client.get(_home(rw.township))))
    work = counts_on(text(client.get(page_url("worklist", rw.township))))
    assert home == work
    assert home["approvals"] == 9 and home["open-objections"] == 1
    # The objection itself is listed on 待办 where the office resolves it.
    worklist = text(client.get(page_url("worklist", rw.township)))
    assert 'id="open-objections"' in worklist and "王五" in worklist


def test_each_count_links_to_the_list_where_the_work_is_done(busy):
    rw = busy
    client = client_for(rw.admin)
    links = links_on(text(client.get(_home(rw.township))))
    east = rw.village
    approvals = client.get(links[f"approvals-village-{east.pk}"].replace("&amp;", "&"))
    assert approvals.status_code == 200
    assert [r.village_id for r in approvals.context["rounds"]] == [east.pk, east.pk]
    on_notice = client.get(links["stage-on_notice"].replace("&amp;", "&"))
    assert [r.period for r in on_notice.context["page"].object_list] == ["2026-Q3"]
    # A notice ending later is on notice too, but not in the "ending today" list.
    make_round(rw, RoundState.ON_NOTICE, period="2026-Q4")  # opened today: it ends in three days
    ending = client.get(links["notices-ending-today"].replace("&amp;", "&"))
    assert links["notices-ending-today"].endswith("?ending=today")
    assert [r.period for r in ending.context["page"].object_list] == ["2026-Q3"]
    assert "今天到期的公示" in text(ending)
    all_on_notice = client.get(links["stage-on_notice"].replace("&amp;", "&"))
    assert sorted(r.period for r in all_on_notice.context["page"].object_list) == ["2026-Q3", "2026-Q4"]


def test_the_clerk_sees_todays_entries_households_lacking_a_head_or_a_phone_and_the_counter(rw):
    clerk = rw.membership(rw.clerk)
    scoring.record_entry(membership=clerk, household=rw.h1, item=rw.clean, occurred_on=Q4_DAY)
    scoring.record_entry(membership=clerk, household=rw.h2, item=rw.clean, occurred_on=Q4_DAY)
    with time_machine.travel(NOW - datetime.timedelta(days=1), tick=False):  # yesterday: not today's
        scoring.record_entry(membership=clerk, household=rw.h2, item=rw.clean, occurred_on=Q4_DAY)
    headless = HouseholdFactory(area=rw.area1, number="A-050")
    ResidentFactory(household=headless, name="赵六", mobile="13900000001")  # a phone, no head
    # Village 0: A-001 has a head with a phone; A-201's head has no phone; A-050 has no head.
    # The other village's A-002 (no phone) is not the clerk's.
    work = selectors.work_counts(clerk)
    assert work.count("entries-today") == 2
    assert work.count("missing-head") == 1
    assert work.count("missing-phone") == 1
    client = client_for(rw.clerk)
    links = links_on(text(client.get(_home(rw.township))))
    assert "counter" in links
    listed = client.get(links["missing-phone"])
    assert [h.number for h in listed.context["page"].object_list] == ["A-201"]
    listed = client.get(links["missing-head"])
    assert [h.number for h in listed.context["page"].object_list] == ["A-050"]
    today = client.get(links["entries-today"])
    assert len(today.context["page"].object_list) == 2
    # The clerk approves nothing: no count of approvals.
    assert work.count("approvals") is None


def test_todays_entries_are_the_townships_calendar_day_not_utcs(rw):
    """Counted as a range of recording times over the township's day (Asia/Shanghai, UTC+8): five minutes before
    its midnight is yesterday, five minutes after is today, although both fall on the same UTC day."""
    clerk = rw.membership(rw.clerk)
    midnight = datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    for moment in (midnight - datetime.timedelta(minutes=5), midnight + datetime.timedelta(minutes=5)):
        with time_machine.travel(moment, tick=False):
            scoring.record_entry(membership=clerk, household=rw.h1, item=rw.clean, occurred_on=Q4_DAY)
    with time_machine.travel(midnight + datetime.timedelta(hours=1), tick=False):
        assert selectors.work_counts(clerk).count("entries-today") == 1
        today = client_for(rw.clerk).get(
            links_on(text(client_for(rw.clerk).get(_home(rw.township))))["entries-today"]
        )
        assert len(today.context["page"].object_list) == 1


def test_a_panel_member_sees_the_households_left_to_inspect_per_area(rw):
    HouseholdFactory(area=rw.area1, number="A-011")
    round_ = make_round(rw, RoundState.COLLECTING)
    member = rw.members2[0]  # panel 2 inspects 一组
    work = selectors.work_counts(member)
    key = f"inspect-{round_.pk}-{rw.area1.pk}"
    assert work.count(key) == 2
    links = links_on(text(client_for(member.user).get(_home(rw.township))))
    assert links[key] == page_url("inspect-list", rw.township, pk=round_.pk)
    assert work.count("approvals") is None and work.count("batch") is None


@pytest.mark.parametrize("role", ["supervisor", "county"])
def test_supervisors_and_county_viewers_get_their_reports_and_no_work_counts(rw, role):
    user = getattr(rw.world.a, role)
    html = text(client_for(user).get(_home(rw.township)))
    links = links_on(html)
    assert links["dashboard"] == reverse("oversight:dashboard", kwargs={"township_slug": rw.township.slug})
    assert counts_on(html) == {}
    if role == "county":
        assert "county" in links and "history" not in links
    else:
        assert "history" in links


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("role", ["admin", "clerk", "panel", "supervisor", "county"])
def test_the_home_costs_the_same_queries_with_more_data(rw, role, django_assert_max_num_queries):
    users = {"admin": rw.admin, "clerk": rw.clerk, "panel": rw.members2[0].user}
    user = users.get(role) or getattr(rw.world.a, role)
    client = client_for(user)
    make_round(rw, RoundState.COLLECTING)
    _direct_entries(rw, rw.h1, 1)
    url = _home(rw.township)
    client.get(url)  # warm the session and caches
    before = _count_queries(client, url)
    # More of everything: a round on notice, submitted batches in both villages, entries, households.
    _notice_ending_today(rw)
    _direct_entries(rw, rw.h2, 3)
    _submitted_batch(rw, rw.village)
    _direct_entries(rw, rw.world.a.households[1], 2)
    _submitted_batch(rw, rw.world.a.villages[1])
    _direct_entries(rw, rw.h1, 2)
    for n in range(3):
        ResidentFactory(household=HouseholdFactory(area=rw.area1, number=f"A-30{n}"), name=f"新户{n}")
    after = _count_queries(client, url)
    assert after == before
    with django_assert_max_num_queries(40):
        client.get(url)


def test_the_township_approves_all_of_a_villages_rounds_at_once_with_one_comment(busy):
    rw = busy
    east = rw.village
    rounds = list(ReviewRound.objects.filter(village=east, state=RoundState.SUBMITTED))
    client = client_for(rw.admin)
    response = client.post(
        page_url("approvals-approve", rw.township),
        {"rounds": [r.pk for r in rounds], "comment": "经乡镇审核同意"},
        follow=True,
    )
    assert response.status_code == 200
    assert all(
        r.state == RoundState.APPROVED for r in ReviewRound.objects.filter(pk__in=[r.pk for r in rounds])
    )
    approved = Entry.objects.filter(round_link__round__in=rounds)
    assert approved.count() == 5 and set(approved.values_list("state", flat=True)) == {EntryState.APPROVED}
    trail = RoundMove.objects.filter(round__in=rounds, move="approve")
    assert trail.count() == 2 and set(trail.values_list("comment", flat=True)) == {"经乡镇审核同意"}
    # The west village's batch still waits.
    assert ReviewRound.objects.filter(village=rw.world.a.villages[1], state=RoundState.SUBMITTED).count() == 1


def test_a_round_whose_notice_has_not_ended_is_never_approved_and_then_none_is(busy):
    rw = busy
    submitted = ReviewRound.objects.get(
        village=rw.village, kind=RoundKind.QUARTERLY, state=RoundState.SUBMITTED
    )
    running = ReviewRound.objects.get(state=RoundState.ON_NOTICE)
    admin = rw.membership(rw.admin)
    with pytest.raises(DomainError) as refused:
        services.approve_rounds(membership=admin, rounds=[submitted, running], comment="")
    assert str(refused.value.message).endswith("本次全部未审批。")
    submitted.refresh_from_db()
    assert submitted.state == RoundState.SUBMITTED
    assert not Entry.objects.filter(round_link__round=submitted, state=EntryState.APPROVED).exists()


def test_the_clerk_cannot_approve_rounds_at_once(busy):
    rw = busy
    rounds = list(ReviewRound.objects.filter(state=RoundState.SUBMITTED, village=rw.village))
    response = client_for(rw.clerk).post(
        page_url("approvals-approve", rw.township), {"rounds": [r.pk for r in rounds]}
    )
    assert response.status_code == 403
    assert ReviewRound.objects.filter(state=RoundState.SUBMITTED).count() == 3


def test_township_b_cannot_approve_or_filter_by_township_a_rounds(busy):
    rw = busy
    world = rw.world
    a_round = ReviewRound.objects.filter(state=RoundState.SUBMITTED).first()
    b_admin = client_for(world.b.admin)
    b_url = reverse("review:approvals-approve", kwargs={"township_slug": world.b.township.slug})
    assert b_admin.post(b_url, {"rounds": [a_round.pk]}).status_code == 404
    a_url = page_url("approvals-approve", rw.township)
    assert b_admin.post(a_url, {"rounds": [a_round.pk]}).status_code == 404
    b_approvals = reverse("review:approvals", kwargs={"township_slug": world.b.township.slug})
    assert b_admin.get(f"{b_approvals}?village={rw.village.pk}").status_code == 404
    a_round.refresh_from_db()
    assert a_round.state == RoundState.SUBMITTED
    # The household list's missing filter and the ledger's day filter show only B's own rows to B.
    b_list = reverse("households:household-list", kwargs={"township_slug": world.b.township.slug})
    numbers = [h.number for h in b_admin.get(f"{b_list}?missing=phone").context["page"].object_list]
    assert numbers and all(n.startswith("B-") for n in numbers)
    b_ledger = reverse("scoring:entry-list", kwargs={"township_slug": world.b.township.slug})
    assert not b_admin.get(f"{b_ledger}?recorded_on=2026-12-15").context["page"].object_list


def test_a_clerk_of_another_village_does_not_see_its_counts(busy):
    rw = busy
    west_clerk = MembershipFactory(
        user=UserFactory(username="a-clerk-west"),
        township=rw.township,
        role=Role.VILLAGE_CLERK,
        villages=[rw.world.a.villages[1]],
    )
    work = selectors.work_counts(west_clerk)
    assert work.count("batch") == 0  # the 2 waiting entries are the east village's
    assert work.count("open-objections") == 0
    assert work.count("stage-submitted") == 1
    assert Objection.objects.count() == 1
