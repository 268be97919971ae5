"""Every service that changes state refuses a member without the right, and writes nothing (tests/contract.py)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from core.tenancy import township_scope

from .contract import all_cases, public_services

CASES, EXEMPT = all_cases()


def test_every_service_is_listed():
    services = public_services()
    listed = set(CASES) | set(EXEMPT)
    assert not set(CASES) & set(EXEMPT), "a service is both a case and exempt"
    assert services - listed == set(), "services without a refusal case (tests/<app>/contract_cases.py)"
    assert listed - services == set(), "cases or exemptions for services that no longer exist"


def test_exemptions_say_why():
    assert all(len(reason) >= 8 for reason in EXEMPT.values())


def _writes() -> int:
    """Rows this transaction inserted, updated or deleted so far (PostgreSQL's own counters)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_service_refuses_a_member_without_the_right(world, name):
    call = CASES[name](world)
    before = _writes()
    with township_scope(world.a.township), pytest.raises(PermissionDenied), transaction.atomic():
        call()
    assert _writes() == before, f"{name} wrote before it refused"
