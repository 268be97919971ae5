"""The household list's serializers read their fields straight from the rows (bench/list_1000.py): what they answer
is what DRF's field-by-field path answers, masked or not."""

import datetime
from types import SimpleNamespace

import pytest

from households.api.roster import HouseholdSerializer
from households.models import Household, Participation
from tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def drf_answer(serializer, instance) -> dict:
    """DRF's own field-by-field answer (ModelSerializer.to_representation), members masked as the roster masks them:
    the oracle the fast path is held to."""
    from rest_framework import serializers

    from households.validators import mask_id_number, mask_mobile

    if not hasattr(instance, "member_list"):
        instance.member_list = list(instance.members.current())
    data = serializers.ModelSerializer.to_representation(serializer, instance)
    child = serializer.fields["members"].child
    members = []
    for member in instance.member_list:
        row = serializers.ModelSerializer.to_representation(child, member)
        if not child.reveals:
            row["id_number"], row["mobile"] = mask_id_number(member.id_number), mask_mobile(member.mobile)
        members.append(row)
    data["members"] = members
    return data


def test_the_fast_household_answer_is_drfs_own_for_every_field_masked_or_not(world):
    from households.models import Membership

    open_one = world.a.households[0]  # a head with an ID number and a mobile
    ResidentFactory(household=open_one, name="张小明", mobile="13900139000")
    closed = HouseholdFactory(area=world.a.areas[0], number="A-099")
    Household.objects.filter(pk=closed.pk).update(
        status="closed", ended_on=datetime.date(2026, 3, 1), participation=Participation.NOT_ELIGIBLE
    )
    for user, masked in ((world.a.admin, False), (world.a.supervisor, True)):
        membership = Membership.objects.get(user=user)
        for household in Household.objects.filter(pk__in=[open_one.pk, closed.pk]):
            serializer = HouseholdSerializer(
                household, context={"view": SimpleNamespace(membership=membership)}
            )
            fast, generic = serializer.data, drf_answer(serializer, household)
            assert dict(fast) == dict(generic)
            assert set(fast) == {n for n, f in serializer.fields.items() if not f.write_only}
        head = HouseholdSerializer(open_one, context={"view": SimpleNamespace(membership=membership)}).data
        mobiles = [m["mobile"] for m in head["members"]]
        assert ("13900139000" in mobiles) is not masked
