"""Township A of the `world` with a small 2026 scheme and a ledger whose figures are computed by hand in the tests.

Scheme (base 60): 环境整治 base 40 (quarterly, floor 0) and 党的建设 base 20 (annual).
Items: 庭院整洁 +2, 乱堆乱放 −2 (alert at the 2nd hit of a quarter), 参加党员活动 +3.

a东村 (v1)  一组: A-001 (taking part), A-003 (taking part)
            二组: A-004 (elderly, opted in), A-005 (opted out, after one approved +2), A-006 (not eligible)
a西村 (v2)  一组: A-002 (taking part), A-007 (taking part)

Approved entries (date, household, item):
  Q1  02-10 A-001 +2 · 03-01 A-001 +3 · 03-01 A-003 +3 · 02-10 A-002 +2 · 02-10 A-005 +2
  Q2  05-10 A-001 −2 · 05-20 A-001 −2 (threshold alert) · 05-10 A-004 −2
  Q3  08-01 A-002 +2
Proposed (not counting): A-003 +2.

Totals: A-001 61 (env 38, party 23) · A-003 63 (40, 23) · A-004 58 (38, 20) · A-002 64 (44, 20) · A-007 60 (40, 20).
Rounds: v1 2026-Q1 approved, v1 2026-Q2 on notice (ends in 2 days and an hour: 3 days left), v2 2026-Q1 collecting.
Objections (v1 Q2): A-001 upheld, A-001 open, A-004 dismissed.
Stars: run v1 published (A-003 ★5, A-001 ★4, A-002 ★3), run v2 proposed and current (A-003 ★5, A-002 ★5, A-001 ★3).
"""

import datetime
import secrets
from decimal import Decimal

import pytest
from django.utils import timezone

from households.models import Area, Household, Participation
from review.models import Objection, ObjectionState, ReviewRound, RoundState
from rewards.models import StarResult, StarRun, StarRunState
from scoring import services as scoring
from tests.contract import member
from tests.factories import HouseholdFactory, ResidentFactory
from tests.notices import approve_through_notice

D = Decimal


def day(month, dd):
    return datetime.date(2026, month, dd)


