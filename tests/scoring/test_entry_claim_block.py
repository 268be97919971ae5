"""The ledger API's entries carry their claim (issue 14): a nested read-only `claim` block — how and by whom it
was declared, when, where, why, the first check — null for an entry that is not a claim, read in the same query
as the entry (the list's query count does not grow with claims)."""

import datetime

import pytest
from django.urls import reverse

from tests.contract import member
from tests.factories import HouseholdFactory
from tests.households import test_api as roster_api
from tests.households.test_api import count_queries
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db
api = roster_api.api


def claim(c, household, **kwargs):
    from scoring import services

    return services.record_claim(
        membership=c.office,
        household=household,
        item=c.item,
        occurred_on=c.day,
        channel="wechat",
        cause="拾金不昧",
        **kwargs,
    )


def entries_url(world, *args):
    kwargs = {"township_slug": world.a.township.slug, **({"pk": args[0]} if args else {})}
    return reverse("scoring_api:entry-detail" if args else "scoring_api:entry-list", kwargs=kwargs)


def test_an_entry_that_is_a_claim_shows_its_claim_and_another_shows_null(world, api):
    c = Catalogue(world)
    world.a.admin.first_name = "刘镇长"
    world.a.admin.save()
    entry = claim(
        c,
        c.h1,
        declarer_name="张小明",
        declarer_relation="儿子",
        place="村口",
        happened_at=datetime.time(8, 15),
    )
    direct = c.record(c.h1)
    client = api(world.a.clerk)

    block = client.get(entries_url(world, entry.pk)).json()["claim"]
    plain = client.get(entries_url(world, direct.pk)).json()["claim"]

    assert plain is None
    assert block["channel"] == "wechat" and block["cause"] == "拾金不昧"
    assert (block["declarer_name"], block["declarer_relation"]) == ("张小明", "儿子")
    assert block["happened_at"] == "08:15:00" and block["place"] == "村口"
    assert block["checked_by"] == "刘镇长" and block["checked_at"]


def test_the_entry_list_reads_claims_without_a_query_per_entry(world, api):
    c = Catalogue(world)
    client = api(world.a.admin)
    path = entries_url(world) + f"?scheme={c.scheme.pk}"
    claim(c, c.h1)
    c.record(c.h1)
    small, count = count_queries(client, path)
    assert count == 2
    more = [HouseholdFactory(area=world.a.areas[0], number=f"A-1{i:02d}") for i in range(6)]
    for household in more:
        claim(c, household)
        claim(c, household, checked=False)
        c.record(household, membership=member(world.a.clerk))

    again, count = count_queries(client, path)

    assert count == 20 and again == small
    rows = client.get(path).json()["results"]
    assert sum(row["claim"] is not None for row in rows) == 13
    assert sum(row["claim"] is not None and row["claim"]["checked_by"] == "" for row in rows) == 6
