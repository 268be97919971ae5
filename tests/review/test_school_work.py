"""What waits for each of a school's roles (issue 15): the home leads a recorder to the class's daily record, and
the worklist names the Monday summary's next step (the vice monitor's hand-over, the head teacher's filing) and
the class's notices to approve."""

import pytest
from django.urls import reverse

from core.tenancy import township_scope
from review import services
from scoring import services as scoring
from tests.notices import run_out
from tests.review.rhythm_world import RhythmWorld

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def cw(db):
    return RhythmWorld()


def _page(client, user, cw, name):
    client.force_login(user)
    kwargs = {"township_slug": cw.township.slug}
    return client.get(reverse(f"{name}", kwargs=kwargs), ZH).content.decode()


def test_the_school_home_leads_recorders_to_today_s_record_and_parents_to_their_report(client, cw):
    page = _page(client, cw.monitor, cw, "households:township-home")
    day = reverse("review:class-day", kwargs={"township_slug": cw.township.slug, "village_pk": cw.class_.pk})
    work = reverse("review:worklist", kwargs={"township_slug": cw.township.slug})
    assert day in page and "今日记录" in page and f'id="my-work" href="{work}"' in page
    page = _page(client, cw.parent, cw, "households:township-home")
    assert day not in page and "孩子的积分月报" in page


def test_the_worklist_names_each_step_of_the_monday_summary_and_the_notice_to_approve(client, cw):
    monday = cw.last_monday
    with township_scope(cw.township):
        scoring.record_entry(
            membership=cw.m(cw.monitor), household=cw.students[1], item=cw.late, occurred_on=monday
        )
        summary = services.prepare_weekly_summary(
            membership=cw.m(cw.monitor), village=cw.class_, week_start=monday
        )
    link = reverse("review:weekly-summary", kwargs={"township_slug": cw.township.slug, "pk": summary.pk})
    # Prepared: the duty monitor and the officer hand it to the vice monitor; nothing waits for the teacher yet.
    assert link in _page(client, cw.monitor, cw, "review:worklist")
    assert "待交副班长" in _page(client, cw.officer, cw, "review:worklist")
    assert link not in _page(client, cw.teacher, cw, "review:worklist")
    with township_scope(cw.township):
        summary = services.hand_over_summary(
            membership=cw.m(cw.officer), summary=summary, vice_monitor=cw.students[3]
        )
        round_ = services.post_weekly_notice(membership=cw.m(cw.officer), summary=summary)
    # Handed over: the teacher files it; the officer no longer has it to do, and sees the class's notice running.
    page = _page(client, cw.teacher, cw, "review:worklist")
    assert link in page and "待备案" in page
    assert link not in _page(client, cw.officer, cw, "review:worklist")
    with township_scope(cw.township):
        run_out(round_)
        services.move_round(membership=cw.m(cw.officer), round=round_, move="submit")
    # The notice ended and went up: the head teacher's approval waits on their worklist.
    page = _page(client, cw.teacher, cw, "review:worklist")
    assert f"#round-{round_.pk}" in page
    # The other class's duty monitor sees none of it.
    assert link not in _page(client, cw.other_monitor, cw, "review:worklist")
