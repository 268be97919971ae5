"""Onboarding's services, each called by someone without the right (tests/contract.py): merging, retiring and
restoring villages (the township office's) and areas (the office's and the village's clerk's), and creating a
township (the platform operator's only)."""

from django.utils import timezone

from households.models import Village
from households.onboarding import services as onboarding
from households.places import services as places
from tests.contract import member
from tests.factories import AreaFactory


def merge_villages(world):
    clerk = member(world.a.clerk)
    return lambda: places.merge_villages(
        membership=clerk, source=world.a.villages[1], target=world.a.villages[0], reason="并村"
    )


def retire_village(world):
    clerk, empty = member(world.a.clerk), Village.objects.create(township=world.a.township, name="空村")
    return lambda: places.retire_village(membership=clerk, village=empty, reason="撤村")


def restore_village(world):
    supervisor = member(world.a.supervisor)
    retired = Village.objects.create(township=world.a.township, name="旧村", retired_at=timezone.now())
    return lambda: places.restore_village(membership=supervisor, village=retired)


def merge_areas(world):
    """Areas of the clerk's other village."""
    clerk = member(world.a.clerk)
    other = AreaFactory(village=world.a.villages[1], township=world.a.township, name="二组")
    return lambda: places.merge_areas(membership=clerk, source=other, target=world.a.areas[1], reason="并组")


def retire_area(world):
    panel = member(world.a.panel)
    empty = AreaFactory(village=world.a.villages[0], township=world.a.township, name="三组")
    return lambda: places.retire_area(membership=panel, area=empty, reason="撤组")


def restore_area(world):
    county = member(world.a.county)
    retired = AreaFactory(
        village=world.a.villages[0], township=world.a.township, name="旧组", retired_at=timezone.now()
    )
    return lambda: places.restore_area(membership=county, area=retired)


def create_township(world):
    """A township's own administrator is no platform operator."""
    return lambda: onboarding.create_township(
        operator=world.a.admin, name="新镇", slug="new-town", admin_username="new-admin"
    )


CASES = {
    **{
        f"households.places.services.{case.__name__}": case
        for case in (merge_villages, retire_village, restore_village, merge_areas, retire_area, restore_area)
    },
    "households.onboarding.services.create_township": create_township,
}
