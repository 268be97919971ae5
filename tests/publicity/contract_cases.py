"""Publicity's services, each called by a member without the right (tests/contract.py): the incentive policies
are the township office's; a clerk or a supervisor is refused and nothing is written."""

from core.tenancy import township_scope
from households.models import Role
from publicity import services
from publicity.models import IncentivePolicy
from tests.contract import member
from tests.factories import MembershipFactory, UserFactory


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


def _parent_of(world, household):
    """A parent (school role) of `household` in township A: the role names one student."""
    user = UserFactory(username=f"parent-{household.number}")
    MembershipFactory(
        user=user,
        township=world.a.township,
        role=Role.PARENT,
        villages=[household.village],
        student=household,
    )
    return member(user)


def write_parent_comment(world):
    mine, other = world.a.households
    other.village = mine.village  # the parent of a classmate: same class, another student
    other.save()
    parent = _parent_of(world, other)
    return lambda: services.write_parent_comment(
        membership=parent, household=mine, month="2025-11", text="别人的孩子"
    )


def mark_comment_read(world):
    household = world.a.households[0]
    parent = _parent_of(world, household)
    with township_scope(world.a.township):
        comment = services.write_parent_comment(
            membership=parent, household=household, month="2025-11", text="收到"
        )
    return lambda: services.mark_comment_read(membership=parent, comment=comment)


def update_notice_settings(world):
    """The notice and privacy settings are the township office's: a clerk cannot change them."""
    clerk = member(world.a.clerk)
    return lambda: services.update_notice_settings(membership=clerk, full_names=True, contact="镇办电话")


CASES = {
    f"publicity.services.{case.__name__}": case
    for case in (
        create_policy,
        update_policy,
        deactivate_policy,
        write_parent_comment,
        mark_comment_read,
        update_notice_settings,
    )
}
