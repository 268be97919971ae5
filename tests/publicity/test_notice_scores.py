"""The numbers on an annual notice: the scores pages' rule on the round's proposals, and the rating's star rule."""

from decimal import Decimal

import pytest

from publicity.notice import build_notice
from review import services as review
from scoring import services as scoring
from scoring.models import EntryState
from tests.contract import member
from tests.factories import store_reward_settings
from tests.publicity.conftest import on_notice

pytestmark = pytest.mark.django_db
D = Decimal


def test_an_annual_notice_counts_a_changed_proposal_once_and_the_role_base_and_ranks_in_the_database(rw):
    round_ = on_notice(rw)  # h1 declared 参加党员活动 (+3, accepted); h2 has nothing
    officer = scoring.add_role_rule(
        membership=member(rw.admin), scheme=rw.scheme, code="officer", name="干部户", base_score=D("70")
    )
    scoring.assign_role(membership=member(rw.admin), household=rw.h2, role=officer)
    declared = round_.declarations.get().round_entry.entry
    # On notice, the panel of the other area changes h1's proposal: +3 withdrawn, 志愿服务 +1 proposed instead.
    review.change_proposal(
        membership=rw.members2[0],
        round=round_,
        entry=declared,
        reason="核实为志愿服务",
        new_item=rw.volunteer,
    )
    declared.refresh_from_db()
    assert declared.state == EntryState.WITHDRAWN
    store_reward_settings(rw.scheme, star_five_percent=50, star_four_percent=100, star_three_percent=100)

    notice = build_notice(round_)

    rows = {row.number: row for row in notice.rows}
    # h1: 环境整治 40, 党的建设 20 + 1 (the withdrawn +3 no longer counts) → 61.
    assert (rows["A-001"].scores, rows["A-001"].total) == ([D("40"), D("21")], D("61"))
    # h2, an officer household: 40 + 20, and its role's base 70 instead of the categories' 60 → 70.
    assert (rows["A-201"].scores, rows["A-201"].total) == ([D("40"), D("20")], D("70"))
    # N = 2, floor 60 (the base total): h2 ranks 1, 100·1 ≤ 50·2 → five; h1 ranks 2, 200 ≤ 100·2 → four.
    assert (rows["A-201"].stars, rows["A-001"].stars) == (5, 4)
