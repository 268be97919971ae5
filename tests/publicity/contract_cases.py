"""Publicity's services, each called by a member without the right (tests/contract.py): the incentive policies
are the township office's; a clerk or a supervisor is refused and nothing is written."""

from publicity import services
from publicity.models import IncentivePolicy
from tests.contract import member


def _policy(world) -> IncentivePolicy:
    return IncentivePolicy.objects.get(township=world.a.township, key="bank")


def create_policy(world):
    clerk = member(world.a.clerk)
    return lambda: services.create_policy(membership=clerk, name="就医绿色通道", partner="镇卫生院")


def update_policy(world):
    supervisor = member(world.a.supervisor)
    return lambda: services.update_policy(membership=supervisor, policy=_policy(world), name="改名")


def deactivate_policy(world):
    clerk = member(world.a.clerk)
    return lambda: services.deactivate_policy(membership=clerk, policy=_policy(world))


CASES = {
    f"publicity.services.{case.__name__}": case for case in (create_policy, update_policy, deactivate_policy)
}
