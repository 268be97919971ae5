"""The villages' evaluation (issue 20, item 4): the village survey on the phone and on paper, one answer per
household and year, its results per village, the four "全" figures from the ledger, and the application's copy.

Town A (tests/conftest.py World): a东村 holds A-001 (its head's mobile ends 8000) and, here, A-003, A-004, A-005
taking part and A-006 not eligible; a西村 holds A-002.
"""

import subprocess
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError
from core.tenancy import dangerously_all_townships, township_scope
from demonstration import selectors, services
from demonstration.demo_survey import seed_survey_answers
from demonstration.models import SurveyAnswer, SurveyChannel
from demonstration.survey import survey_year
from households.models import Participation
from rewards.models import StarResult, StarRun, StarRunState
from scoring import services as scoring
from scoring.accounts import account_of
from tests.contract import member
from tests.demonstration.conftest import APPLY_DAY
from tests.factories import HouseholdFactory
from tests.notices import approve_through_notice
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db
D = Decimal

ALL_YES_FIVE = {
    "knows_scheme": 1,
    "knows_items": 1,
    "knows_notices": 1,
    "earned_points": 1,
    "used_shop": 1,
    "joins_activities": 5,
    "fair_scoring": 5,
    "shop_goods": 5,
    "overall": 5,
}
MIXED = {
    "knows_scheme": 1,
    "knows_items": 0,
    "knows_notices": 0,
    "earned_points": 0,
    "used_shop": 0,
    "joins_activities": 1,
    "fair_scoring": 3,
    "shop_goods": 1,
    "overall": 2,
}


def _answers():
    with dangerously_all_townships():
        return list(SurveyAnswer.objects.order_by("pk"))


def _more_households(world):
    """A-003, A-004, A-005 taking part and A-006 not eligible, in a东村."""
    area = world.a.areas[0]
    extra = [HouseholdFactory(area=area, number=f"A-00{n}") for n in (3, 4, 5)]
    HouseholdFactory(area=area, number="A-006", participation=Participation.NOT_ELIGIBLE)
    return extra


def _code(world, household):
    with township_scope(world.a.township):
        return scoring.issue_code(membership=member(world.a.admin), household=household)


def _survey_url(code):
    return reverse("demonstration_public:survey", kwargs={"code": code})


def _open(client, code, digits="8000"):
    response = client.post(reverse("publicity:villager-page", kwargs={"code": code}), {"digits": digits})
    assert response.status_code == 302


# The phone ---------------------------------------------------------------------------------------------------


def test_a_household_answers_once_on_its_phone_and_a_second_answer_is_refused(world, client):
    row, code = _code(world, world.a.households[0])
    assert client.get(_survey_url(code)).status_code == 403  # the 4 digits first, on the passbook page
    _open(client, code)
    page = client.get(_survey_url(code))
    text = page.content.decode()
    assert page.status_code == 200 and "您知道本村实行积分制管理吗" in text and "知晓度" not in text
    assert page["Cache-Control"].startswith("no-store")
    incomplete = client.post(_survey_url(code), {**ALL_YES_FIVE, "overall": ""})
    assert incomplete.status_code == 400 and _answers() == []

    assert client.post(_survey_url(code), ALL_YES_FIVE).status_code == 302
    [answer] = _answers()
    assert (answer.household_id, answer.village_id, answer.channel, answer.entered_by_id) == (
        world.a.households[0].pk,
        world.a.villages[0].pk,
        SurveyChannel.PHONE,
        None,
    )
    assert answer.year == survey_year(world.a.township) and answer.overall == 5
    assert "谢谢" in client.get(_survey_url(code)).content.decode()

    again = client.post(_survey_url(code), MIXED)
    assert again.status_code == 400 and "已填写过" in again.content.decode()
    assert _answers() == [answer] and _answers()[0].knows_items == 1


def test_a_wrong_or_revoked_code_answers_nothing(world, client):
    row, code = _code(world, world.a.households[0])
    assert client.get(_survey_url(code + "x")).status_code == 404
    assert client.post(_survey_url("x" * 500), ALL_YES_FIVE).status_code == 404
    _open(client, code)
    _code(world, world.a.households[0])  # a reprint revokes the code this browser opened
    response = client.post(_survey_url(code), ALL_YES_FIVE)
    assert response.status_code == 404 and "二维码" in response.content.decode()
    assert _answers() == []


def test_an_opened_code_opens_only_its_own_survey(world, client):
    """The cookie of A-001's code does not open A-002's survey (the cookie is signed for one code)."""
    _, code = _code(world, world.a.households[0])
    _, other = _code(world, world.a.households[1])
    _open(client, code)
    client.cookies["jifen_passbook"]["path"] = "/"  # even sent to every path, it names A-001's code only
    assert client.post(_survey_url(other), ALL_YES_FIVE).status_code == 403
    assert _answers() == []


