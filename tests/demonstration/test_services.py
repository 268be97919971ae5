"""The demonstration-village programme end to end, its limits and refusals, and the figures' snapshot."""

import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import translation

from core.errors import DomainError
from demonstration import services
from demonstration.models import Application, ApplicationMove, ApplicationState, CallMove, CallState
from tests.contract import member
from tests.demonstration.conftest import (
    AFTER_APPLICATIONS,
    APPLY_DAY,
    RESULT_NOTICE_OVER,
    SELECTION_DAY,
    ShopParticipation,
    form_file,
    region_member,
)
from tests.factories import UserFactory

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
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")
        for name in ["a东村", "a西村", "c北村"]:
            services.decide_application(
                membership=region_member(p.east_officer), application=applications[name], move="preselect"
            )
        # The county's fourth pre-selection is refused: 3 per county.
        with pytest.raises(DomainError, match="东县 has already pre-selected 3 villages for this call"):
            services.decide_application(
                membership=region_member(p.east_officer), application=applications["c南村"], move="preselect"
            )
        services.decide_application(
            membership=region_member(p.east_officer),
            application=applications["c南村"],
            move="not_preselect",
            comment="名额已满",
        )
        # The other county still has its own three places.
        services.decide_application(
            membership=region_member(p.west_officer), application=applications["b东村"], move="preselect"
        )
        services.move_call(membership=region_member(p.city_officer), call=call, move="start_selection")

    scores = {"a东村": D("91.5"), "a西村": D("78"), "c北村": D("88"), "b东村": D("85")}
    with time_machine.travel(SELECTION_DAY, tick=False):
        for name, score in scores.items():
            services.decide_application(
                membership=region_member(p.city_officer),
                application=applications[name],
                move="score",
                score=score,
            )
        services.decide_application(
            membership=region_member(p.city_officer), application=applications["a东村"], move="select"
        )
        services.decide_application(
            membership=region_member(p.city_officer), application=applications["c北村"], move="select"
        )
        with pytest.raises(DomainError, match="2 villages are already selected; the call selects 2"):
            services.decide_application(
                membership=region_member(p.city_officer), application=applications["b东村"], move="select"
            )
        for name in ["a西村", "b东村"]:
            services.decide_application(
                membership=region_member(p.city_officer),
                application=applications[name],
                move="not_select",
                comment="得分较低",
            )
        services.move_call(membership=region_member(p.city_officer), call=call, move="publish_result")
    with time_machine.travel(RESULT_NOTICE_OVER, tick=False):  # paid once the result's notice has ended
        services.decide_application(
            membership=region_member(p.city_officer),
            application=applications["a东村"],
            move="award",
            amount=D("300000"),
        )
        with pytest.raises(DomainError, match="1 selected villages have no award recorded yet"):
            services.move_call(membership=region_member(p.city_officer), call=call, move="close")
        services.decide_application(
            membership=region_member(p.city_officer),
            application=applications["c北村"],
            move="award",
            amount=D("200000"),
        )
        services.move_call(membership=region_member(p.city_officer), call=call, move="close")

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
        call = services.move_call(
            membership=region_member(p.east_officer), call=call, move="close_applications"
        )
        assert call.state == CallState.SELECTION
        with pytest.raises(DomainError, match="not possible now"):
            services.decide_application(
                membership=region_member(p.east_officer), application=application, move="preselect"
            )
        services.decide_application(
            membership=region_member(p.east_officer), application=application, move="select", score=D("90")
        )
        services.move_call(membership=region_member(p.east_officer), call=call, move="publish_result")
    with time_machine.travel(RESULT_NOTICE_OVER, tick=False):
        services.decide_application(
            membership=region_member(p.east_officer),
            application=application,
            move="award",
            amount=D("100000"),
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
            membership=member(p.world.a.admin),
            call=call,
            village=p.villages["a东村"],
            form=form_file(),
            statement="",
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
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")


def test_an_illegal_move_says_the_state_and_who_moved_last(programme):
    p = programme
    call = p.call()
    application = p.forward(p.apply(call, "a东村"))
    with pytest.raises(DomainError) as refused:
        services.move_application(membership=member(p.world.a.admin), application=application, move="publish")
    assert "This is Forwarded by the township (moved by a-township_admin at" in refused.value.message
    assert refused.value.code == "illegal_move"


def test_the_form_is_checked_by_content_and_size(programme, settings):
    p = programme
    call = p.call()
    village = p.villages["a东村"]
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(DomainError, match="is not a PDF, a Word document"):
            services.apply(
                membership=member(p.world.a.admin),
                call=call,
                village=village,
                form=form_file("申报表.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"),
            )
        settings.JIFEN_DEMONSTRATION_FORM_MAX_BYTES = 20
        with pytest.raises(DomainError, match="the application form may be at most"):
            services.apply(membership=member(p.world.a.admin), call=call, village=village, form=form_file())
    assert not Application.objects.exists()


def test_a_township_officer_cannot_review_another_townships_application(programme):
    p = programme
    call = p.call()
    application = p.apply(call, "b东村")
    with time_machine.travel(APPLY_DAY, tick=False), pytest.raises(PermissionDenied):
        services.move_application(membership=member(p.world.a.admin), application=application, move="publish")
    assert Application.objects.get(pk=application.pk).state == ApplicationState.SUBMITTED


def test_levels_act_only_on_their_own_step(programme):
    p = programme
    call = p.call()
    application = p.apply(call, "a东村")
    east, west, city = (region_member(u) for u in (p.east_officer, p.west_officer, p.city_officer))
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(PermissionDenied):  # a clerk applies but does not review for the township
            services.move_application(
                membership=member(p.world.a.clerk), application=application, move="publish"
            )
        with pytest.raises(PermissionDenied):  # the supervisor reads only
            services.move_application(
                membership=member(p.world.a.supervisor), application=application, move="publish"
            )
        with pytest.raises(PermissionDenied):  # the township's step is not a county's, even its own county's
            services.decide_application(membership=east, application=application, move="publish")
        p.forward(application)
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(membership=city, call=call, move="close_applications")
        with pytest.raises(PermissionDenied):  # the city sees it but pre-selection is the county's
            services.decide_application(membership=city, application=application, move="preselect")
        with pytest.raises(PermissionDenied):  # a county viewer reads only
            services.decide_application(
                membership=region_member(p.east_viewer), application=application, move="preselect"
            )
        with pytest.raises(PermissionDenied):  # another county's officer
            services.decide_application(membership=west, application=application, move="preselect")
        with pytest.raises(PermissionDenied):  # the county's step is not the township office's
            services.move_application(
                membership=member(p.world.a.admin), application=application, move="preselect"
            )
        with pytest.raises(PermissionDenied):  # a county officer does not move the city's call
            services.move_call(membership=east, call=call, move="start_selection")
    assert Application.objects.get(pk=application.pk).state == ApplicationState.FORWARDED


def test_a_clerk_applies_only_for_their_own_villages(programme):
    p = programme
    call = p.call()
    p.apply(call, "a东村", user=p.world.a.clerk)  # the clerk's village
    with pytest.raises(PermissionDenied):
        p.apply(call, "a西村", user=p.world.a.clerk)


def test_a_township_outside_the_calls_region_cannot_apply(programme, world):
    p = programme
    call = p.call(region=p.west)
    with pytest.raises(PermissionDenied):
        p.apply(call, "a东村")
    assert not Application.objects.exists()


def test_the_awards_stay_within_the_budget(programme):
    p = programme
    call = p.call(region=p.east, villages_wanted=2, budget=D("100000"))
    first, second = (p.forward(p.apply(call, name)) for name in ["a东村", "a西村"])
    with time_machine.travel(AFTER_APPLICATIONS, tick=False):
        services.move_call(membership=region_member(p.east_officer), call=call, move="close_applications")
        for application in (first, second):
            services.decide_application(
                membership=region_member(p.east_officer),
                application=application,
                move="select",
                score=D("80"),
            )
        services.move_call(membership=region_member(p.east_officer), call=call, move="publish_result")
    with time_machine.travel(RESULT_NOTICE_OVER, tick=False):
        services.decide_application(
            membership=region_member(p.east_officer), application=first, move="award", amount=D("70000")
        )
        with pytest.raises(DomainError) as refused:
            services.decide_application(
                membership=region_member(p.east_officer), application=second, move="award", amount=D("40000")
            )
    assert "the call's budget is 100000.00 yuan (30000.00 left)" in refused.value.message
    assert Application.objects.get(pk=second.pk).state == ApplicationState.SELECTED


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
        services.move_call(membership=region_member(p.city_officer), call=call, move="close_applications")
    outcomes = []
    barrier = threading.Barrier(2)

    def preselect(user, application):
        try:
            barrier.wait()
            services.decide_application(
                membership=region_member(user), application=application, move="preselect"
            )
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


def test_a_village_withdraws_and_applies_again_and_a_refusal_needs_a_reason(programme):
    p = programme
    call = p.call()
    first = p.apply(call, "a东村")
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(DomainError, match="Say why"):
            services.move_application(membership=member(p.world.a.clerk), application=first, move="withdraw")
        services.move_application(
            membership=member(p.world.a.clerk), application=first, move="withdraw", comment="材料不全"
        )
    second = p.apply(call, "a东村")  # a withdrawn application does not block a new one
    with time_machine.travel(APPLY_DAY, tick=False):
        with pytest.raises(DomainError, match="Say why"):
            services.move_application(membership=member(p.world.a.admin), application=second, move="reject")
        services.move_application(
            membership=member(p.world.a.admin), application=second, move="reject", comment="兑换记录不实"
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
                membership=member(p.world.a.admin),
                call=call,
                village=p.villages["a东村"],
                form=form_file("表.docx", docm),
            )
        application = services.apply(
            membership=member(p.world.a.admin),
            call=call,
            village=p.villages["a东村"],
            form=form_file("表.pdf", docx),
        )
    assert application.form_content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert application.form_name == "表.docx"  # named for what it is, not what it was called
