"""Incentive policies per list (issue 14, item 2): a policy for villagers, party members or units qualifies the first
so many of that list's ranking and/or a least total — they have no star rating — and prints and exports the list
with masked numbers; a policy of such a list without either rule is refused and nothing is written."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from core.errors import DomainError
from core.tenancy import township_scope
from publicity import services
from publicity.models import IncentivePolicy
from publicity.policies import qualifying_households
from scoring import services as scoring
from tests.notices import admin_membership, approve_through_notice
from tests.scoring.test_accounts import Governance, in_november  # noqa: F401 — the autouse clock

pytestmark = pytest.mark.django_db


def test_a_policy_for_party_members_takes_the_first_of_their_ranking(world, client):
    g = Governance(world, year=2026)
    with township_scope(world.a.township):
        office = admin_membership(world.a.township.pk)
        entry = scoring.record_claim(
            membership=office,
            account=g.accounts["villager"],
            item=g.item,
            occurred_on=datetime.date(2026, 11, 2),
            channel="phone",
            cause="巡逻",
        )
        approve_through_notice([entry])
        before = IncentivePolicy.objects.count()
        with pytest.raises(DomainError, match=r"(no star rating|没有星级评定)"):
            services.create_policy(membership=office, name="话费充值", account_list="party_member")
        assert IncentivePolicy.objects.count() == before
        policy = services.create_policy(
            membership=office, name="话费充值", partner="移动公司", account_list="party_member", top=1
        )
        rows = qualifying_households(policy, 2026)
        assert [(r["head"], r["total"], r["rank"]) for r in rows] == [("王小红", Decimal("1"), "1/1")]
        villagers = services.create_policy(
            membership=office, name="养老院优先", account_list="resident", min_total=Decimal("1")
        )
        assert [r["head"] for r in qualifying_households(villagers, 2026)] == ["王小红"]  # 赵六 has 0
        with pytest.raises(DomainError, match=r"(No scheme of 2024|2024年没有)"):
            qualifying_households(villagers, 2024)

    client.force_login(world.a.admin)
    url = f"/t/{world.a.township.slug}/publicity/policies/{policy.pk}/qualifying/"
    page = client.get(url, {"year": 2026})
    assert page.status_code == 200 and "王小红" in page.content.decode()
    workbook = client.get(url, {"year": 2026, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2] == "账户主体" and rows[2][2] == "王小红"
    # Township B's office sees no policy of A.
    client.force_login(world.b.admin)
    assert client.get(url.replace("town-a", "town-b"), {"year": 2026}).status_code == 404