@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_leave_one_the_constraint_refuses_the_other(world):
    """The first answer is written but not committed when the second is sent: the second passes the check (it
    cannot see the first yet), waits on the unique index, and is refused once the first commits."""
    row, _ = _code(world, world.a.households[0])
    written, outcome = threading.Event(), {}

    def first():
        try:
            with township_scope(world.a.township), transaction.atomic():
                services.answer_survey(code=row, answers=ALL_YES_FIVE)
                written.set()
                threading.Event().wait(0.6)  # the second is now waiting on the index
        finally:
            connection.close()

    def second():
        written.wait(5)
        try:
            with township_scope(world.a.township):
                services.answer_survey(code=row, answers=MIXED)
        except DomainError as exc:
            outcome["code"] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcome == {"code": "already_answered"}
    [answer] = _answers()
    assert answer.knows_items == 1  # the first one's
    with township_scope(world.a.township), pytest.raises(IntegrityError), transaction.atomic():
        SurveyAnswer.objects.create(
            township=world.a.township,
            village=world.a.villages[0],
            household=world.a.households[0],
            year=answer.year,
            channel=SurveyChannel.PAPER,
            entered_by=world.a.clerk,
            **MIXED,
        )


# Paper -------------------------------------------------------------------------------------------------------


def test_the_clerk_enters_a_paper_answer_once_and_who_entered_it_is_kept(world, login):
    _, a4, _ = _more_households(world)
    client = login(world.a.clerk)
    url = reverse(
        "demonstration:survey-enter", kwargs={"township_slug": "town-a", "village_pk": world.a.villages[0].pk}
    )
    page = client.get(url)
    assert page.status_code == 200 and "A-001" in page.content.decode()
    household = world.a.households[0].pk
    assert client.post(url, {"household": household, **MIXED}).status_code == 302
    [answer] = _answers()
    assert (answer.channel, answer.entered_by_id, answer.shop_goods) == (
        SurveyChannel.PAPER,
        world.a.clerk.pk,
        1,
    )
    again = client.post(url, {"household": household, **ALL_YES_FIVE})
    assert again.status_code == 400 and "已填写过" in again.content.decode()
    # A household of the village the clerk does not keep is no choice of the form; nothing is written.
    other = client.post(url, {"household": world.a.households[1].pk, **ALL_YES_FIVE})
    assert other.status_code == 400 and _answers() == [answer]
    assert client.post(url, {"household": a4.pk, **ALL_YES_FIVE}).status_code == 302  # not the first listed
    assert [a.household_id for a in _answers()] == [world.a.households[0].pk, a4.pk]


def test_a_panel_member_cannot_enter_a_paper_answer_and_a_household_on_the_phone_then_is_refused(
    world, client
):
    with township_scope(world.a.township):
        with pytest.raises(PermissionDenied):
            services.enter_paper_answer(
                membership=member(world.a.panel), household=world.a.households[0], answers=MIXED
            )
        services.enter_paper_answer(
            membership=member(world.a.admin), household=world.a.households[0], answers=MIXED
        )
    _, code = _code(world, world.a.households[0])
    _open(client, code)
    assert "谢谢" in client.get(_survey_url(code)).content.decode()
    assert client.post(_survey_url(code), ALL_YES_FIVE).status_code == 400
    assert len(_answers()) == 1


def test_the_paper_survey_prints_every_question_with_boxes_in_chinese(world, login, tmp_path):
    url = reverse(
        "demonstration:survey-paper", kwargs={"township_slug": "town-a", "village_pk": world.a.villages[0].pk}
    )
    response = login(world.a.clerk).get(url + "?year=2026")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "survey.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = "".join(text.split())
    for words in (
        "村民测评问卷",
        "A镇a东村·2026",
        "户号",
        "知晓度",
        "参与度",
        "满意度",
        "您知道本村实行积分制管理吗",
    ):
        assert words in flat
    assert flat.count("是否") == 5 and flat.count("54321") == 4  # five yes/no questions, four on the scale
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True, check=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts


# Results and the four figures ----------------------------------------------------------------------------------


