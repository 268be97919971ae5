"""Each list (issue 14, items 2 and 5): incentive policies for villagers, party members or units qualify the first so
many of that list's ranking and/or a least total — they have no star rating — and print and export the list with
masked numbers (a policy of such a list without either rule is refused, nothing written); a village's honour roll
per list; the dashboards per list; the printed passbook of a villager's and a unit's account."""

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


def crowd(world, g) -> None:
    """Lists long enough for bands (with 3 accounts, 10/20/30 % is no rank at all): village 0 gets seven more
    villagers (three of them party members) and three more units, none with points."""
    from tests.factories import ResidentFactory
    from tests.scoring.test_accounts import services_unit

    with township_scope(world.a.township):
        for n in range(7):
            ResidentFactory(household=g.household, name=f"村民{n}", is_party_member=n < 3)
    for n in range(3):
        services_unit(world.a, name=f"东村商户{n}")


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
        with pytest.raises(DomainError, match=r"(other lists|其他榜单)"):
            services.create_policy(membership=office, name="积分贷", top=3)  # star households go by stars
        assert IncentivePolicy.objects.count() == before
        policy = services.create_policy(
            membership=office, name="话费充值", partner="移动公司", account_list="party_member", top=1
        )
        rows = qualifying_households(policy, 2026)
        assert [(r["head"], r["total"], r["rank"]) for r in rows] == [("王小红", Decimal("1"), "1/1")]
        # By the stars of the village's list: too short for a band (3 villagers: 30 % of 3 is no rank) ...
        villagers = services.create_policy(
            membership=office, name="养老院优先", account_list="resident", min_stars=3
        )
        assert qualifying_households(villagers, 2026) == []
    crowd(world, g)
    with township_scope(world.a.township):
        # ... then first of ten villagers: rank 1 ≤ 10 % of 10, five stars; the others have no points, no star.
        assert [(r["head"], r["stars"], r["rank"]) for r in qualifying_households(villagers, 2026)] == [
            ("王小红", 5, "1/10")
        ]
        rich = services.create_policy(
            membership=office,
            name="就医绿色通道",
            account_list="resident",
            min_stars=3,
            min_total=Decimal("5"),
        )
        assert qualifying_households(rich, 2026) == []
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


def test_a_village_honours_its_party_members_and_units_on_a_printed_roll(world, client, tmp_path):
    import subprocess

    g = Governance(world, year=2026)
    with township_scope(world.a.township):
        office = admin_membership(world.a.township.pk)
        entries = [
            scoring.record_claim(
                membership=office,
                account=g.accounts[key],
                item=g.item,
                occurred_on=datetime.date(2026, 11, 2),
                channel="phone",
                cause="巡逻",
            )
            for key in ("villager", "unit")
        ]
        approve_through_notice(entries)
    crowd(world, g)
    client.force_login(world.a.clerk)
    url = f"/t/{world.a.township.slug}/publicity/villages/{world.a.villages[0].pk}/honour-roll.pdf"
    # First of four party members and of four units: rank 1 ≤ 30 % of 4, three stars each.
    for ranking, expected in (("party_member", "王*红"), ("unit", "东村超市")):
        response = client.get(url, {"scheme": g.scheme.pk, "list": ranking})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        pdf = tmp_path / f"{ranking}.pdf"
        pdf.write_bytes(response.content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "光荣榜" in text and expected in text and "3星" in text and "赵六" not in text  # no points
    assert client.get(url, {"scheme": g.scheme.pk, "list": "nonsense"}).status_code == 404
    # The other village has nobody with points: a clear refusal, not an empty roll.
    client.force_login(world.a.admin)
    other = f"/t/{world.a.township.slug}/publicity/villages/{world.a.villages[1].pk}/honour-roll.pdf"
    assert client.get(other, {"scheme": g.scheme.pk, "list": "resident"}).status_code == 400
    # Township B's member: not found.
    client.force_login(world.b.admin)
    assert client.get(url.replace("town-a", "town-b"), {"list": "unit"}).status_code == 404


def test_the_dashboards_count_each_list(world, client):
    g = Governance(world, year=2026)
    with township_scope(world.a.township):
        office = admin_membership(world.a.township.pk)
        entries = [
            scoring.record_claim(
                membership=office,
                account=g.accounts[key],
                item=g.item,
                occurred_on=datetime.date(2026, 11, 2),
                channel="phone",
                cause="巡逻",
            )
            for key in ("villager", "unit", "household")
        ]
        approve_through_notice(entries)
        from oversight.selectors.accounts import list_figures

        figures = {f.ranking.value: f for f in list_figures(2026)}
        assert list(figures) == ["household", "resident", "party_member", "unit"]
        assert (figures["party_member"].accounts, figures["party_member"].with_points) == (1, 1)
        assert figures["resident"].with_points == 1 and figures["resident"].accounts >= 3
        assert (figures["unit"].accounts, figures["unit"].with_points, figures["unit"].given) == (
            2,
            1,
            Decimal("1"),
        )
        assert list_figures(2024) == []  # no scheme keeps such accounts then
    client.force_login(world.a.admin)
    page = client.get(f"/t/{world.a.township.slug}/oversight/", {"year": 2026})
    assert page.status_code == 200 and "各类积分账户" in page.content.decode()


def test_the_passbook_of_a_villager_and_of_a_unit_prints_with_chinese_fonts(world, client, tmp_path):
    import subprocess

    g = Governance(world, year=2026)
    with township_scope(world.a.township):
        entry = scoring.record_claim(
            membership=admin_membership(world.a.township.pk),
            account=g.accounts["villager"],
            item=g.item,
            occurred_on=datetime.date(2026, 11, 2),
            channel="phone",
            cause="巡逻",
        )
        approve_through_notice([entry])
    client.force_login(world.a.clerk)
    base = f"/t/{world.a.township.slug}/publicity/accounts/"
    for key, expected in (("villager", "村民 王小红（党员）"), ("unit", "单位 东村超市")):
        expected_entry = "参加治安巡逻" if key == "villager" else "暂无积分记录"
        response = client.get(f"{base}{g.accounts[key].pk}/passbook.pdf", {"scheme": g.scheme.pk})
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        pdf = tmp_path / f"{key}.pdf"
        pdf.write_bytes(response.content)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "行为银行存折" in text and expected in text and "累计不清零" in text
        assert expected_entry in text
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "CJK" in fonts
    # A family's account prints as its household's passbook; here it is not found, as another township's.
    assert client.get(f"{base}{g.accounts['household'].pk}/passbook.pdf").status_code == 404
    client.force_login(world.b.admin)
    assert (
        client.get(f"{base.replace('town-a', 'town-b')}{g.accounts['villager'].pk}/passbook.pdf").status_code
        == 404
    )


def test_a_villagers_claim_gets_its_reward_slip_naming_her_account(world, client, tmp_path):
    import subprocess

    g = Governance(world, year=2026)
    with township_scope(world.a.township):
        entry = scoring.record_claim(
            membership=admin_membership(world.a.township.pk),
            account=g.accounts["villager"],
            item=g.item,
            occurred_on=datetime.date(2026, 11, 2),
            channel="wechat",
            cause="夜间巡逻",
            declarer_name="李大妈",
            declarer_relation="邻居",
        )
        approve_through_notice([entry])
    client.force_login(world.a.clerk)
    response = client.get(f"/t/{world.a.township.slug}/publicity/claims/{entry.pk}/slip.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "奖分通知单" in text and "王小红" in text and "村民" in text and "历年累计" in text
    assert "李大妈" in text and "+1" in text
