"""Term-end prizes (issue 15, item 5) with the term of tests/school_term.py, counted by hand:

    term totals   S01 80+2−1+1 = 82   S02 83   S03 75   S04 70   S05 65   S06 75   S07 80
    places        S02 1, S01 2, S07 3, S03 4, S06 4 (tied: same total, same penalty points 11), S04 6, S05 7

With the seed's tiers of 5/5/5 every place up to 15 wins: all seven (5 first prizes: places 1–5, i.e. S02, S01,
S07, S03, S06; second prizes: places 6–10: S04, S05). With tiers of 1/2/1: S02 first; S01 and S07 second; S03
and S06 tied at the fourth place share the last third prize; S04 and S05 nothing.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from core.tenancy import township_scope
from rewards import selectors, services
from rewards.models import PrizeList, PrizeTier, TermPrize
from tests.school_term import School

pytestmark = pytest.mark.django_db
D = Decimal
FIRST, SECOND, THIRD, SPECIAL = PrizeTier.FIRST, PrizeTier.SECOND, PrizeTier.THIRD, PrizeTier.SPECIAL


@pytest.fixture
def school():
    school = School()
    school.term_entries()
    return school


def _prizes(prize_list) -> dict:
    return {
        p.household.number: (p.tier, p.rank, p.total)
        for p in TermPrize.objects.filter(prize_list=prize_list).select_related("household")
    }


def _tiers(school, first, second, third):
    with township_scope(school.township):
        services.set_reward_settings(
            membership=school.teacher,
            scheme=school.scheme,
            prize_first=first,
            prize_second=second,
            prize_third=third,
        )


def test_the_seed_tiers_give_every_place_up_to_fifteen_a_prize(school):
    with township_scope(school.township):
        prize_list = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
        assert (prize_list.first, prize_list.second, prize_list.third) == (5, 5, 5)
        assert prize_list.students == 7 and not prize_list.closed_early
        assert _prizes(prize_list) == {
            "S02": (FIRST, 1, D("83")),
            "S01": (FIRST, 2, D("82")),
            "S07": (FIRST, 3, D("80")),
            "S03": (FIRST, 4, D("75")),
            "S06": (FIRST, 4, D("75")),
            "S04": (SECOND, 6, D("70")),
            "S05": (SECOND, 7, D("65")),
        }


def test_students_tied_at_the_last_place_share_the_higher_tier(school):
    _tiers(school, 1, 2, 1)
    with township_scope(school.township):
        prize_list = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
        assert _prizes(prize_list) == {
            "S02": (FIRST, 1, D("83")),
            "S01": (SECOND, 2, D("82")),
            "S07": (SECOND, 3, D("80")),
            "S03": (THIRD, 4, D("75")),
            "S06": (THIRD, 4, D("75")),
        }


def test_the_tie_break_of_the_star_rating_orders_equal_totals(school):
    # S03 and S06 both lost 11 points; one more −1 and +1 for S06 keeps its total but raises its penalties to 12:
    # fewer penalty points rank higher (the star rating's first tie-breaker), so S03 alone takes the third prize.
    school.record(
        [(5, "迟到", datetime.date(2025, 12, 1), 1), (5, "好人好事", datetime.date(2025, 12, 2), 1)]
    )
    _tiers(school, 1, 2, 1)
    with township_scope(school.township):
        prize_list = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
        assert _prizes(prize_list)["S03"] == (THIRD, 4, D("75"))
        assert "S06" not in _prizes(prize_list)


def test_computing_twice_gives_the_same_list(school):
    _tiers(school, 1, 2, 1)
    with township_scope(school.township):
        first = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
        before = _prizes(first)
        again = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
        assert again.pk == first.pk and PrizeList.objects.count() == 1
        assert _prizes(again) == before and TermPrize.objects.count() == 5


@time_machine.travel(datetime.datetime(2026, 1, 20, 10, tzinfo=datetime.UTC))
def test_before_the_term_ends_the_head_teacher_must_close_it(school):
    with township_scope(school.township):
        with pytest.raises(DomainError, match="到 2026-01-31 结束"):
            services.compute_term_prizes(
                membership=school.teacher, scheme=school.scheme, village=school.class_
            )
        assert not PrizeList.objects.exists()
        prize_list = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_, close_early=True
        )
        assert prize_list.closed_early


def test_a_special_prize_needs_a_reason_and_moves_the_student_up(school):
    _tiers(school, 1, 2, 1)
    with township_scope(school.township):
        prize_list = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
        with pytest.raises(DomainError, match="理由"):
            services.award_special_prize(
                membership=school.teacher, prize_list=prize_list, household=school.students[4], reason=" "
            )
        with pytest.raises(DomainError, match="本班的学生"):
            services.award_special_prize(
                membership=school.teacher, prize_list=prize_list, household=school.stranger, reason="见义勇为"
            )
        services.award_special_prize(
            membership=school.teacher, prize_list=prize_list, household=school.students[4], reason="见义勇为"
        )
        services.award_special_prize(
            membership=school.teacher,
            prize_list=prize_list,
            household=school.students[1],
            reason="市级竞赛一等奖",
        )
        # Computing again keeps the special prizes; S02 does not get a first prize beside its special one.
        services.compute_term_prizes(membership=school.teacher, scheme=school.scheme, village=school.class_)
        got = _prizes(prize_list)
        assert got["S05"] == (SPECIAL, 7, D("65")) and got["S02"] == (SPECIAL, 1, D("83"))
        assert got["S01"] == (SECOND, 2, D("82")) and len(got) == 6


def test_publishing_needs_the_confirmation_and_a_list_that_matches_the_ledger(school):
    with township_scope(school.township):
        prize_list = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
        with pytest.raises(DomainError, match="请确认"):
            services.publish_prize_list(membership=school.teacher, prize_list=prize_list)
    school.record([(6, "打架", datetime.date(2026, 1, 5), 1)])  # S07 loses 5 after the list was computed
    with township_scope(school.township):
        with pytest.raises(DomainError, match="重新计算"):
            services.publish_prize_list(membership=school.teacher, prize_list=prize_list, confirm=True)
        prize_list.refresh_from_db()
        assert not prize_list.published
        services.compute_term_prizes(membership=school.teacher, scheme=school.scheme, village=school.class_)
        published = services.publish_prize_list(
            membership=school.teacher, prize_list=prize_list, confirm=True
        )
        assert published.published and published.published_by == school.teacher_user
        with pytest.raises(DomainError, match="已发布"):
            services.compute_term_prizes(
                membership=school.teacher, scheme=school.scheme, village=school.class_
            )


def test_published_prizes_wait_for_the_next_term_and_are_handed_out_once(school):
    with township_scope(school.township):
        prize_list = services.compute_term_prizes(
            membership=school.teacher, scheme=school.scheme, village=school.class_
        )
        prize = TermPrize.objects.get(prize_list=prize_list, household=school.students[1])
        with pytest.raises(DomainError, match="尚未发布"):
            services.hand_out_prize(membership=school.teacher, prize=prize)
        services.publish_prize_list(membership=school.teacher, prize_list=prize_list, confirm=True)
    school.term(datetime.date(2026, 2, 20), datetime.date(2026, 7, 10), 2026)  # the next term
    with township_scope(school.township):
        pending = selectors.pending_prizes(school.teacher, school.class_)
        assert pending.count() == 7
        services.hand_out_prize(membership=school.teacher, prize=prize)
        assert selectors.pending_prizes(school.teacher, school.class_).count() == 6
        with pytest.raises(DomainError, match="已经兑现"):
            services.hand_out_prize(membership=school.teacher, prize=prize)
        # A parent sees only their own student's prizes.
        assert [p.household for p in selectors.term_prizes_visible_to(school.parent)] == [school.students[0]]


def test_another_class_teacher_and_an_officer_cannot_set_the_prizes(school):
    with township_scope(school.township):
        for user in (school.other_teacher_user, school.officer_user, school.parent_user):
            with pytest.raises(PermissionDenied):
                services.compute_term_prizes(
                    membership=school.membership(user), scheme=school.scheme, village=school.class_
                )
        assert not PrizeList.objects.exists()