def test_results_per_village_are_shares_and_dimension_percentages(world):
    """a东村: 4 households taking part (A-001, A-003–A-005), 2 answers: all yes / 5, and MIXED.
    Awareness: (100 + 50 + 50) / 3 = 66.7; participation: (50 + 50 + 50) / 3 = 50.0; satisfaction:
    mean 4 → 75, mean 3 → 50, mean 3.5 → 62.5: 62.5. a西村 has no answer; B's village is not asked."""
    a3 = _more_households(world)[0]
    with township_scope(world.a.township):
        office = member(world.a.admin)
        services.enter_paper_answer(membership=office, household=world.a.households[0], answers=ALL_YES_FIVE)
        services.enter_paper_answer(membership=office, household=a3, answers=MIXED)
    v1, v2 = world.a.villages
    results = selectors.evaluation_results([v1.pk, v2.pk], year=survey_year(world.a.township))
    assert results[v1.pk] == {
        "answers": 2,
        "households": 4,
        "answer_share": D("50.0"),
        "awareness": D("66.7"),
        "participation": D("50.0"),
        "satisfaction": D("62.5"),
    }
    assert results[v2.pk] == {
        "answers": 0,
        "households": 1,
        "answer_share": D("0.0"),
        "awareness": None,
        "participation": None,
        "satisfaction": None,
    }
    assert selectors.evaluation_results([v1.pk], year=2000)[v1.pk]["answers"] == 0


def _ledger(world):
    """The scheme of this year has three active items (庭院整洁, 义务劳动, 乱堆乱放) and one inactive.
    a东村: A-001 庭院整洁 (with a reason) and 义务劳动 (no reason), A-003 庭院整洁 twice (with reasons), A-004 one
    proposed only: 4 approved entries, 3 with a reason, 2 items used, 2 of 4 households entered.
    a西村: A-002 乱堆乱放 with a reason."""
    a3, a4, _ = _more_households(world)
    with township_scope(world.a.township):
        c = Catalogue(world)
        labour = scoring.add_item(
            membership=c.office, category=c.category, name="义务劳动", kind="bonus", points=D("1")
        )
        mess = scoring.add_item(
            membership=c.office, category=c.category, name="乱堆乱放", kind="penalty", points=D("2")
        )
        unused = scoring.add_item(
            membership=c.office, category=c.category, name="旧项目", kind="bonus", points=D("1")
        )
        type(unused).objects.filter(pk=unused.pk).update(active=False)

        def record(household, item, reason):
            return scoring.record_entry(
                membership=c.office, household=household, item=item, occurred_on=c.day, reason=reason
            )

        h1, h2 = world.a.households
        entries = [
            record(h1, c.item, "院落干净"),
            record(h1, labour, ""),
            record(a3, c.item, "清理门前"),
            record(a3, c.item, "清理后院"),
            record(h2, mess, "柴草乱堆"),
        ]
        approve_through_notice(entries)
        record(a4, labour, "修路")  # proposed: not counted
    return c


def _star_run(c, world, *, published):
    """The year's current rating: A-001 five stars, A-003 none (a东村); nothing in a西村."""
    run = StarRun.objects.create(
        township=world.a.township,
        scheme=c.scheme,
        version=1,
        inputs_fingerprint="f" * 64,
        state=StarRunState.PUBLISHED if published else StarRunState.PROPOSED,
        published_by=world.a.admin if published else None,
        published_at=timezone.now() if published else None,
        five_percent=10,
        four_percent=20,
        three_percent=30,
        floor=D("140"),
        household_count=2,
        created_by=world.a.admin,
    )
    for household, stars, rank in ((world.a.households[0], 5, 1), (c.a3, 0, 2)):
        StarResult.objects.create(
            township=world.a.township,
            run=run,
            village=world.a.villages[0],
            household=household,
            account=account_of(household),
            total=D("150"),
            penalties=D("0"),
            tie_score=D("0"),
            rank=rank,
            n=2,
            stars=stars,
        )
    return run


def test_the_four_figures_come_from_the_ledger(world, django_assert_max_num_queries):
    c = _ledger(world)
    v1, v2 = world.a.villages
    year = c.scheme.year
    with django_assert_max_num_queries(5):
        figures = selectors.four_full_figures([v1.pk, v2.pk, world.b.villages[0].pk], year=year)
    assert {k: figures[v1.pk][k] for k in ("items_used", "households_with_entry", "entries_recorded")} == {
        "items_used": D("66.7"),  # 2 of 3 active items
        "households_with_entry": D("50.0"),  # of 4 taking part
        "entries_recorded": D("75.0"),  # 3 of 4 approved entries have a reason
    }
    assert (figures[v1.pk]["items"], figures[v1.pk]["entries"], figures[v1.pk]["households"]) == (3, 4, 4)
    assert {k: figures[v2.pk][k] for k in ("items_used", "households_with_entry", "entries_recorded")} == {
        "items_used": D("33.3"),
        "households_with_entry": D("100.0"),
        "entries_recorded": D("100.0"),
    }
    assert figures[v1.pk]["rewards_public"] is None  # no rating yet: nothing to post
    assert figures[world.b.villages[0].pk]["items_used"] is None  # B has no scheme this year
    assert selectors.four_full_figures([v1.pk], year=year - 1)[v1.pk]["entries"] == 0


