"""A village's figures: what it applies with, taken when it applies and kept (a snapshot)."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from demonstration import selectors
from demonstration.models import Application
from households.models import Participation
from review.models import Objection, ObjectionState, RoundKind
from scoring import services as scoring
from tests.contract import member
from tests.demonstration.conftest import (
    APPLY_DAY,
    ShopParticipation,
    local,
    make_round,
)
from tests.factories import HouseholdFactory, ResidentFactory
from tests.notices import approve_through_notice

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


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
    scheme = scoring.create_scheme(
        membership=member(a.admin), township=a.township, name="乡村治理", year=2026
    )
    old = scoring.create_scheme(membership=member(a.admin), township=a.township, name="乡村治理", year=2025)
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
        scheme = scoring.create_scheme(
            membership=member(a.admin), township=a.township, name="乡村治理", year=2026
        )
        env = scoring.add_category(
            membership=member(a.admin),
            scheme=scheme,
            name="环境整治",
            base_score=D("40"),
            cadence="quarterly",
        )
        clean = scoring.add_item(
            membership=member(a.admin), category=env, name="庭院整洁", kind="bonus", points=D("2")
        )
        scoring.activate_scheme(membership=member(a.admin), scheme=scheme)
        entries = [
            scoring.record_entry(
                membership=member(a.admin),
                household=h,
                item=clean,
                occurred_on=APPLY_DAY.date(),
                reason="整洁",
            )
            for h in (h3, h5)
        ]
        approve_through_notice(entries, actor=a.admin)
        shop = rewards.open_shop(membership=member(a.admin), village=village)
        soap = rewards.add_product(
            membership=member(a.admin), shop=shop, name="肥皂", points=D("1"), cost=D("0"), stock=5
        )
        for household in (h3, h5):
            rewards.redeem(membership=member(a.admin), household=household, shop=shop, items={soap.pk: 1})

    application = p.apply(p.call(), "a西村")

    assert (application.shop_household_share, application.shop_resident_share) == (D("50.00"), D("66.70"))
    assert (application.households_taking_part, application.households_eligible) == (4, 5)
