"""Accounts as the ledger's subject (issue 14, items 1, 2, 3 and 8): the `social-governance` scheme keeps families',
villagers' and units' accounts; a grid worker claims for each kind through the API; the village's notice batch
posts them (villagers masked, units by name); the township approves; passbooks and each list's ranking read the one
score statement; points carry forward and transfers stay in the township. Bad input writes nothing."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, transaction

from core.permissions import Role
from core.tenancy import township_scope
from households.models import UnitKind
from publicity.notice import build_notice
from review.models import ReviewRound
from scoring import scheme_templates, services
from scoring.models import Account, AccountKind, Entry, EntryState, Item, RankingList
from scoring.rankings import Ranking
from scoring.selectors import account_scores, passbook
from tests.factories import MembershipFactory, ResidentFactory, UserFactory
from tests.notices import admin_membership, approve_through_notice, run_out
from tests.review.test_api_e2e import Api

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def in_november():
    with time_machine.travel(TODAY, tick=False):
        yield


class Governance:
    """Township A with the social-governance scheme (from 2025, carried forward) active, a villager who is a party
    member, a unit, and a grid worker of village 0."""

    def __init__(self, world, *, year=2025):
        self.world, t = world, world.a
        with township_scope(t.township):
            office = admin_membership(t.township.pk)
            self.scheme = scheme_templates.load_template(
                membership=office, township=t.township, name="social-governance", year=year
            )
            services.activate_scheme(membership=office, scheme=self.scheme)
            self.item = Item.objects.get(
                category__scheme=self.scheme, name="参加治安巡逻、看家护院等群防群治活动"
            )
            self.household = t.households[0]
            self.villager = ResidentFactory(household=self.household, name="王小红", is_party_member=True)
            self.plain = ResidentFactory(household=self.household, name="赵六")
            self.unit = services_unit(t)
            self.accounts = {
                "household": Account.objects.get(household=self.household),
                "villager": Account.objects.get(resident=self.villager),
                "plain": Account.objects.get(resident=self.plain),
                "unit": Account.objects.get(unit=self.unit),
            }
            self.other_village_unit = services_unit(t, village=t.villages[1], name="西村合作社")
        self.grid = UserFactory(username="a-grid")
        MembershipFactory(
            user=self.grid, township=t.township, role=Role.GRID_WORKER, villages=[t.villages[0]]
        )

    def claim(self, api, account, **extra):
        return api.post(
            "claims/",
            {
                "account": account.pk,
                "item": self.item.pk,
                "occurred_on": "2026-11-19",
                "channel": "wechat",
                "cause": "参加夜间巡逻",
                **extra,
            },
        )


def services_unit(t, *, village=None, name="东村超市"):
    from households.units.services import create_unit

    with township_scope(t.township):
        return create_unit(
            membership=admin_membership(t.township.pk),
            village=village or t.villages[0],
            name=name,
            kind=UnitKind.INDIVIDUAL_BUSINESS,
            contact_name="刘老板",
            contact_mobile="13900139000",
        )


def test_every_holder_has_its_account_and_an_entry_names_the_one_it_belongs_to(world):
    g = Governance(world)
    accounts = g.accounts
    assert [accounts[k].kind for k in ("household", "villager", "unit")] == ["household", "resident", "unit"]
    assert accounts["villager"].village_id == world.a.villages[0].pk
    assert accounts["villager"].area_id == world.a.areas[0].pk and accounts["unit"].area_id is None
    with township_scope(world.a.township):
        entry = services.record_claim(
            membership=admin_membership(world.a.township.pk),
            account=accounts["villager"],
            item=g.item,
            occurred_on=datetime.date(2026, 11, 1),
            channel="phone",
            cause="巡逻",
        )
    assert (entry.account_id, entry.household_id) == (accounts["villager"].pk, None)
    # The database refuses an entry whose household is not its account's.
    with pytest.raises(IntegrityError, match="its household must be its account"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(household=g.household)


def test_a_claim_for_each_kind_of_account_goes_through_the_notice_and_counts_in_its_own_ranking(world):
    g = Governance(world)
    grid = Api(world.a.township, g.grid)
    office = Api(world.a.township, world.a.admin)
    claims = {}
    for key in ("household", "villager", "unit"):
        answer = g.claim(grid, g.accounts[key], declarer_name="李大妈", declarer_relation="邻居")
        assert answer.status_code == 201, answer.json()
        claims[key] = answer.json()
        assert claims[key]["account"] == g.accounts[key].pk
        assert claims[key]["account_kind"] == g.accounts[key].kind
    assert claims["villager"]["holder"] == "王小红" and claims["villager"]["household_number"] == ""
    assert claims["unit"]["holder"] == "东村超市"
    assert claims["household"]["household_number"] == g.household.number

    batch = office.post("rounds/batch/", {"village": world.a.villages[0].pk, "scheme": g.scheme.pk})
    assert batch.status_code == 201, batch.json()
    round_ = ReviewRound.objects.get(pk=batch.json()["id"])
    with township_scope(world.a.township):
        notice = build_notice(round_)
    listed = {(row.number, row.head) for row in notice.rows}
    assert ("单位", "东村超市") in listed or ("Unit", "东村超市") in listed  # a unit by its name
    assert any(row.head == "王*红" for row in notice.rows)  # a villager masked, as every person
    assert len(notice.entries) == 3
    run_out(round_)
    assert office.move(round_.pk, "submit").status_code == 200
    assert office.move(round_.pk, "approve").status_code == 200
    assert (
        Entry.objects.filter(pk__in=[c["id"] for c in claims.values()], state=EntryState.APPROVED).count()
        == 3
    )

    book = office.get(f"accounts/{g.accounts['villager'].pk}/passbook/", scheme=g.scheme.pk)
    assert book.status_code == 200, book.json()
    assert D(book.json()["total"]) == D("1") and len(book.json()["rows"]) == 1
    unit_book = office.get(f"accounts/{g.accounts['unit'].pk}/passbook/", scheme=g.scheme.pk).json()
    assert D(unit_book["total"]) == D("1")

    party = office.get("rankings/", scheme=g.scheme.pk, list="party_member").json()["results"]
    assert [(r["name"], r["rank"], D(r["total"])) for r in party] == [("王小红", 1, D("1"))]
    villagers = office.get("rankings/", scheme=g.scheme.pk, list="resident").json()["results"]
    assert [r["name"] for r in villagers][:1] == ["王小红"]  # 赵六 (no points) ranks after her
    assert {r["name"] for r in villagers} >= {"王小红", "赵六"}
    units = office.get("rankings/", scheme=g.scheme.pk, list="unit").json()["results"]
    assert [(r["name"], D(r["total"])) for r in units][0] == ("东村超市", D("1"))
    families = office.get("rankings/", scheme=g.scheme.pk, list="household").json()["results"]
    assert families[0]["number"] == g.household.number and D(families[0]["total"]) == D("1")
    # The grid worker of village 0 sees village 0's units only.
    seen = {r["name"] for r in grid.get("rankings/", scheme=g.scheme.pk, list="unit").json()["results"]}
    assert seen == {"东村超市"}


def test_points_carry_forward_and_the_ranking_counts_the_year_or_everything(world):
    g = Governance(world, year=2025)
    villager = g.accounts["villager"]
    with township_scope(world.a.township):
        office = admin_membership(world.a.township.pk)
        with time_machine.travel(datetime.datetime(2025, 6, 2, tzinfo=datetime.UTC), tick=False):
            old = services.record_claim(
                membership=office,
                account=villager,
                item=g.item,
                occurred_on=datetime.date(2025, 6, 1),
                channel="sms",
                cause="巡逻",
            )
        new = services.record_claim(
            membership=office,
            account=g.accounts["plain"],
            item=g.item,
            occurred_on=datetime.date(2026, 11, 1),
            channel="sms",
            cause="巡逻",
        )
        approve_through_notice([old, new])
        assert account_scores(g.scheme, Account.objects.filter(pk=villager.pk))[villager.pk].total == D("1")
        this_year = Ranking(g.scheme, RankingList.RESIDENT)[0:10]
        assert (this_year[0].name, this_year[0].total) == ("赵六", D("1"))
        assert ("王小红", D("0")) in [(r.name, r.total) for r in this_year]  # her points were 2025's
        last_year = Ranking(g.scheme, RankingList.RESIDENT, year=2025)[0:10]
        assert last_year[0].name == "王小红"
        g.scheme.rank_by = "cumulative"
        g.scheme.save(update_fields=["rank_by"])
        everything = Ranking(g.scheme, RankingList.RESIDENT)[0:10]
        assert {(r.name, r.total) for r in everything[:2]} == {("赵六", D("1")), ("王小红", D("1"))}
        assert everything[0].rank == everything[1].rank == 1  # equal totals share a rank
        assert passbook(villager, g.scheme)["total"] == D("1")
        with pytest.raises(Exception, match=r"(from 2025 on|2025年起)"):
            services.record_claim(
                membership=office,
                account=villager,
                item=g.item,
                occurred_on=datetime.date(2024, 12, 1),
                channel="sms",
                cause="巡逻",
            )


def test_a_scheme_refuses_accounts_it_does_not_keep(world):
    from tests.scoring.contract_cases import Catalogue

    c = Catalogue(world)  # a households-only scheme
    with township_scope(world.a.township):
        villager = Account.objects.get(resident=world.a.resident)
        before = Entry.objects.count()
        with pytest.raises(Exception, match=r"(keeps no accounts|不管理)"):
            services.record_claim(
                membership=admin_membership(world.a.township.pk),
                account=villager,
                item=c.item,
                occurred_on=c.day,
                channel="phone",
                cause="巡逻",
            )
        assert Entry.objects.count() == before


def test_bad_claims_for_accounts_are_refused_and_write_nothing(world):
    g = Governance(world)
    grid = Api(world.a.township, g.grid)
    before = Entry.objects.count()
    with township_scope(world.b.township):
        b_account = Account.objects.filter(township=world.b.township).first()
    # Another township's account: not found among those the member sees.
    assert g.claim(grid, b_account).status_code == 400
    # Another village's unit: not the grid worker's.
    with township_scope(world.a.township):
        other = Account.objects.get(unit=g.other_village_unit)
    assert g.claim(grid, other).status_code == 400
    # Both a household and an account, or neither.
    both = g.claim(grid, g.accounts["villager"], household=g.household.pk)
    assert both.status_code == 400 and "account" in both.json()["errors"]
    neither = grid.post(
        "claims/", {"item": g.item.pk, "occurred_on": "2026-11-19", "channel": "qq", "cause": "x"}
    )
    assert neither.status_code == 400
    # An archived unit takes no claim.
    from households.units.services import archive_unit

    with township_scope(world.a.township):
        archive_unit(membership=admin_membership(world.a.township.pk), unit=g.unit, reason="停业")
    archived = g.claim(Api(world.a.township, world.a.admin), g.accounts["unit"])
    assert archived.status_code == 400, archived.json()
    assert Entry.objects.count() == before


def test_transfers_between_accounts_stay_in_the_township(world):
    g = Governance(world)
    with township_scope(world.a.township):
        office = admin_membership(world.a.township.pk)
        category = g.item.category
        transfer = services.transfer_points(
            membership=office,
            scheme=g.scheme,
            from_household=g.accounts["villager"],
            to_household=g.accounts["unit"],
            category=category,
            points="2",
            reason="转让给合作社",
        )
        assert (transfer.debit.account_id, transfer.credit.account_id) == (
            g.accounts["villager"].pk,
            g.accounts["unit"].pk,
        )
        assert transfer.debit.household_id is None and transfer.debit.year == 2026
    with township_scope(world.b.township):
        b_account = Account.objects.filter(township=world.b.township, kind=AccountKind.HOUSEHOLD).first()
    before = Entry.objects.count()
    with (
        township_scope(world.a.township),
        pytest.raises(Exception, match="同一个乡镇"),
    ):  # the default language (zh-hans)
        services.transfer_points(
            membership=office,
            scheme=g.scheme,
            from_household=g.accounts["villager"],
            to_household=b_account,
            category=category,
            points="1",
            reason="跨镇",
        )
    assert Entry.objects.count() == before


def test_the_account_pages_find_show_and_rank(world, client):
    g = Governance(world)
    client.force_login(g.grid)
    base = f"/t/{world.a.township.slug}/scoring/"
    found = client.get(base + "accounts/", {"q": "王小红"})
    assert found.status_code == 200 and "王小红" in found.content.decode()
    assert "西村合作社" not in client.get(base + "accounts/", {"q": "合作社"}).content.decode()
    page = client.get(base + f"accounts/{g.accounts['villager'].pk}/")
    assert page.status_code == 200 and "王小红" in page.content.decode()
    assert (
        client.get(base + f"accounts/{g.accounts['household'].pk}/").status_code == 302
    )  # the household's page
    with township_scope(world.a.township):
        other = Account.objects.get(unit=g.other_village_unit)
    assert client.get(base + f"accounts/{other.pk}/").status_code == 404
    ranking = client.get(base + "rankings/", {"scheme": g.scheme.pk, "list": "party_member"})
    assert ranking.status_code == 200 and "王小红" in ranking.content.decode()
    assert client.get(base + "rankings/", {"scheme": g.scheme.pk, "list": "nonsense"}).status_code == 404
    claim_page = client.get(
        f"/t/{world.a.township.slug}/review/claims/new/", {"account": g.accounts["unit"].pk}
    )
    assert claim_page.status_code == 200 and "东村超市" in claim_page.content.decode()


def test_lists_make_a_constant_number_of_queries(world, django_assert_max_num_queries):
    g = Governance(world)
    office = Api(world.a.township, world.a.admin)
    with township_scope(world.a.township):
        for n in range(6):
            ResidentFactory(household=g.household, name=f"村民{n}")
    with django_assert_max_num_queries(12):
        assert office.get("rankings/", scheme=g.scheme.pk, list="resident").status_code == 200
    with django_assert_max_num_queries(12):
        assert office.get("accounts/").status_code == 200


def test_a_villagers_false_claim_costs_her_account_double_through_the_notice(world):
    g = Governance(world)
    with township_scope(world.a.township):
        office = admin_membership(world.a.township.pk)
        claim = services.record_claim(
            membership=office,
            account=g.accounts["unit"],
            item=g.item,
            occurred_on=datetime.date(2026, 11, 3),
            channel="phone",
            cause="巡逻",
        )
        penalty = services.penalise_false_declaration(membership=office, entry=claim, reason="当晚并未巡逻")
        assert (penalty.account_id, penalty.household_id, penalty.points) == (
            g.accounts["unit"].pk,
            None,
            D("-2"),
        )
        assert penalty.state == EntryState.PROPOSED  # it counts through the village's next notice
        approve_through_notice([penalty])
        unit = g.accounts["unit"]
        assert account_scores(g.scheme, Account.objects.filter(pk=unit.pk))[unit.pk].total == D("-2")
