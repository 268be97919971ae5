"""The programme's notices (issue 20.1): the township posts each application and forwards it only after the notice
has ended with no objection open or upheld; the region posts its result and pays an award only after that notice
has ended with none against the village; objections come through public pages while a notice runs, and are
resolved in writing (who, when, why) on the staff pages; the sheets print with the QR and the days."""

import datetime
import subprocess
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from demonstration import services
from demonstration.models import (
    Application,
    ApplicationMove,
    ApplicationNotice,
    ApplicationObjection,
    ApplicationState,
    CallMove,
    ResultNotice,
    ResultObjection,
)
from tests.contract import member
from tests.demonstration.conftest import (
    AFTER_APPLICATIONS,
    APPLICATION_NOTICE_OVER,
    APPLY_DAY,
    RESULT_NOTICE_OVER,
    region_member,
)

pytestmark = pytest.mark.django_db
D = Decimal
DURING_NOTICE = APPLY_DAY + datetime.timedelta(days=1)  # 26 July: the application's notice runs
RESULT_DAY = AFTER_APPLICATIONS  # 6 August, 18:00 in Shanghai: the county's result is posted
DURING_RESULT = RESULT_DAY + datetime.timedelta(days=2)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def publish(p, application):
    with time_machine.travel(APPLY_DAY, tick=False):
        return services.move_application(
            membership=member(p.admin_of[application.township_id]), application=application, move="publish"
        )


def forward(p, application, when=APPLICATION_NOTICE_OVER):
    with time_machine.travel(when, tick=False):
        return services.move_application(
            membership=member(p.admin_of[application.township_id]), application=application, move="forward"
        )


def object_to(notice, reason="申报数字与实际不符", **kwargs):
    return services.file_application_objection(
        notice=notice, objector_name="王五", objector_phone="13800138000", reason=reason, **kwargs
    )


def county_result(p, names=("a东村", "a西村")):
    """东县's own call (no pre-selection): the villages forwarded, selected with a score, the result posted."""
    call = p.call(region=p.east, villages_wanted=2, budget=D("100000"))
    applications = [p.forward(p.apply(call, name)) for name in names]
    officer = region_member(p.east_officer)
    with time_machine.travel(RESULT_DAY, tick=False):
        services.move_call(membership=officer, call=call, move="close_applications")
        for application, score in zip(applications, (D("92"), D("85")), strict=False):
            services.decide_application(
                membership=officer, application=application, move="select", score=score
            )
        services.move_call(membership=officer, call=call, move="publish_result")
    return call, applications


def award(p, application, amount="50000"):
    return services.decide_application(
        membership=region_member(p.east_officer), application=application, move="award", amount=D(amount)
    )


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


# The township's notice -----------------------------------------------------------------------------------------


