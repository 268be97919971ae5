"""The class's term prizes page (issue 15, item 5): computed, published with a confirmation, certificates printed
(one page per prize, read back with poppler), and the prizes waiting on the next term's page until handed out.
Figures: tests/rewards/test_term_prizes.py (tiers 5/5/5: S02, S01, S07, S03, S06 first; S04, S05 second)."""

import datetime
import subprocess

import pytest
from django.urls import reverse

from core.tenancy import township_scope
from rewards.models import PrizeList, TermPrize
from tests.school_term import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def school():
    school = School()
    school.term_entries()
    return school


def rewards_url(school, name, **kwargs):
    return reverse(f"rewards:{name}", kwargs={"township_slug": school.township.slug, **kwargs})


def pdf(content: bytes) -> tuple[str, int]:
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    info = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True).stdout.decode()
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return text, pages


def test_the_head_teacher_computes_publishes_prints_and_hands_out(client, school):
    client.force_login(school.teacher_user)
    page_url = rewards_url(school, "class-prizes", village_pk=school.class_.pk)
    client.post(
        rewards_url(school, "prizes-compute", village_pk=school.class_.pk), {"scheme": school.scheme.pk}
    )
    page = client.get(page_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "一等奖" in page and "二等奖" in page and "钱五多" in page
    with township_scope(school.township):
        prize_list = PrizeList.objects.get()
    # Without the confirmation nothing is published.
    client.post(rewards_url(school, "prizes-publish", pk=prize_list.pk), {})
    with township_scope(school.township):
        prize_list.refresh_from_db()
        assert not prize_list.published
    client.post(rewards_url(school, "prizes-publish", pk=prize_list.pk), {"confirm": "on"})
    with township_scope(school.township):
        prize_list.refresh_from_db()
        assert prize_list.published
    certificates = client.get(
        reverse("publicity:prize-certificates", args=[school.township.slug, prize_list.pk]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    text, pages = pdf(certificates.content)
    assert (
        pages == 7
        and "奖状" in "".join(text.split())
        and "李小红" in text
        and "一等奖" in text
        and "第一中学" in text
    )
    assert "初一(3)班" in text and "2025年9月—2026年1月学期" in text

    school.term(datetime.date(2026, 2, 20), datetime.date(2026, 7, 10), 2026)  # the next term
    page = client.get(page_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "待兑现奖品" in page and page.count("已兑现</button>") == 7
    with township_scope(school.township):
        prize = TermPrize.objects.get(household=school.students[1])
    client.post(rewards_url(school, "prize-hand-out", pk=prize.pk))
    page = client.get(page_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert page.count("已兑现</button>") == 6
    with township_scope(school.township):
        prize.refresh_from_db()
        assert prize.handed_out_by == school.teacher_user


def test_another_class_teacher_an_officer_and_a_parent_are_refused(client, school):
    with township_scope(school.township):
        from rewards import services

        prize_list = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
    page_url = rewards_url(school, "class-prizes", village_pk=school.class_.pk)
    client.force_login(school.other_teacher_user)
    assert client.get(page_url).status_code == 404
    assert (
        client.post(rewards_url(school, "prizes-publish", pk=prize_list.pk), {"confirm": "on"}).status_code
        == 404
    )
    for user in (school.officer_user, school.parent_user):
        client.force_login(user)
        assert client.get(page_url).status_code == 403
    certificates = reverse("publicity:prize-certificates", args=[school.township.slug, prize_list.pk])
    client.force_login(school.teacher_user)
    assert client.get(certificates).status_code == 400  # not published yet: no certificates
    with township_scope(school.township):
        prize_list.refresh_from_db()
        assert not prize_list.published


def test_a_school_sets_its_prize_tiers_on_the_schemes_reward_settings(client, school):
    from rewards.selectors import tier_sizes

    client.force_login(school.teacher_user)
    settings_url = rewards_url(school, "scheme-rewards", scheme_pk=school.scheme.pk)
    assert "每班一等奖名额" in client.get(settings_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    posted = {
        "settings": "1",
        "star_five_percent": 10,
        "star_four_percent": 20,
        "star_three_percent": 30,
        "star_floor": "",
        "spendable_basis": "net",
        "prize_first": 3,
        "prize_second": 4,
        "prize_third": 8,
    }
    assert client.post(settings_url, posted).status_code == 302
    with township_scope(school.township):
        sizes = tier_sizes(school.scheme)
    assert (sizes.first, sizes.second, sizes.third) == (3, 4, 8)


def test_a_townships_reward_settings_have_no_prize_tiers():
    from rewards.forms import SchemeRewardSettingsForm

    assert "prize_first" not in SchemeRewardSettingsForm().fields
    assert "prize_first" in SchemeRewardSettingsForm(school=True).fields
