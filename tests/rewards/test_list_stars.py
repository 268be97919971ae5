"""Stars of the villagers', party members' and units' lists (issue 14, item 2): the scheme's own bands on the rank in
the village's list; equal totals share a rank and the higher band; no points, no star."""

import datetime
from decimal import Decimal

import pytest

from core.tenancy import township_scope
from rewards.selectors import list_stars
from scoring import services as scoring
from scoring.models import Account
from tests.factories import ResidentFactory
from tests.notices import admin_membership, approve_through_notice
from tests.scoring.test_accounts import Governance, in_november  # noqa: F401 — the autouse clock

pytestmark = pytest.mark.django_db


def test_bands_ties_and_no_points(world):
    g = Governance(world, year=2026)
    with township_scope(world.a.township):
        office = admin_membership(world.a.township.pk)
        extra = [ResidentFactory(household=g.household, name=f"村民{n}") for n in range(7)]  # ten villagers
        points = {g.villager: 3, g.plain: 3, extra[0]: 2, extra[1]: 1}  # ranks 1, 1, 3, 4
        entries = []
        for resident, times in points.items():
            account = Account.objects.get(resident=resident)
            for day in range(times):
                entries.append(
                    scoring.record_claim(
                        membership=office,
                        account=account,
                        item=g.item,
                        occurred_on=datetime.date(2026, 11, 1 + day),
                        channel="phone",
                        cause="巡逻",
                    )
                )
        approve_through_notice(entries)
        stars = {
            row.name: (row.rank, row.total, s)
            for row, s in list_stars(g.scheme, "resident", world.a.villages[0])
        }
    # Ten villagers: five stars up to rank 1, four up to rank 2, three up to rank 3.
    assert stars["王小红"] == stars["赵六"] == (1, Decimal("3"), 5)  # tied: the higher band, both
    assert stars["村民0"] == (3, Decimal("2"), 3)
    assert stars["村民1"] == (4, Decimal("1"), 0)
    assert stars["村民2"][2] == 0 and stars["村民2"][1] == 0  # no points, no star
    with pytest.raises(ValueError):
        list_stars(g.scheme, "household", world.a.villages[0])