def test_an_application_is_forwarded_only_after_its_notice_ends_and_its_objections_are_resolved(
    programme, world
):
    p = programme
    application = publish(p, p.apply(p.call(notice_days=4), "a东村"))
    notice = ApplicationNotice.objects.get(application=application)
    # Posted 25 July 18:00 in Shanghai, four whole days: 26 to 29 July, ending at 30 July 00:00 (29 July 16:00 UTC).
    assert notice.days == 4
    assert notice.ends_at == datetime.datetime(2026, 7, 29, 16, 0, tzinfo=datetime.UTC)
    assert notice.local_days("Asia/Shanghai") == (datetime.date(2026, 7, 25), datetime.date(2026, 7, 29))

    with time_machine.travel(DURING_NOTICE, tick=False):
        assert notice.days_left() == 4
        with pytest.raises(DomainError, match="on notice until 2026-07-30 00:00"):
            forward(p, application, when=DURING_NOTICE)
        objection = object_to(notice)
    assert (objection.objector_name, objection.objector_phone) == ("王五", "13800138000")

    after = datetime.datetime(2026, 7, 30, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(after, tick=False):
        with pytest.raises(DomainError, match="The notice has ended: objections are no longer accepted"):
            object_to(notice, reason="晚到的异议")
        with pytest.raises(DomainError, match="1 objections to the notice are not resolved yet"):
            forward(p, application, when=after)
        with pytest.raises(PermissionDenied):  # a clerk files for villagers, the township office resolves
            services.resolve_application_objection(
                membership=member(world.a.clerk), objection=objection, upheld=False, outcome="不成立"
            )
        with pytest.raises(DomainError, match="Write the outcome"):
            services.resolve_application_objection(
                membership=member(world.a.admin), objection=objection, upheld=False, outcome="  "
            )
        services.resolve_application_objection(
            membership=member(world.a.admin), objection=objection, upheld=False, outcome="经核实，数字无误"
        )
        forwarded = forward(p, application, when=after)
    assert ApplicationObjection.objects.count() == 1  # the late one was not kept
    objection.refresh_from_db()
    assert (objection.state, objection.resolved_by, objection.outcome) == (
        "dismissed",
        world.a.admin,
        "经核实，数字无误",
    )
    assert objection.resolved_at == after
    assert forwarded.state == ApplicationState.FORWARDED
    assert list(
        ApplicationMove.objects.filter(application=application).values_list("move", "actor__username")
    ) == [
        ("apply", "a-township_admin"),
        ("publish", "a-township_admin"),
        ("resolve_objection", "a-township_admin"),
        ("forward", "a-township_admin"),
    ]
    assert (
        "Objection of 王五 Dismissed: 经核实，数字无误"
        in ApplicationMove.objects.get(move="resolve_objection").comment
    )


def test_an_upheld_objection_keeps_the_application_from_being_forwarded(programme, world):
    p = programme
    application = publish(p, p.apply(p.call(), "a东村"))
    with time_machine.travel(DURING_NOTICE, tick=False):
        objection = object_to(application.notice)
        services.resolve_application_objection(
            membership=member(world.a.admin), objection=objection, upheld=True, outcome="兑换人数有误"
        )
    with pytest.raises(DomainError, match="An objection to the notice was upheld"):
        forward(p, application)
    assert Application.objects.get(pk=application.pk).state == ApplicationState.ON_NOTICE
    with time_machine.travel(APPLICATION_NOTICE_OVER, tick=False):
        services.move_application(
            membership=member(world.a.admin), application=application, move="reject", comment="异议成立"
        )
    assert Application.objects.get(pk=application.pk).state == ApplicationState.REJECTED


# The region's notice of its result -----------------------------------------------------------------------------


def test_the_award_is_paid_only_after_the_result_notice_ends_without_an_upheld_objection(programme):
    p = programme
    call, (first, second) = county_result(p)
    elsewhere = p.apply(p.call(), "c北村")  # the city's call: not on this result
    notice = ResultNotice.objects.get(call=call)
    assert notice.days == 3 and notice.posted_by == p.east_officer

    with time_machine.travel(DURING_RESULT, tick=False):
        with pytest.raises(DomainError, match="The result is on notice until 2026-08-10 00:00"):
            award(p, first)
        against_first = services.file_result_objection(
            notice=notice, application=first, objector_name="赵六", reason="评分过高"
        )
        against_second = services.file_result_objection(
            notice=notice, application=second, objector_name="钱七", reason="材料不全"
        )
        with pytest.raises(DomainError, match="Choose one of the villages on the notice"):
            services.file_result_objection(
                notice=notice, application=elsewhere, objector_name="孙八", reason="x"
            )
    assert Application.objects.get(pk=first.pk).award is None  # refused: nothing written

    with time_machine.travel(RESULT_NOTICE_OVER, tick=False):
        with pytest.raises(DomainError, match="The notice has ended: objections are no longer accepted"):
            services.file_result_objection(notice=notice, objector_name="周九", reason="晚了")
        with pytest.raises(DomainError, match="1 objections to the notice are not resolved yet"):
            award(p, first)
        with pytest.raises(PermissionDenied):  # another county's officer
            services.resolve_result_objection(
                membership=region_member(p.west_officer), objection=against_first, upheld=True, outcome="成立"
            )
        services.resolve_result_objection(
            membership=region_member(p.east_officer),
            objection=against_first,
            upheld=True,
            outcome="复核后扣分",
        )
        services.resolve_result_objection(
            membership=region_member(p.east_officer),
            objection=against_second,
            upheld=False,
            outcome="材料已补齐",
        )
        with pytest.raises(DomainError, match="An objection to the notice was upheld"):
            award(p, first)
        with pytest.raises(DomainError, match="Only an objection to the result upheld against this village"):
            services.decide_application(
                membership=region_member(p.east_officer), application=second, move="deselect", comment="x"
            )
        award(p, second)
        # The upheld objection takes the first village off the result (with the reason), and the call can close.
        services.decide_application(
            membership=region_member(p.east_officer), application=first, move="deselect", comment="异议成立"
        )
        services.move_call(membership=region_member(p.east_officer), call=call, move="close")
    states = dict(Application.objects.filter(call=call).values_list("village__name", "state"))
    assert states == {
        "a东村": ApplicationState.NOT_SELECTED,
        "a西村": ApplicationState.AWARDED,
    }
    assert ResultObjection.objects.count() == 2
    assert list(
        CallMove.objects.filter(call=call, move="resolve_objection").values_list("actor__username", flat=True)
    ) == [
        "east-officer",
        "east-officer",
    ]


# Pages, sheets and public pages --------------------------------------------------------------------------------


def test_the_staff_pages_show_the_notices_resolve_objections_and_print_the_sheets(programme, login, world):
    p = programme
    call, (first, _second) = county_result(p)
    application = publish(p, p.apply(p.call(), "c北村"))
    with time_machine.travel(DURING_NOTICE, tick=False):
        objection = object_to(application.notice)
        client = login(p.c_admin)
        base = reverse("demonstration:application", kwargs={"township_slug": p.c.slug, "pk": application.pk})
        page = client.get(base).content.decode()
        assert "Notice in the township" in page and "3 days left." in page and "王五" in page
        assert "Record the resolution" in page and "notice.pdf" in page
        sheet = client.get(base + "notice.pdf")
        resolved = client.post(
            base + "resolve-objection/",
            {"objection": objection.pk, "upheld": "no", "outcome": "已核实"},
            follow=True,
        ).content.decode()
    assert sheet["Content-Type"] == "application/pdf"
    text = pdf_text(sheet.content)
    assert "C镇c北村示范村申报公示" in text and "公示期：2026年7月25日至2026年7月28日（3天）" in text
    assert application.notice.token in text.replace("\n", "")  # the public page's address under the QR
    assert "The objection is resolved" in resolved and "已核实" in resolved
    assert ApplicationObjection.objects.get().state == "dismissed"

    officer = login(p.east_officer)
    call_page = reverse("demonstration_region:call", kwargs={"region_slug": p.east.slug, "pk": call.pk})
    with time_machine.travel(DURING_RESULT, tick=False):
        services.file_result_objection(
            notice=call.result_notice, application=first, objector_name="赵六", reason="评分过高"
        )
        page = officer.get(call_page).content.decode()
        result_sheet = officer.get(call_page + "notice.pdf")
    assert (
        "Notice of the result" in page
        and "赵六" in page
        and "a东村" in page
        and "Record the resolution" in page
    )
    text = pdf_text(result_sheet.content)
    assert "东县2026年积分制管理示范村评审结果公示" in text
    assert "a东村" in text and "a西村" in text and "92.00" in text and "c北村" not in text


def test_the_public_pages_take_objections_while_the_notice_runs_and_refuse_them_after(
    programme, client, settings
):
    cache.clear()  # the objections counted per address (core.security.over_objection_limit)
    p = programme
    call, (first, _second) = county_result(p)
    application = publish(p, p.apply(p.call(), "c北村"))
    url = reverse("demonstration_public:application-notice", kwargs={"token": application.notice.token})
    body = {"objector_name": "王五", "objector_phone": "13800138000", "reason": "兑换人数不实", "website": ""}
    with time_machine.travel(DURING_NOTICE, tick=False):
        page = client.get(url).content.decode()
        assert "c北村" in page and "35.50 %" in page and "File an objection" in page
        assert "c-township_admin" not in page and "申报表.pdf" not in page  # no one's personal data, no form
        bad = client.post(url, {**body, "objector_phone": "123"}, REMOTE_ADDR="10.0.0.1")
        assert bad.status_code == 400 and ApplicationObjection.objects.count() == 0
        assert client.post(url, body, REMOTE_ADDR="10.0.0.1").status_code == 302
    assert ApplicationObjection.objects.get().reason == "兑换人数不实"

    with time_machine.travel(APPLICATION_NOTICE_OVER, tick=False):
        late = client.post(url, body, REMOTE_ADDR="10.0.0.2")
    assert late.status_code == 400 and "The notice has ended" in late.content.decode()
    assert ApplicationObjection.objects.count() == 1

    result_url = reverse("demonstration_public:result-notice", kwargs={"token": call.result_notice.token})
    with time_machine.travel(DURING_RESULT, tick=False):
        page = client.get(result_url).content.decode()
        assert "a东村" in page and "a西村" in page and "The result as a whole" in page
        sent = client.post(result_url, {**body, "application": first.pk}, REMOTE_ADDR="10.0.0.3")
        assert sent.status_code == 302 and ResultObjection.objects.get().application_id == first.pk
        settings.JIFEN_OBJECTIONS_PER_HOUR = 1
        assert client.post(result_url, body, REMOTE_ADDR="10.0.0.3").status_code == 429
    assert ResultObjection.objects.count() == 1
    with time_machine.travel(RESULT_NOTICE_OVER, tick=False):
        assert client.post(result_url, body, REMOTE_ADDR="10.0.0.4").status_code == 400
    assert ResultObjection.objects.count() == 1
    for name in ("application-notice", "result-notice"):
        assert (
            client.get(reverse(f"demonstration_public:{name}", kwargs={"token": "x" * 43})).status_code == 404
        )


def test_other_townships_and_regions_get_404_on_the_notice_routes(programme, login, world):
    p = programme
    call, (first, _second) = county_result(p)
    application = publish(p, p.apply(p.call(), "a东村"))
    with time_machine.travel(DURING_NOTICE, tick=False):
        objection = object_to(application.notice)
    b = login(world.b.admin)
    for slug in (world.a.township.slug, world.b.township.slug):
        base = reverse("demonstration:application", kwargs={"township_slug": slug, "pk": application.pk})
        assert b.get(base + "notice.pdf").status_code == 404
        assert (
            b.post(
                base + "resolve-objection/", {"objection": objection.pk, "upheld": "yes", "outcome": "x"}
            ).status_code
            == 404
        )
    west = login(p.west_officer)
    with time_machine.travel(DURING_RESULT, tick=False):
        against = services.file_result_objection(
            notice=call.result_notice, objector_name="赵六", reason="不公"
        )
        for slug in (p.east.slug, p.west.slug):
            base = reverse("demonstration_region:call", kwargs={"region_slug": slug, "pk": call.pk})
            assert west.get(base + "notice.pdf").status_code == 404
            assert (
                west.post(
                    base + "resolve-objection/", {"objection": against.pk, "upheld": "yes", "outcome": "x"}
                ).status_code
                == 404
            )
    assert ApplicationObjection.objects.get().state == ResultObjection.objects.get().state == "open"
