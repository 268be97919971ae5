"""The public notice page (no login) and its objection form."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from review.models import Objection
from tests.contract import member
from tests.notices import approve_through_notice
from tests.publicity.conftest import on_notice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def _url(round_):
    return reverse("publicity:public-notice", kwargs={"token": round_.notice_token})


def _form(rw, **overrides):
    data = {
        "objector_name": "周二",
        "objector_phone": "13900139000",
        "household": str(rw.h2.pk),
        "reason": "我家没有乱堆乱放",
        "website": "",
    }
    return {**data, **overrides}


def test_anyone_reads_the_notice_with_masked_names_and_no_personal_numbers(client, rw):
    round_ = on_notice(rw)
    page = client.get(_url(round_)).content.decode()
    assert "a东村" in page and "张*明" in page and "张三明" not in page
    assert "11010519491231002X" not in page and "13800138000" not in page
    assert "提出异议" in page


def test_an_unknown_or_unopened_notice_is_not_found(client, rw):
    assert client.get(reverse("publicity:public-notice", kwargs={"token": "x" * 43})).status_code == 404


def test_a_villager_files_an_objection_that_lands_in_the_round(client, rw):
    round_ = on_notice(rw)
    response = client.post(_url(round_), _form(rw), follow=True)
    assert "异议已收到" in response.content.decode()
    objection = Objection.objects.get()
    assert (objection.round, objection.household, objection.objector_name, objection.filed_by) == (
        round_,
        rw.h2,
        "周二",
        None,
    )


def test_missing_fields_are_refused_and_nothing_is_stored(client, rw):
    round_ = on_notice(rw)
    response = client.post(_url(round_), _form(rw, reason="", objector_phone="12345"))
    assert response.status_code == 400
    assert not Objection.objects.exists()
    response = client.post(_url(round_), _form(rw, household=""))
    assert response.status_code == 400 and not Objection.objects.exists()


def test_the_honeypot_stores_nothing_but_answers_like_success(client, rw):
    round_ = on_notice(rw)
    response = client.post(_url(round_), _form(rw, website="http://spam.example"), follow=True)
    assert "异议已收到" in response.content.decode()
    assert not Objection.objects.exists()


def test_more_than_five_objections_an_hour_from_one_address_are_refused(client, rw):
    round_ = on_notice(rw)
    for n in range(5):
        assert client.post(_url(round_), _form(rw, reason=f"第{n}条")).status_code == 302
    response = client.post(_url(round_), _form(rw, reason="第六条"))
    assert response.status_code == 429
    assert Objection.objects.count() == 5


def test_after_the_notice_ends_the_page_says_so_and_refuses_objections(client, rw):
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime.datetime(2026, 12, 6, 23, 50, tzinfo=shanghai), tick=False):
        round_ = on_notice(rw)  # posted on 6 Dec: 7, 8 and 9 Dec are its three days
        running = client.get(_url(round_)).content.decode()
    assert "2026年12月6日" in running and "2026年12月9日" in running
    with time_machine.travel(datetime.datetime(2026, 12, 10, 0, 1, tzinfo=shanghai), tick=False):
        page = client.get(_url(round_)).content.decode()
        assert "不再受理异议" in page and "提交异议" not in page and "2026年12月9日" in page
        response = client.post(_url(round_), _form(rw))
    assert response.status_code == 400
    assert not Objection.objects.exists()


def test_nul_bytes_are_a_form_error_not_a_crash(client, rw):
    round_ = on_notice(rw)
    response = client.post(_url(round_), _form(rw, reason="坏\x00字符"))
    assert response.status_code == 400 and not Objection.objects.exists()


def test_staff_notice_sheet_download_and_cross_tenant(login, rw, world):
    round_ = on_notice(rw)
    url = reverse("publicity:notice-sheet", kwargs={"township_slug": "town-a", "pk": round_.pk})
    response = login(world.a.supervisor).get(url + "?size=a3")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content[:5] == b"%PDF-"
    assert login(world.b.admin).get(url).status_code == 404
    other = reverse("publicity:notice-sheet", kwargs={"township_slug": "town-b", "pk": round_.pk})
    assert login(world.b.admin).get(other).status_code == 404


def test_staff_sheet_of_a_round_not_on_notice_says_why(login, rw, world):
    from review.services import create_round

    draft = create_round(
        membership=rw.membership(rw.clerk),
        village=rw.village,
        scheme=rw.scheme,
        kind="quarterly",
        period="2026-Q3",
    )
    url = reverse("publicity:notice-sheet", kwargs={"township_slug": "town-a", "pk": draft.pk})
    response = login(world.a.clerk).get(url)
    assert response.status_code == 400 and "不在公示期" in response.content.decode()


def test_a_big_village_gets_its_sheet_from_a_job(
    login, rw, world, settings, django_capture_on_commit_callbacks
):
    from core.models import Job

    round_ = on_notice(rw)
    settings.JIFEN_DOCUMENT_INLINE_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.a.clerk).get(
            reverse("publicity:notice-sheet", kwargs={"township_slug": "town-a", "pk": round_.pk})
        )
    job = Job.objects.get()
    assert response.status_code == 302 and job.kind == "notice_sheet" and job.state == "done"
    assert job.file.read()[:5] == b"%PDF-"


def test_passbook_prints_for_one_household_and_a_batch_for_an_area(
    login, rw, world, django_capture_on_commit_callbacks
):
    import subprocess

    from core.models import Job
    from scoring import services as scoring

    entry = scoring.record_entry(
        membership=member(rw.clerk), household=rw.h1, item=rw.clean, occurred_on=datetime.date(2026, 3, 2)
    )
    approve_through_notice([entry], membership=member(rw.admin))
    client = login(world.a.clerk)
    url = reverse("publicity:passbook-print", kwargs={"township_slug": "town-a", "pk": rw.h1.pk})
    response = client.get(url)
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    # h1: 环境整治 40 + 2 = 42, 党的建设 20 → 62.
    assert "行为银行存折" in text and "庭院整洁" in text and "62" in text and rw.h1.number in text
    fonts = subprocess.run(
        ["pdffonts", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert any("NotoSansCJK" in line.replace("-", "") and " yes " in line for line in fonts.splitlines())
    assert login(world.b.admin).get(url).status_code == 404
    client = login(world.a.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        batch = client.get(
            reverse("publicity:area-passbooks", kwargs={"township_slug": "town-a", "pk": rw.area1.pk})
        )
    assert batch.status_code == 302, batch.content.decode()[:500]
    job = Job.objects.get(kind="area_passbooks")
    assert batch.status_code == 302 and job.state == "done" and job.file.read()[:5] == b"%PDF-"


def test_area_passbook_batches_of_another_township_are_not_found(login, rw, world):
    from core.models import Job

    for slug in ("town-a", "town-b"):
        url = reverse("publicity:area-passbooks", kwargs={"township_slug": slug, "pk": rw.area1.pk})
        assert login(world.b.admin).get(url).status_code == 404
    assert not Job.objects.exists()


# The notice on a phone (issue 17.3): search, the form opened from a household's row, errors at the top --------


def test_search_finds_a_household_by_number_or_by_name_without_javascript(client, rw):
    round_ = on_notice(rw)
    by_number = client.get(_url(round_), {"q": "a-201"}).content.decode()  # any case
    assert "周*" in by_number and "张*明" not in by_number and "找到 1 条结果" in by_number
    # A full name typed finds its masked form, and tells nothing the page does not show.
    by_name = client.get(_url(round_), {"q": "张三明"}).content.decode()
    assert "张*明" in by_name and "周*" not in by_name and "张三明" not in by_name.split("</form>")[-1]
    nothing = client.get(_url(round_), {"q": "不存在"}).content.decode()
    assert "没有找到" in nothing and "张*明" not in nothing


def test_the_objection_form_opens_from_the_households_row_with_the_household_chosen(client, rw):
    round_ = on_notice(rw)
    page = client.get(_url(round_)).content.decode()
    assert f'href="?household={rw.h2.pk}#objection"' in page
    assert 'name="objector_phone"' not in page  # no form, and no list of every household to scroll
    page = client.get(_url(round_), {"household": rw.h2.pk}).content.decode()
    assert f'<input type="hidden" name="household" value="{rw.h2.pk}">' in page and "<select" not in page
    assert 'id="objection"' in page and "A-201 周*" in page.replace("</strong>", "").replace("<strong>", "")
    assert 'type="tel"' in page and 'inputmode="tel"' in page and 'autocomplete="tel"' in page


def test_a_failed_submit_puts_the_errors_above_the_form_and_keeps_what_was_typed(client, rw):
    round_ = on_notice(rw)
    response = client.post(f"{_url(round_)}?household={rw.h2.pk}", _form(rw, reason=""))
    assert response.status_code == 400 and not Objection.objects.exists()
    page = response.content.decode()
    assert page.index('id="error-summary"') < page.index('name="objector_name"')
    assert 'href="#id_reason"' in page and 'role="alert"' in page and 'tabindex="-1"' in page
    assert f'action="{_url(round_)}?household={rw.h2.pk}"' in page
    assert 'value="周二"' in page and 'value="13900139000"' in page
    assert f'name="household" value="{rw.h2.pk}"' in page


def test_another_townships_household_cannot_be_picked_on_a_notice(client, rw, world):
    round_ = on_notice(rw)
    foreign = world.b.households[0]
    page = client.get(_url(round_), {"household": foreign.pk}).content.decode()
    assert 'name="objector_phone"' not in page
    response = client.post(f"{_url(round_)}?household={foreign.pk}", _form(rw, household=str(foreign.pk)))
    assert response.status_code == 400 and not Objection.objects.exists()


def test_the_notice_page_makes_the_same_number_of_queries_for_any_number_of_households(
    client, rw, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.publicity.conftest import add_households

    round_ = on_notice(rw)
    client.get(_url(round_))
    with CaptureQueriesContext(connection) as two:
        client.get(_url(round_))
    add_households(rw, 40)
    with django_assert_max_num_queries(len(two)):
        page = client.get(_url(round_)).content.decode()
    assert "本次公示户数：42" in page
