"""A round's period is picked from the scheme year's periods, named in Chinese, and stored as before (issue 17.5)."""

import re

import pytest
import time_machine

from review.models import ReviewRound
from tests.review.test_pages import NOW, client_for, page_url, text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _create(rw, **overrides):
    data = {"village": rw.village.pk, "scheme": rw.scheme.pk, "kind": "quarterly", "period": "2026-Q2"}
    return client_for(rw.clerk).post(
        page_url("round-create", rw.township), {**data, "notice_days": 3, **overrides}
    )


def test_the_round_form_offers_the_schemes_year_by_quarters_and_the_whole_year_in_chinese(rw):
    page = text(client_for(rw.clerk).get(page_url("round-create", rw.township)))

    periods = re.search(r'<select name="period"[^>]*>(.*?)</select>', page, re.S)
    assert periods is not None, "the period is a list, not a typed field"
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', periods.group(1))
    assert options == [
        ("2026-Q1", "2026年第一季度"),
        ("2026-Q2", "2026年第二季度"),
        ("2026-Q3", "2026年第三季度"),
        ("2026-Q4", "2026年第四季度"),
        ("2026", "2026年度"),
    ]
    # Today (15 December 2026) is in the fourth quarter: it is picked for the clerk.
    assert re.search(r'<option value="2026-Q4"[^>]*selected', periods.group(1))


def test_the_period_picked_is_stored_as_before_and_the_round_is_named_by_its_label(rw):
    response = _create(rw, period="2026-Q2")

    round_ = ReviewRound.objects.get()
    assert response.status_code == 302 and round_.period == "2026-Q2"
    detail = text(client_for(rw.clerk).get(page_url("round-detail", rw.township, pk=round_.pk)))
    assert "2026年第二季度" in detail and "2026-Q2" not in detail


def test_a_period_not_in_the_list_is_refused_in_chinese_and_nothing_is_created(rw):
    response = _create(rw, period="2026-Q9")

    assert response.status_code == 200 and "请从列表中选择：2026-Q9 不是可选的一项。" in text(response)
    assert not ReviewRound.objects.exists()


def test_djangos_own_message_for_a_too_long_notice_reads_in_chinese_with_full_width_punctuation(rw):
    response = _create(rw, notice_days=31)

    assert "不能大于 30。" in text(response)
    assert not ReviewRound.objects.exists()
