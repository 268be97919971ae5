"""A tiny scheme (one annual category, base 100) and villages whose households have chosen annual totals.

Households are bulk-created; each household's total is reached with ONE entry recorded and approved through
scoring.services (an item worth exactly the difference from the base), so the ledger is a real one.
"""

import datetime
import secrets
from collections import defaultdict
from decimal import Decimal

import pytest

from households.models import Area, Household, Participation, Village
from review.models import ReviewRound, RoundKind, RoundState
from rewards import services as rewards_services
from scoring import services as scoring
from scoring.accounts import open_accounts
from scoring.models import Entry
from tests.contract import member
from tests.notices import approve_through_notice

D = Decimal
BASE = D("100")
DAY = datetime.date(2026, 3, 10)


class StarWorld:
    def __init__(self, world):
        self.world = world
        self.township, self.admin = world.a.township, world.a.admin
        self.scheme = scoring.create_scheme(
            membership=member(self.admin), township=self.township, name="星级评定", year=2026
        )
        self.category = scoring.add_category(
            membership=member(self.admin),
            scheme=self.scheme,
            name="文明新风",
            base_score=BASE,
            cadence="annual",
        )
        self.veto = scoring.add_item(
            membership=member(self.admin),
            category=self.category,
            name="违法犯罪",
            kind="penalty",
            points=D("1"),
            disqualifying=True,
        )
        scoring.activate_scheme(membership=member(self.admin), scheme=self.scheme)
        self._items = {}
        self._villages = 0
        # The world's own two households would be villages of N=1 in every rating: keep them out.
        self.stop_taking_part(world.a.households)

    def item(self, delta: Decimal, category=None):
        """A bonus or penalty item worth exactly |delta| (one per value and category)."""
        category = category or self.category
        if (delta, category.pk) not in self._items:
            self._items[delta, category.pk] = scoring.add_item(
                membership=member(self.admin),
                category=category,
                name=f"{'加' if delta > 0 else '减'}{abs(delta)}",
                kind="bonus" if delta > 0 else "penalty",
                points=abs(delta),
            )
        return self._items[delta, category.pk]

    def village(self, totals, *, name: str | None = None, round_approved: bool = True) -> list[Household]:
        """A village whose households (in the order given) end the year with these approved totals; its annual
        round approved unless said otherwise (a village is rated only then)."""
        self._villages += 1
        code = f"V{self._villages:02d}"
        village = Village.objects.create(township=self.township, name=name or f"星村{code}")
        area = Area.objects.create(township=self.township, village=village, name="一组")
        households = Household.objects.bulk_create(
            Household(township=self.township, village=village, area=area, number=f"{code}-{i:04d}")
            for i in range(len(totals))
        )
        open_accounts(households)  # as the roster's own saves do (bulk_create sends no post_save)
        self.record(zip(households, (D(str(t)) - BASE for t in totals), strict=True))
        if round_approved:
            self.approve_annual_round(village)
        return households

    def approve_annual_round(self, village) -> ReviewRound:
        """The village's annual round, approved (written directly: the round's own procedure is review's, tested
        there; the rating only reads that the round is approved)."""
        return ReviewRound.objects.create(
            township=self.township,
            village=village,
            scheme=self.scheme,
            kind=RoundKind.ANNUAL,
            period=str(self.scheme.year),
            state=RoundState.APPROVED,
            notice_token=secrets.token_urlsafe(32),
            created_by=self.admin,
        )

    def record(self, deltas, category=None) -> list[Entry]:
        """Record and approve one entry per (household, delta) through the ledger's services (in the scheme's
        first category unless said otherwise)."""
        by_delta = defaultdict(list)
        for household, delta in deltas:
            if delta:
                by_delta[delta].append(household)
        entries = []
        for delta, households in by_delta.items():
            entries += scoring.record_bulk(
                membership=member(self.admin),
                households=households,
                item=self.item(delta, category),
                occurred_on=DAY,
            )
        if entries:
            approve_through_notice(entries, membership=member(self.admin))
        return entries

    def disqualify(self, household, *, approve: bool = True) -> Entry:
        entry = scoring.record_entry(
            membership=member(self.admin), household=household, item=self.veto, occurred_on=DAY
        )
        if approve:
            approve_through_notice([entry], membership=member(self.admin))
        return entry

    def stop_taking_part(self, households, participation=Participation.OPTED_OUT) -> None:
        Household.objects.filter(pk__in=[h.pk for h in households]).update(participation=participation)


def closable(world, *, resets: bool = False):
    """One village of ten households (200, 190, …, 110: net 100 … 10), its annual round approved, the rating
    published; the spendable points start again each year when `resets`."""
    stars = StarWorld(world)
    stars.households = stars.village([200 - 10 * i for i in range(10)], name="东村")
    office = member(stars.admin)
    if resets:
        rewards_services.set_reward_settings(
            membership=office, scheme=stars.scheme, spendable_resets_yearly=True
        )
    run, _created, _changes = rewards_services.rate_stars(membership=office, scheme=stars.scheme)
    rewards_services.publish_run(membership=office, run=run, confirm_overflow=True)
    return stars


@pytest.fixture
def stars(world):
    return StarWorld(world)


def database_checksum() -> dict[str, tuple[int, int]]:
    """Row count and a sum of row hashes of every table of the apps a rating reads or writes (PostgreSQL)."""
    from django.apps import apps
    from django.db import connection

    tables = sorted(
        model._meta.db_table
        for label in ("households", "scoring", "review", "rewards")
        for model in apps.get_app_config(label).get_models()
    )
    parts = [
        f"SELECT '{table}', count(*), coalesce(sum(hashtext(t::text)::bigint), 0) FROM \"{table}\" t"  # noqa: S608
        for table in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}
