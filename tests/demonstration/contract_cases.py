"""The demonstration programme's services, each called by a member without the right (tests/contract.py).

The township's steps are refused to township members without the level's `Action`, the county's and the city's
to region members without the `RegionAction` for the region whose step it is (`core.permissions`).
"""

from decimal import Decimal

from django.utils import timezone

from demonstration import services
from demonstration.models import Application, ApplicationMove, ApplicationState
from tests.contract import member
from tests.demonstration.conftest import Programme, form_file, region_member


def _application(
    p: Programme, village_name: str, state: str = ApplicationState.SUBMITTED, award: Decimal | None = None
) -> Application:
    """An application of the city's call, written directly (its figures do not matter to a refusal); an awarded one
    carries `award`."""
    village = p.villages[village_name]
    application = Application.objects.create(
        township=village.township,
        call=p.call(),
        village=village,
        state=state,
        award=award,
        form_name="申报表.pdf",
        form_content_type="application/pdf",
        form_size=9,
        figures_at=timezone.now(),
        households_eligible=1,
        households_taking_part=1,
        shop_household_share=40,
        shop_resident_share=40,
        rounds_counted=0,
        rounds_on_time=0,
        objections_total=0,
        objections_resolved=0,
        applied_by=p.admin_of[village.township_id],
    )
    ApplicationMove.objects.create(
        township=village.township,
        application=application,
        from_state="",
        to_state=state,
        move="apply",
        actor=application.applied_by,
    )
    return application


def create_call(world):
    p = Programme(world, {})
    return lambda: services.create_call(  # a county's viewer reads only
        membership=region_member(p.east_viewer),
        region=p.east,
        title="示范村",
        year=2026,
        budget=100000,
        villages_wanted=1,
        applications_open_on=timezone.localdate(),
        applications_close_on=timezone.localdate(),
        preselection_ends_on=timezone.localdate(),
        selection_ends_on=timezone.localdate(),
    )


def move_call(world):
    p = Programme(world, {})
    call = p.call()  # the city's call: its counties' officers do not move it
    return lambda: services.move_call(
        membership=region_member(p.east_officer), call=call, move="close_applications"
    )


def apply(world):
    p = Programme(world, {})
    call = p.call()
    return lambda: services.apply(  # the supervisor reads only
        membership=member(world.a.supervisor), call=call, village=world.a.villages[0], form=form_file()
    )


def move_application(world):
    p = Programme(world, {})
    application = _application(p, "a东村")
    return lambda: services.move_application(  # a clerk applies but does not publish for the township
        membership=member(world.a.clerk), application=application, move="publish"
    )


def decide_application(world):
    p = Programme(world, {})
    application = _application(p, "a东村", ApplicationState.FORWARDED)
    return lambda: services.decide_application(  # pre-selection is the county's, not the city's
        membership=region_member(p.city_officer), application=application, move="preselect"
    )


def _notices(p: Programme) -> tuple:
    """An application on the township's notice with an objection, and a county call's result on notice with an
    objection to that village (written directly: a refusal does not depend on how they came)."""
    import datetime
    import secrets

    from demonstration.models import ApplicationNotice, ApplicationObjection, ResultNotice, ResultObjection

    application = _application(p, "a东村", ApplicationState.ON_NOTICE)
    now = timezone.now()
    period = {"opened_at": now, "ends_at": now + datetime.timedelta(days=4), "days": 3}
    notice = ApplicationNotice.objects.create(
        township=application.township,
        application=application,
        token=secrets.token_urlsafe(32),
        posted_by=application.applied_by,
        **period,
    )
    objection = ApplicationObjection.objects.create(
        township=application.township, notice=notice, objector_name="张三", reason="数字不实"
    )
    result = ResultNotice.objects.create(
        call=application.call, token=secrets.token_urlsafe(32), posted_by=application.applied_by, **period
    )
    result_objection = ResultObjection.objects.create(notice=result, objector_name="李四", reason="评分不公")
    return objection, result_objection


def resolve_application_objection(world):
    p = Programme(world, {})
    objection, _result = _notices(p)
    return lambda: services.resolve_application_objection(  # the supervisor reads only
        membership=member(world.a.supervisor), objection=objection, upheld=False, outcome="不成立"
    )


def resolve_result_objection(world):
    p = Programme(world, {})
    _objection, objection = _notices(p)
    return lambda: services.resolve_result_objection(  # the city's call: a county's officer does not resolve
        membership=region_member(p.east_officer), objection=objection, upheld=False, outcome="不成立"
    )


def enter_paper_answer(world):
    answers = dict.fromkeys(("knows_scheme", "knows_items", "knows_notices", "earned_points", "used_shop"), 1)
    answers.update(dict.fromkeys(("joins_activities", "fair_scoring", "shop_goods", "overall"), 3))
    return lambda: services.enter_paper_answer(  # a panel member inspects; the roster's keepers enter paper
        membership=member(world.a.panel), household=world.a.households[0], answers=answers
    )


def _awarded(p: Programme) -> Application:
    return _application(p, "a东村", ApplicationState.AWARDED, award=Decimal("50000"))


def record_spending(world):
    p = Programme(world, {})
    application = _awarded(p)
    return lambda: services.record_spending(  # the supervisor reads only
        membership=member(world.a.supervisor),
        application=application,
        spent_on=timezone.localdate(),
        purpose="shop_goods",
        amount=Decimal("100"),
        supplier="超市",
        invoice=form_file("发票.pdf"),
    )


def reverse_spending(world):
    p = Programme(world, {})
    application = _awarded(p)
    spending = services.record_spending(
        membership=member(world.a.admin),
        application=application,
        spent_on=timezone.localdate(),
        purpose="shop_goods",
        amount=Decimal("100"),
        supplier="超市",
        invoice=form_file("发票.pdf"),
    )
    return lambda: services.reverse_spending(  # a panel member does not keep the village's papers
        membership=member(world.a.panel), spending=spending, reason="录错"
    )


def record_check(world):
    p = Programme(world, {})
    application = _awarded(p)
    return lambda: services.record_check(  # a county's viewer reads only
        membership=region_member(p.east_viewer),
        application=application,
        checked_on=timezone.localdate(),
        finding="none",
    )


CASES = {
    "demonstration.services.survey.enter_paper_answer": enter_paper_answer,
    "demonstration.services.calls.create_call": create_call,
    "demonstration.services.calls.move_call": move_call,
    "demonstration.services.applications.apply": apply,
    "demonstration.services.applications.move_application": move_application,
    "demonstration.services.applications.decide_application": decide_application,
    "demonstration.services.notices.resolve_application_objection": resolve_application_objection,
    "demonstration.services.notices.resolve_result_objection": resolve_result_objection,
    "demonstration.services.award.record_spending": record_spending,
    "demonstration.services.award.reverse_spending": reverse_spending,
    "demonstration.services.award.record_check": record_check,
}
EXEMPT: dict[str, str] = {
    "demonstration.services.notices.file_application_objection": "the public page of the township's notice: "
    "anyone who reads it (by its token) may object while it runs; no member acts",
    "demonstration.services.notices.file_result_objection": "the public page of the result's notice: anyone who "
    "reads it (by its token) may object while it runs; no member acts",
    "demonstration.services.survey.answer_survey": "the household's own survey page: no member acts; the page "
    "opens it only for a live passbook code whose second factor was answered, and the code names the household",
    "demonstration.services.survey.snapshot_evaluation": "called by apply inside its transaction, after apply "
    "checked the member's right (its case above)",
}