def test_rewards_count_as_public_once_their_rating_is_published(world):
    c = _ledger(world)
    c.a3 = type(world.a.households[0]).objects.get(number="A-003")
    with township_scope(world.a.township):
        run = _star_run(c, world, published=False)
    v1, v2 = world.a.villages
    figures = selectors.four_full_figures([v1.pk, v2.pk], year=c.scheme.year)
    assert (
        figures[v1.pk]["rewards"],
        figures[v1.pk]["rewards_public"],
        figures[v2.pk]["rewards_public"],
    ) == (
        1,
        D("0.0"),
        None,
    )
    with township_scope(world.a.township):
        StarRun.objects.filter(pk=run.pk).update(
            state=StarRunState.PUBLISHED, published_by=world.a.admin, published_at=timezone.now()
        )
    assert selectors.four_full_figures([v1.pk], year=c.scheme.year)[v1.pk]["rewards_public"] == D("100.0")


def test_the_evaluation_page_shows_the_villages_the_member_sees(world, login):
    with township_scope(world.a.township):
        services.enter_paper_answer(
            membership=member(world.a.admin), household=world.a.households[0], answers=ALL_YES_FIVE
        )
    url = reverse("demonstration:evaluation", kwargs={"township_slug": "town-a"})
    text = login(world.a.clerk).get(url).content.decode()
    assert "a东村" in text and "a西村" not in text  # the clerk keeps a东村 only
    assert "1 户中 1 户（100.0 %）" in text
    assert "知晓度" in text and "100.0 %" in text


# Cross-tenant ----------------------------------------------------------------------------------------------------


def test_another_townships_members_get_not_found_and_write_nothing(world, login):
    b_village = world.b.villages[0]
    client = login(world.a.admin)
    for slug in ("town-a", "town-b"):
        enter = reverse(
            "demonstration:survey-enter", kwargs={"township_slug": slug, "village_pk": b_village.pk}
        )
        paper = reverse(
            "demonstration:survey-paper", kwargs={"township_slug": slug, "village_pk": b_village.pk}
        )
        assert client.post(enter, {"household": world.b.households[0].pk, **MIXED}).status_code == 404
        assert client.get(paper).status_code == 404
    assert (
        client.get(reverse("demonstration:evaluation", kwargs={"township_slug": "town-b"})).status_code == 404
    )
    assert _answers() == []


# The application carries the evaluation ----------------------------------------------------------------------------


def test_an_application_keeps_the_evaluation_it_applied_with(programme, world, login):
    with time_machine.travel(APPLY_DAY, tick=False), township_scope(world.a.township):
        services.enter_paper_answer(
            membership=member(world.a.admin), household=world.a.households[0], answers=MIXED
        )
    application = programme.apply(programme.call(), "a东村")
    evaluation = application.evaluation
    assert (evaluation.survey_answers, evaluation.survey_answer_share) == (1, D("100.0"))
    # MIXED alone: awareness (100 + 0 + 0) / 3; participation 0; satisfaction (50 + 0 + 25) / 3
    assert (evaluation.awareness, evaluation.participation, evaluation.satisfaction) == (
        D("33.3"),
        D("0.0"),
        D("25.0"),
    )
    assert evaluation.items_used is None and evaluation.households_with_entry == D("0.0")
    url = reverse("demonstration:application", kwargs={"township_slug": "town-a", "pk": application.pk})
    text = login(world.a.admin).get(url).content.decode()
    assert "满意度" in text and "25.0 %" in text
    # The city reads it too, outside any township's scope.
    url = reverse(
        "demonstration_region:application", kwargs={"region_slug": "yinchuan", "pk": application.pk}
    )
    text = login(programme.city_officer).get(url).content.decode()
    assert "满意度" in text and "33.3 %" in text


def test_the_demo_answers_for_its_villages_once(world):
    extra = _more_households(world)
    with township_scope(world.a.township):
        assert seed_survey_answers(world.a.villages[:1], share=1.0) is True
        first = [(a.household_id, a.overall) for a in _answers()]
        assert seed_survey_answers(world.a.villages, share=0.0) is False  # a西村 asked for nobody
        assert seed_survey_answers(world.a.villages[:1], share=1.0) is False  # idempotent
    assert [(a.household_id, a.overall) for a in _answers()] == first
    # every household of a东村 taking part, none not eligible
    assert sorted(h for h, _ in first) == sorted([world.a.households[0].pk, *(h.pk for h in extra)])
    assert {a.channel for a in _answers()} == {SurveyChannel.PAPER}
