"""A villager's and a unit's own page (issue 14, item 6, for every account kind): the clerk issues the QR with
their printed passbook; the second factor is what the holder knows (a villager's own mobile or ID, else the head's;
a unit's contact mobile); the page shows that account's points and stars only, takes a self-declaration and an
appeal against the account's own entry; a forged, revoked or another account's code opens nothing."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.tenancy import township_scope
from scoring import services as scoring
from scoring.models import Appeal, SelfDeclaration
from tests.contract import member
from tests.factories import ResidentFactory
from tests.notices import admin_membership, approve_through_notice
from tests.scoring.test_accounts import Governance, in_november  # noqa: F401 — the autouse clock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _url(code):
    return reverse("publicity:villager-page", kwargs={"code": code})


@pytest.fixture
def g(world):
    g = Governance(world, year=2026)
    with township_scope(world.a.township):
        g.villager.mobile = "13912345678"
        g.villager.save()
        entry = scoring.record_claim(
            membership=admin_membership(world.a.township.pk),
            account=g.accounts["villager"],
            item=g.item,
            occurred_on=datetime.date(2026, 11, 2),
            channel="phone",
            cause="夜间巡逻",
        )
        approve_through_notice([entry])
    g.entry = entry
    return g


def test_the_clerk_prints_a_villagers_passbook_with_its_qr_and_she_opens_her_own_page(world, client, g):
    client.force_login(world.a.clerk)
    account = g.accounts["villager"]
    printed = client.post(
        f"/t/{world.a.township.slug}/publicity/accounts/{account.pk}/passbook-code/?scheme={g.scheme.pk}"
    )
    assert printed.status_code == 200 and printed["Content-Type"] == "application/pdf"
    assert "no-store" in printed["Cache-Control"]
    with township_scope(world.a.township):
        assert scoring.live_code(account) is not None
        # The code itself is only in the PDF: for the test, issue the next one directly (a reprint).
        _row, code = scoring.issue_code(membership=member(world.a.clerk), household=account)
    client.logout()
    page = client.get(_url(code))
    assert page.status_code == 200 and "王小红" not in page.content.decode()  # no name before the factor
    assert client.post(_url(code), {"digits": "8000"}).status_code == 400  # the head's: she has her own
    assert client.post(_url(code), {"digits": "5678"}).status_code == 302
    opened = client.get(_url(code)).content.decode()
    assert "王小红" in opened and "参加治安巡逻" in opened and g.household.number in opened
    assert 'id="villager-balance">1<' in opened  # her one point, spendable (nothing redeemed)
    assert "张三明" not in opened  # no other person's name

    # She appeals her own entry and declares something with no photo.
    assert (
        client.post(
            _url(code), {"form": "appeal", "appeal-entry": g.entry.pk, "appeal-reason": "记错了人"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            _url(code),
            {
                "form": "declaration",
                "declaration-what_happened": "帮邻居修屋顶",
                "declaration-occurred_on": "2026-11-10",
            },
        ).status_code
        == 302
    )
    with township_scope(world.a.township):
        appeal = Appeal.objects.get()
        declaration = SelfDeclaration.objects.get()
        assert (appeal.account_id, appeal.household_id) == (account.pk, None)
        assert declaration.account_id == account.pk
        entry = scoring.take_self_declaration(
            membership=member(world.a.clerk), declaration=declaration, item=g.item
        )
        assert entry.account_id == account.pk and entry.household_id is None


def test_a_units_page_asks_for_its_contacts_mobile_and_shows_only_its_account(world, client, g):
    unit = g.accounts["unit"]
    with township_scope(world.a.township):
        _row, code = scoring.issue_code(membership=member(world.a.clerk), household=unit)
    assert client.post(_url(code), {"digits": "5678"}).status_code == 400  # not the unit's
    assert client.post(_url(code), {"digits": "9000"}).status_code == 302  # 13900139000
    opened = client.get(_url(code)).content.decode()
    assert "东村超市" in opened and "王小红" not in opened
    # A revoked code opens nothing; the clerk of another village cannot revoke it (not found).
    client.force_login(world.a.admin)
    revoke = f"/t/{world.a.township.slug}/publicity/accounts/{unit.pk}/passbook-code/revoke/"
    assert client.post(revoke).status_code == 302
    client.logout()
    assert client.get(_url(code)).status_code == 404


def test_other_townships_and_villages_cannot_issue_a_villagers_code(world, client, g):
    account = g.accounts["villager"]
    with township_scope(world.a.township):
        other = ResidentFactory(household=world.a.households[1], name="西村人")
        from scoring.models import Account

        far = Account.objects.get(resident=other)
    client.force_login(world.a.clerk)  # the clerk of village 0
    assert (
        client.post(f"/t/{world.a.township.slug}/publicity/accounts/{far.pk}/passbook-code/").status_code
        == 404
    )
    client.force_login(world.b.admin)
    issue = f"/t/{world.b.township.slug}/publicity/accounts/{account.pk}/passbook-code/"
    assert client.post(issue).status_code == 404
    with township_scope(world.a.township):
        assert scoring.live_code(account) is None