class DashWorld:
    def __init__(self, world):
        a = self.a = world.a
        self.world = world
        self.township, self.admin = a.township, a.admin
        self.v1, self.v2 = a.villages
        self.v1_area1, self.v2_area1 = a.areas
        self.v1_area2 = Area.objects.create(township=self.township, village=self.v1, name="二组")
        self.h1, self.h2 = a.households
        self.h3 = HouseholdFactory(area=self.v1_area1, number="A-003")
        self.h4 = HouseholdFactory(
            area=self.v1_area2, number="A-004", participation=Participation.ELDERLY_OPTED_IN
        )
        self.h5 = HouseholdFactory(area=self.v1_area2, number="A-005")
        self.h6 = HouseholdFactory(
            area=self.v1_area2, number="A-006", participation=Participation.NOT_ELIGIBLE
        )
        self.h7 = HouseholdFactory(area=self.v2_area1, number="A-007")
        for household, name in ((self.h3, "王五"), (self.h4, "赵六"), (self.h5, "钱七"), (self.h7, "孙八")):
            ResidentFactory(household=household, name=name, is_head=True)
        office = member(self.admin)
        self.scheme = scoring.create_scheme(
            membership=office, township=self.township, name="乡村治理", year=2026
        )
        self.env = scoring.add_category(
            membership=office,
            scheme=self.scheme,
            name="环境整治",
            base_score=D("40"),
            cadence="quarterly",
            floor=D("0"),
        )
        self.party = scoring.add_category(
            membership=office,
            scheme=self.scheme,
            name="党的建设",
            base_score=D("20"),
            cadence="annual",
            order=1,
        )
        self.clean = scoring.add_item(
            membership=office, category=self.env, name="庭院整洁", kind="bonus", points=D("2")
        )
        self.mess = scoring.add_item(
            membership=office,
            category=self.env,
            name="乱堆乱放",
            kind="penalty",
            points=D("2"),
            threshold_count=2,
            threshold_consequence="约谈户主",
        )
        self.meeting = scoring.add_item(
            membership=office, category=self.party, name="参加党员活动", kind="bonus", points=D("3")
        )
        scoring.activate_scheme(membership=office, scheme=self.scheme)
        approved = [
            (self.h1, self.clean, day(2, 10)),
            (self.h1, self.meeting, day(3, 1)),
            (self.h3, self.meeting, day(3, 1)),
            (self.h2, self.clean, day(2, 10)),
            (self.h5, self.clean, day(2, 10)),
            (self.h1, self.mess, day(5, 10)),
            (self.h1, self.mess, day(5, 20)),
            (self.h4, self.mess, day(5, 10)),
            (self.h2, self.clean, day(8, 1)),
        ]
        entries = [
            scoring.record_entry(membership=office, household=h, item=item, occurred_on=when)
            for h, item, when in approved
        ]
        approve_through_notice(entries, membership=office)
        scoring.record_entry(membership=office, household=self.h3, item=self.clean, occurred_on=day(4, 2))
        Household.objects.filter(pk=self.h5.pk).update(participation=Participation.OPTED_OUT)
        self.rounds = self._rounds()
        self._objections()
        self.published, self.proposed = self._star_runs()

    def _round(self, village, period, state, **fields):
        return ReviewRound.objects.create(
            township=self.township,
            village=village,
            scheme=self.scheme,
            kind="quarterly",
            period=period,
            state=state,
            notice_token=secrets.token_urlsafe(32),
            created_by=self.admin,
            **fields,
        )

    def _rounds(self):
        now = timezone.now()
        return [
            self._round(
                self.v1, "2026-Q1", RoundState.APPROVED, approved_at=now - datetime.timedelta(days=30)
            ),
            self._round(
                self.v1,
                "2026-Q2",
                RoundState.ON_NOTICE,
                notice_number=1,
                notice_opened_at=now - datetime.timedelta(hours=23),
                notice_ends_at=now + datetime.timedelta(days=2, hours=1),
            ),
            self._round(self.v2, "2026-Q1", RoundState.COLLECTING),
        ]

    def _objections(self):
        round_ = self.rounds[1]
        for household, state in (
            (self.h1, ObjectionState.UPHELD),
            (self.h1, ObjectionState.OPEN),
            (self.h4, ObjectionState.DISMISSED),
        ):
            Objection.objects.create(
                township=self.township,
                round=round_,
                household=household,
                objector_name="周九",
                objector_phone="13900139000",
                reason="请复核",
                notice_number=1,
                state=state,
            )

    def star_run(self, version, stars, *, published, current):
        run = StarRun.objects.create(
            township=self.township,
            scheme=self.scheme,
            version=version,
            inputs_fingerprint=f"fp{version}",
            current=current,
            state=StarRunState.PUBLISHED if published else StarRunState.PROPOSED,
            five_percent=10,
            four_percent=20,
            three_percent=30,
            floor=D("60"),
            household_count=5,
            published_by=self.admin if published else None,
            published_at=timezone.now() if published else None,
        )
        for village in (self.v1, self.v2):
            ranked = [(h, s) for h, s in stars if h.village_id == village.pk]
            for rank, (household, count) in enumerate(ranked, start=1):
                StarResult.objects.create(
                    township=self.township,
                    run=run,
                    village=village,
                    household=household,
                    account=household.points_account,
                    total=D("60"),
                    rank=rank,
                    n=len(ranked),
                    stars=count,
                )
        return run

    def _star_runs(self):
        published = self.star_run(
            1,
            [(self.h3, 5), (self.h1, 4), (self.h4, 0), (self.h2, 3), (self.h7, 0)],
            published=True,
            current=False,
        )
        proposed = self.star_run(
            2,
            [(self.h3, 5), (self.h1, 3), (self.h4, 0), (self.h2, 5), (self.h7, 0)],
            published=False,
            current=True,
        )
        return published, proposed


@pytest.fixture
def dash(world):
    return DashWorld(world)


@pytest.fixture
def dash_rewards(dash):
    """a东村 gets a budget (5 residents: 12.50 yuan funded, limit 10.00) and a supermarket where A-001 and A-003
    each redeem one soap (3.50 yuan each); a西村 has neither.

    Residents taking part: a东村 A-001 (2), A-003 (1), A-004 (1) = 4, redeemed 3; a西村 A-002 (1), A-007 (1) = 2.
    """
    from rewards.services import budget, shop

    ResidentFactory(household=dash.h1, name="张小明")
    budget.open_budget(membership=member(dash.admin), village=dash.v1, year=2026)
    store = shop.open_shop(membership=member(dash.admin), village=dash.v1)
    soap = shop.add_product(
        membership=member(dash.admin), shop=store, stock=10, name="肥皂", points=D("1"), cost=D("3.50")
    )
    for household in (dash.h1, dash.h3):
        shop.redeem(membership=member(dash.admin), household=household, shop=store, items={soap.pk: 1})
    return dash
