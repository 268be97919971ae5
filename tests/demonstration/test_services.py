"""The demonstration-village programme end to end, its limits and refusals, and the figures' snapshot."""

import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import translation

from core.errors import DomainError
from demonstration import selectors, services
from demonstration.models import Application, ApplicationMove, ApplicationState, CallMove, CallState
from households.models import Participation
from review.models import Objection, ObjectionState, RoundKind
from scoring import services as scoring
from tests.demonstration.conftest import (
    AFTER_APPLICATIONS,
    APPLY_DAY,
    SELECTION_DAY,
    ShopParticipation,
    form_file,
    local,
    make_round,
)
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory
from tests.notices import approve_through_notice

pytestmark = pytest.mark.django_db
D = Decimal
EAST_VILLAGES = ["a东村", "a西村", "c北村", "c南村"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_a_call_runs_from_opening_to_award_with_two_counties_five_villages_and_three_per_county(programme):
    p = programme
    call = p.call(villages_wanted=2, budget=D("500000"))
    applications = {name: p.apply(call, name) for name in [*EAST_VILLAGES, "b东村"]}
    assert {a.state for a in applications.values()} == {ApplicationState.SUBMITTED}
    for application in applications.values():
        p.forward(application)

    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(actor=p.city_officer, call=call, move="close_applications")
        for name in ["a东村", "a西村", "c北村"]:
            services.move_application(actor=p.east_officer, application=applications[name], move="preselect")
        # The county's fourth pre-selection is refused: 3 per county.
        with pytest.raises(DomainError, match="东县 has already pre-selected 3 villages for this call"):
            services.move_application(
                actor=p.east_officer, application=applications["c南村"], move="preselect"
            )
        services.move_application(
            actor=p.east_officer, application=applications["c南村"], move="not_preselect", comment="名额已满"
        )
        # The other county still has its own three places.
        services.move_application(actor=p.west_officer, application=applications["b东村"], move="preselect")
        services.move_call(actor=p.city_officer, call=call, move="start_selection")

    scores = {"a东村": D("91.5"), "a西村": D("78"), "c北村": D("88"), "b东村": D("85")}
    with time_machine.travel(SELECTION_DAY, tick=False):
        for name, score in scores.items():
            services.move_application(
                actor=p.city_officer, application=applications[name], move="score", score=score
            )
        services.move_application(actor=p.city_officer, application=applications["a东村"], move="select")
        services.move_application(actor=p.city_officer, application=applications["c北村"], move="select")
        with pytest.raises(DomainError, match="2 villages are already selected; the call selects 2"):
            services.move_application(actor=p.city_officer, application=applications["b东村"], move="select")
        for name in ["a西村", "b东村"]:
            services.move_application(
                actor=p.city_officer, application=applications[name], move="not_select", comment="得分较低"
            )
        services.move_call(actor=p.city_officer, call=call, move="publish_result")
        services.move_application(
            actor=p.city_officer, application=applications["a东村"], move="award", amount=D("300000")
        )
        with pytest.raises(DomainError, match="1 selected villages have no award recorded yet"):
            services.move_call(actor=p.city_officer, call=call, move="close")
        services.move_application(
            actor=p.city_officer, application=applications["c北村"], move="award", amount=D("200000")
        )
        services.move_call(actor=p.city_officer, call=call, move="close")

    states = {name: Application.objects.get(pk=a.pk) for name, a in applications.items()}
    assert {name: a.state for name, a in states.items()} == {
        "a东村": ApplicationState.AWARDED,
        "a西村": ApplicationState.NOT_SELECTED,
        "c北村": ApplicationState.AWARDED,
        "c南村": ApplicationState.NOT_PRESELECTED,
        "b东村": ApplicationState.NOT_SELECTED,
    }
    assert states["a东村"].award == D("300000.00") and states["c北村"].award == D("200000.00")
    assert states["a东村"].score == D("91.50") and states["a西村"].score == D("78.00")
    call.refresh_from_db()
    assert call.state == CallState.CLOSED and call.result_published_at is not None
    assert list(CallMove.objects.filter(call=call).values_list("move", "actor__username")) == [
        ("open", "city-officer"),
        ("close_applications", "city-officer"),
        ("start_selection", "city-officer"),
        ("publish_result", "city-officer"),
        ("close", "city-officer"),
    ]
    trail = ApplicationMove.objects.filter(application=applications["a东村"])
    assert list(trail.values_list("move", "from_state", "to_state", "actor__username")) == [
        ("apply", "", "submitted", "a-township_admin"),
        ("publish", "submitted", "on_notice", "a-township_admin"),
        ("forward", "on_notice", "forwarded", "a-township_admin"),
        ("preselect", "forwarded", "preselected", "east-officer"),
        ("score", "preselected", "preselected", "city-officer"),
        ("select", "preselected", "selected", "city-officer"),
        ("award", "selected", "awarded", "city-officer"),
    ]
    refusal = ApplicationMove.objects.get(application=applications["c南村"], move="not_preselect")
    assert refusal.comment == "名额已满"


def test_a_county_call_goes_from_the_township_straight_to_the_county_selection(programme):
    p = programme
    call = p.call(region=p.east, villages_wanted=1, budget=D("100000"))
    application = p.forward(p.apply(call, "a东村"))
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        call = services.move_call(actor=p.east_officer, call=call, move="close_applications")
        assert call.state == CallState.SELECTION
        with pytest.raises(DomainError, match="not possible now"):
            services.move_application(actor=p.east_officer, application=application, move="preselect")
        services.move_application(actor=p.east_officer, application=application, move="select", score=D("90"))
        services.move_call(actor=p.east_officer, call=call, move="publish_result")
        services.move_application(
            actor=p.east_officer, application=application, move="award", amount=D("100000")
        )
    assert Application.objects.get(pk=application.pk).state == ApplicationState.AWARDED


def test_an_application_under_thirty_percent_is_refused_with_the_figure_and_the_threshold(programme):
    p = programme
    call = p.call()
    village = p.villages["a东村"]
    p.shares[village.pk] = ShopParticipation(D("45.00"), D("29.40"))
    with pytest.raises(DomainError) as refused:
        p.apply(call, "a东村")
    assert refused.value.message == (
        "Supermarket participation of a东村 is 29.40 % of its residents; the call requires at least 30 %."
    )
    assert refused.value.code == "below_threshold"
    assert not Application.objects.exists()


def test_applying_after_the_deadline_is_refused(programme):
    p = programme
    call = p.call()
    with time_machine.travel(AFTER_APPLICATIONS, tick=False), pytest.raises(DomainError) as refused:
        services.apply(
            actor=p.world.a.admin, call=call, village=p.villages["a东村"], form=form_file(), statement=""
        )
    assert refused.value.message == "The applications closed on 2026-08-05; it is too late to apply."
    assert not Application.objects.exists()


def test_a_village_applies_once_per_call(programme):
    p = programme
    call = p.call()
    p.apply(call, "a东村")
    with pytest.raises(DomainError, match="already applied"):
        p.apply(call, "a东村")


def test_the_applications_cannot_close_before_their_last_day(programme):
    p = programme
    call = p.call()
    with (
        time_machine.travel(APPLY_DAY, tick=False),
        pytest.raises(DomainError, match="Villages may apply until"),
    ):
        services.move_call(actor=p.city_officer, call=call, move="close_applications")


def test_an_illegal_move_says_the_state_and_who_moved_last(programme):
    p = programme
    call = p.call()
    application = p.forward(p.apply(call, "a东村"))
    with pytest.raises(DomainError) as refused:
        services.move_application(actor=p.world.a.admin, application=application, move="publish")
    assert "This is Forwarded by the township (moved by a-township_admin at" in refused.value.message
    assert refused.value.code == "illegal_move"


def test_the_form_is_checked_by_content_and_size(programme, settings):
    p = programme
    call = p.call()
    village = p.villages["a东村"]
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(DomainError, match="is not a PDF, a Word document"):
            services.apply(
                actor=p.world.a.admin,
                call=call,
                village=village,
                form=form_file("申报表.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
            )
        settings.JIFEN_DEMONSTRATION_FORM_MAX_BYTES = 20
        with pytest.raises(DomainError, match="the application form may be at most"):
            services.apply(actor=p.world.a.admin, call=call, village=village, form=form_file())
    assert not Application.objects.exists()


def test_a_township_officer_cannot_review_another_townships_application(programme):
    p = programme
    call = p.call()
    application = p.apply(call, "b东村")
    with time_machine.travel(APPLY_DAY, tick=False), pytest.raises(Http404):
        services.move_application(actor=p.world.a.admin, application=application, move="publish")
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED


def test_levels_act_only_on_their_own_step(programme):
    p = programme
    call = p.call()
    application = p.apply(call, "a东村")
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(PermissionDenied):  # a clerk applies but does not review for the township
            services.move_application(actor=p.world.a.clerk, application=application, move="publish")
        with pytest.raises(PermissionDenied):  # the supervisor reads only
            services.move_application(actor=p.world.a.supervisor, application=application, move="publish")
        with pytest.raises(Http404):  # another county's officer does not see it
            services.move_application(actor=p.west_officer, application=application, move="publish")
        p.forward(application)
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(actor=p.city_officer, call=call, move="close_applications")
        with pytest.raises(PermissionDenied):  # the city sees it but pre-selection is the county's
            services.move_application(actor=p.city_officer, application=application, move="preselect")
        with pytest.raises(PermissionDenied):  # a county viewer reads only
            services.move_application(actor=p.east_viewer, application=application, move="preselect")
        with pytest.raises(Http404):
            services.move_application(actor=p.west_officer, application=application, move="preselect")
        with pytest.raises(PermissionDenied):  # a county officer does not move the city's call
            services.move_call(actor=p.east_officer, call=call, move="start_selection")


def test_a_clerk_applies_only_for_their_own_villages(programme):
    p = programme
    call = p.call()
    p.apply(call, "a东村", user=p.world.a.clerk)  # the clerk's village
    with pytest.raises(Http404):
        p.apply(call, "a西村", user=p.world.a.clerk)


def test_a_township_outside_the_calls_region_cannot_apply(programme, world):
    p = programme
    call = p.call(region=p.west)
    with pytest.raises(Http404):
        p.apply(call, "a东村")


def test_the_awards_stay_within_the_budget(programme):
    p = programme
    call = p.call(region=p.east, villages_wanted=2, budget=D("100000"))
    first, second = (p.forward(p.apply(call, name)) for name in ["a东村", "a西村"])
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(actor=p.east_officer, call=call, move="close_applications")
        for application in (first, second):
            services.move_application(
                actor=p.east_officer, application=application, move="select", score=D("80")
            )
        services.move_call(actor=p.east_officer, call=call, move="publish_result")
        services.move_application(actor=p.east_officer, application=first, move="award", amount=D("70000"))
        with pytest.raises(DomainError) as refused:
            services.move_application(
                actor=p.east_officer, application=second, move="award", amount=D("40000")
            )
    assert "the call's budget is 100000.00 yuan (30000.00 left)" in refused.value.message
    assert Application.objects.get(pk=second.pk).state == ApplicationState.SELECTED


def test_the_figures_are_taken_when_applying_and_kept(programme, world):
    """a东村: households A-001, two more taking part, one elderly opted in, one opted out, one not eligible
    → eligible 5 (all but the not-eligible one), taking part 4 → 80.0 %.
    Rounds of 2026 (grace 15 days, applying on 2026-07-25): Q1 approved 2026-04-10 (due 04-15: on time),
    Q2 approved 2026-07-20 (due 07-15: late), Q3 in draft (due 10-15: not yet counted), a 2025 round (other year)
    → 2 counted, 1 on time. Objections on Q1: upheld, dismissed, open → 2 of 3 resolved."""
    p = programme
    a = world.a
    village = p.villages["a东村"]
    area = a.areas[0]
    for participation in (
        Participation.TAKING_PART,
        Participation.TAKING_PART,
        Participation.ELDERLY_OPTED_IN,
        Participation.OPTED_OUT,
        Participation.NOT_ELIGIBLE,
    ):
        HouseholdFactory(area=area, participation=participation)
    scheme = scoring.create_scheme(actor=a.admin, township=a.township, name="乡村治理", year=2026)
    old = scoring.create_scheme(actor=a.admin, township=a.township, name="乡村治理", year=2025)
    q1 = make_round(a.township, village, scheme, RoundKind.QUARTERLY, "2026-Q1", state="approved",
                    approved_at=local(2026, 4, 10), user=a.admin)  # fmt: skip
    make_round(a.township, village, scheme, RoundKind.QUARTERLY, "2026-Q2", state="approved",
               approved_at=local(2026, 7, 20), user=a.admin)  # fmt: skip
    make_round(a.township, village, scheme, RoundKind.QUARTERLY, "2026-Q3", user=a.admin)
    make_round(a.township, village, old, RoundKind.ANNUAL, "2025", user=a.admin)
    for state in (ObjectionState.UPHELD, ObjectionState.DISMISSED, ObjectionState.OPEN):
        Objection.objects.create(
            township=a.township, round=q1, household=a.households[0], objector_name="王五", reason="分数不对",
            notice_number=1, state=state,
        )  # fmt: skip
    p.shares[village.pk] = ShopParticipation(D("41.7"), D("33.25"))

    application = p.apply(p.call(), "a东村")

    snapshot = (
        application.households_eligible,
        application.households_taking_part,
        application.participation_share,
        application.shop_household_share,
        application.shop_resident_share,
        application.rounds_counted,
        application.rounds_on_time,
        application.objections_total,
        application.objections_resolved,
    )
    assert snapshot == (5, 4, D("80.0"), D("41.70"), D("33.25"), 2, 1, 3, 2)

    # Later changes do not alter what was applied with.
    HouseholdFactory(area=area, participation=Participation.OPTED_OUT)
    Objection.objects.filter(state=ObjectionState.OPEN).update(state=ObjectionState.DISMISSED)
    p.shares[village.pk] = ShopParticipation(D("10"), D("10"))
    fresh = Application.objects.get(pk=application.pk)
    assert (fresh.households_eligible, fresh.objections_resolved, fresh.shop_resident_share) == (
        5,
        2,
        D("33.25"),
    )


def test_period_end_is_the_last_day_of_the_quarter_or_year():
    import datetime

    assert selectors.period_end(RoundKind.QUARTERLY, "2026-Q1") == datetime.date(2026, 3, 31)
    assert selectors.period_end(RoundKind.QUARTERLY, "2026-Q4") == datetime.date(2026, 12, 31)
    assert selectors.period_end(RoundKind.ANNUAL, "2026") == datetime.date(2026, 12, 31)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_counties_officers_at_once_never_exceed_the_limit(world, shares):
    """Two officers of one county pre-select the last place at the same moment: one wins, one is told why."""
    from tests.demonstration.conftest import Programme

    p = Programme(world, shares)
    second_officer = UserFactory(username="east-officer-2")
    from demonstration.models import RegionMembership, RegionRole

    RegionMembership.objects.create(user=second_officer, region=p.east, role=RegionRole.OFFICER)
    call = p.call(preselect_limit=1)
    first, second = (p.forward(p.apply(call, name)) for name in ["a东村", "c北村"])
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(actor=p.city_officer, call=call, move="close_applications")
    outcomes = []
    barrier = threading.Barrier(2)

    def preselect(user, application):
        try:
            barrier.wait()
            services.move_application(actor=user, application=application, move="preselect")
            outcomes.append("ok")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=preselect, args=(p.east_officer, first)),
        threading.Thread(target=preselect, args=(second_officer, second)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["county_limit", "ok"]
    assert Application.objects.filter(state=ApplicationState.PRESELECTED).count() == 1


def test_supermarket_participation_comes_from_the_rewards_supermarket(programme, world, monkeypatch):
    """The real `rewards.selectors.shop_participation`: in a西村, four households take part (A-002 with one
    resident, three more with 2, 1 and 2 residents: 6 residents); the households with 2 and 2 residents redeem
    → 2 of 4 households (50.0 %), 4 of 6 residents (66.7 %). A household that opted out is counted in neither."""
    from rewards import services as rewards

    monkeypatch.undo()  # no stand-in: the rewards app's own figures
    p = programme
    a = world.a
    village, area = a.villages[1], a.areas[1]
    h3, h4, h5 = (HouseholdFactory(area=area) for _ in range(3))
    opted_out = HouseholdFactory(area=area, participation=Participation.OPTED_OUT)
    for household, residents in ((h3, 2), (h4, 1), (h5, 2), (opted_out, 3)):
        for n in range(residents):
            ResidentFactory(household=household, is_head=n == 0)
    with time_machine.travel(APPLY_DAY, tick=False):
        scheme = scoring.create_scheme(actor=a.admin, township=a.township, name="乡村治理", year=2026)
        env = scoring.add_category(
            actor=a.admin, scheme=scheme, name="环境整治", base_score=D("40"), cadence="quarterly"
        )
        clean = scoring.add_item(actor=a.admin, category=env, name="庭院整洁", kind="bonus", points=D("2"))
        scoring.activate_scheme(actor=a.admin, scheme=scheme)
        entries = [
            scoring.record_entry(
                actor=a.admin, household=h, item=clean, occurred_on=APPLY_DAY.date(), reason="整洁"
            )
            for h in (h3, h5)
        ]
        approve_through_notice(entries, actor=a.admin)
        shop = rewards.open_shop(actor=a.admin, village=village)
        soap = rewards.add_product(actor=a.admin, shop=shop, name="肥皂", points=D("1"), cost=D("0"), stock=5)
        for household in (h3, h5):
            rewards.redeem(actor=a.admin, household=household, shop=shop, items={soap.pk: 1})

    application = p.apply(p.call(), "a西村")

    assert (application.shop_household_share, application.shop_resident_share) == (D("50.00"), D("66.70"))
    assert (application.households_taking_part, application.households_eligible) == (4, 5)


def test_a_village_withdraws_and_applies_again_and_a_refusal_needs_a_reason(programme):
    p = programme
    call = p.call()
    first = p.apply(call, "a东村")
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(DomainError, match="Say why"):
            services.move_application(actor=p.world.a.clerk, application=first, move="withdraw")
        services.move_application(
            actor=p.world.a.clerk, application=first, move="withdraw", comment="材料不全"
        )
    second = p.apply(call, "a东村")  # a withdrawn application does not block a new one
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(DomainError, match="Say why"):
            services.move_application(actor=p.world.a.admin, application=second, move="reject")
        services.move_application(
            actor=p.world.a.admin, application=second, move="reject", comment="兑换记录不实"
        )
    states = list(Application.objects.order_by("pk").values_list("state", flat=True))
    assert states == [ApplicationState.WITHDRAWN, ApplicationState.REJECTED]
    assert ApplicationMove.objects.get(application=second, move="reject").comment == "兑换记录不实"


def test_a_county_belongs_to_a_city_and_a_township_to_a_county(programme):
    from django.core.exceptions import ValidationError

    from demonstration.models import Region, RegionKind, RegionTownship
    from tests.factories import TownshipFactory

    p = programme
    with pytest.raises(ValidationError, match="A county belongs to a city"):
        Region(kind=RegionKind.COUNTY, slug="x", name="X县", parent=p.east).full_clean()
    with pytest.raises(ValidationError, match="A township belongs to a county"):
        RegionTownship(county=p.city, township=TownshipFactory()).full_clean()


def _zip(names):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_a_word_form_is_accepted_by_content_and_a_macro_document_is_not(programme):
    p = programme
    call = p.call()
    docx = _zip(["[Content_Types].xml", "word/document.xml"])
    docm = _zip(["[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"])
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(DomainError, match="is not a PDF, a Word document"):
            services.apply(
                actor=p.world.a.admin, call=call, village=p.villages["a东村"], form=form_file("表.docx", docm)
            )
        application = services.apply(
            actor=p.world.a.admin, call=call, village=p.villages["a东村"], form=form_file("表.pdf", docx)
        )
    assert application.form_content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert application.form_name == "表.docx"  # named for what it is, not what it was called
