"""Transfers through the API: two entries, counting once both villages approve."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from review.models import ReviewRound, RoundKind, RoundState
from scoring import services
from scoring.models import Entry, Transfer
from scoring.selectors import annual_totals
from tests.contract import member
from tests.notices import approve_through_notice

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def scheme(world):
    admin = world.a.admin
    scheme = services.create_scheme(
        membership=member(admin), township=world.a.township, name="账户", year=2026, allows_transfers=True
    )
    category = services.add_category(
        membership=member(admin), scheme=scheme, name="综合", base_score=D("50"), cadence="annual"
    )
    services.activate_scheme(membership=member(admin), scheme=scheme)
    return scheme, category


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_transfer_between_villages_counts_after_both_sides_approve(world, scheme):
    scheme, category = scheme
    h1, h2 = world.a.households  # village 0 and village 1
    body = {
        "scheme": scheme.pk,
        "category": category.pk,
        "from_household": h1.pk,
        "to_household": h2.pk,
        "points": "2.5",
        "reason": "家庭内部转让",
    }
    created = _api(world.a.clerk).post("/api/v1/t/town-a/transfers/", body, format="json")
    assert created.status_code == 201, created.content
    transfer_id = created.json()["id"]
    assert annual_totals(scheme) == {h1.pk: D("50.00"), h2.pk: D("50.00")}
    first = _api(world.a.clerk).post(f"/api/v1/t/town-a/transfers/{transfer_id}/approve/")
    assert first.status_code == 200 and first.json()["state"] == "pending"  # the clerk keeps village 0 only
    assert annual_totals(scheme)[h2.pk] == D("50.00")
    second = _api(world.a.admin).post(f"/api/v1/t/town-a/transfers/{transfer_id}/approve/")
    assert second.status_code == 200 and second.json()["state"] == "approved"
    # Both villages agree; the two entries still wait for their villages' public notices.
    transfer = Transfer.objects.get(pk=transfer_id)
    entries = Entry.objects.filter(pk__in=[transfer.debit_id, transfer.credit_id])
    assert sorted(entries.values_list("state", flat=True)) == ["proposed", "proposed"]
    assert annual_totals(scheme) == {h1.pk: D("50.00"), h2.pk: D("50.00")}
    # One notice batch per village (h1 in village 0, h2 in village 1), both approved by the township.
    assert approve_through_notice(entries) == 2
    assert ReviewRound.objects.filter(kind=RoundKind.BATCH, state=RoundState.APPROVED).count() == 2
    assert annual_totals(scheme) == {h1.pk: D("47.50"), h2.pk: D("52.50")}  # 50 − 2.5, 50 + 2.5


def test_transfers_refuse_outsiders_read_only_members_and_foreign_accounts(world, scheme):
    scheme, category = scheme
    h1, h2 = world.a.households
    body = {
        "scheme": scheme.pk,
        "category": category.pk,
        "from_household": h1.pk,
        "to_household": h2.pk,
        "points": "1",
        "reason": "x",
    }
    assert (
        _api(world.a.supervisor).post("/api/v1/t/town-a/transfers/", body, format="json").status_code == 403
    )
    assert _api(world.b.admin).post("/api/v1/t/town-a/transfers/", body, format="json").status_code == 404
    foreign = {**body, "to_household": world.b.households[0].pk}
    assert _api(world.a.admin).post("/api/v1/t/town-a/transfers/", foreign, format="json").status_code == 400
    assert not Transfer.objects.exists() and not Entry.objects.exists()
    created = _api(world.a.admin).post("/api/v1/t/town-a/transfers/", body, format="json").json()
    assert _api(world.b.admin).get(f"/api/v1/t/town-b/transfers/{created['id']}/").status_code == 404
    assert _api(world.b.admin).post(f"/api/v1/t/town-b/transfers/{created['id']}/approve/").status_code == 404
    assert (
        _api(world.a.supervisor).post(f"/api/v1/t/town-a/transfers/{created['id']}/approve/").status_code
        == 403
    )


def test_a_scheme_without_transfers_refuses_them(world, scheme):
    scheme, category = scheme
    scheme.allows_transfers = False
    scheme.save()
    h1, h2 = world.a.households
    body = {
        "scheme": scheme.pk,
        "category": category.pk,
        "from_household": h1.pk,
        "to_household": h2.pk,
        "points": "1",
        "reason": "x",
    }
    assert _api(world.a.admin).post("/api/v1/t/town-a/transfers/", body, format="json").status_code == 400
    assert not Entry.objects.exists()
