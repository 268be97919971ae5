"""The roster's services, each called by a member without the right (tests/contract.py): clerks of the other
village, read-only roles (supervisor, county viewer, panel member) and clerks on the township office's work."""

from django.utils import timezone

from core.tenancy import no_township_scope, township_scope
from households import people, services
from households.importing import services as importing
from households.life import services as life
from households.models import Membership, Resident, Role
from households.units import services as units
from tests.contract import member
from tests.factories import ResidentFactory, UnitFactory, UserFactory

ROSTER_CSV = "村,片区,户号,姓名,是否户主\na东村,一组,A-500,王五,是\n".encode()


# Villages and memberships are the township office's ------------------------------------------------------------


def create_village(world):
    clerk = member(world.a.clerk)
    return lambda: services.create_village(membership=clerk, name="新村")


def update_village(world):
    clerk = member(world.a.clerk)
    return lambda: services.update_village(membership=clerk, village=world.a.villages[0], name="改名村")


def grant_membership(world):
    clerk, newcomer = member(world.a.clerk), UserFactory(username="newcomer")
    return lambda: services.grant_membership(membership=clerk, user=newcomer, role=Role.SUPERVISOR)


def revoke_membership(world):
    supervisor, target = member(world.a.supervisor), Membership.objects.get(user=world.a.clerk)
    return lambda: services.revoke_membership(membership=supervisor, target=target)


def create_member_account(world):
    clerk = member(world.a.clerk)
    return lambda: services.create_member_account(
        membership=clerk, username="newcomer", password="Newcomer-2026-pw", role=Role.SUPERVISOR
    )


# A village's roster is kept by the township office and that village's clerk -------------------------------------


def create_area(world):
    clerk = member(world.a.clerk)  # of the first village only
    return lambda: services.create_area(membership=clerk, village=world.a.villages[1], name="二组")


def update_area(world):
    panel = member(world.a.panel)
    return lambda: services.update_area(membership=panel, area=world.a.areas[0], name="二组")


def create_household(world):
    clerk = member(world.a.clerk)
    return lambda: services.create_household(
        membership=clerk, area=world.a.areas[1], number="A-300", head={"name": "赵六"}
    )


def update_household(world):
    county = member(world.a.county)
    return lambda: services.update_household(
        membership=county, household=world.a.households[0], address="新址"
    )


def add_resident(world):
    supervisor = member(world.a.supervisor)
    return lambda: services.add_resident(
        membership=supervisor, household=world.a.households[0], name="张小明"
    )


def update_resident(world):
    panel = member(world.a.panel)
    return lambda: services.update_resident(membership=panel, resident=world.a.resident, mobile="13912345678")


def remove_resident(world):
    clerk, other_village = member(world.a.clerk), Resident.objects.get(household=world.a.households[1])
    return lambda: services.remove_resident(membership=clerk, resident=other_village, reason="迁出")


def move_household(world):
    """The clerk keeps the household's village, not the village it would move to."""
    clerk = member(world.a.clerk)
    return lambda: services.move_household(
        membership=clerk, household=world.a.households[0], to_area=world.a.areas[1], reason="搬迁"
    )


# Imports write the roster: read-only roles neither upload nor commit one ----------------------------------------


def create_batch(world):
    supervisor = member(world.a.supervisor)
    return lambda: importing.create_batch(membership=supervisor, filename="roster.csv", data=ROSTER_CSV)


def commit_batch(world):
    with no_township_scope(), township_scope(world.a.township):  # uploaded by the township office
        batch = importing.create_batch(
            membership=member(world.a.admin), filename="roster.csv", data=ROSTER_CSV
        )
    panel = member(world.a.panel)
    return lambda: importing.commit_batch(membership=panel, batch=batch)


def map_columns(world):
    """A supervisor reads the roster; mapping an upload's columns (and remembering it for the village) is not theirs."""
    with no_township_scope(), township_scope(world.a.township):
        batch = importing.create_batch(
            membership=member(world.a.admin),
            filename="own.csv",
            data="户号,村,生产队,户主姓名\nA-500,a东村,一组,王五\n".encode(),
        )
    supervisor = member(world.a.supervisor)
    return lambda: importing.map_columns(membership=supervisor, batch=batch, fields={"area": 2})


# Units are kept like households: by the township office and the village's clerk -----------------------------------


def create_unit(world):
    clerk = member(world.a.clerk)  # of the first village only
    return lambda: units.create_unit(
        membership=clerk,
        village=world.a.villages[1],
        name="西村农机合作社",
        kind="cooperative",
        contact_name="李经理",
        contact_mobile="13900000009",
    )


def update_unit(world):
    county, unit = member(world.a.county), UnitFactory(village=world.a.villages[0])
    return lambda: units.update_unit(membership=county, unit=unit, contact_name="新联系人")


def archive_unit(world):
    supervisor, unit = member(world.a.supervisor), UnitFactory(village=world.a.villages[0])
    return lambda: units.archive_unit(membership=supervisor, unit=unit, reason="已注销")


def restore_unit(world):
    """An archived unit of the clerk's other village: the clerk cannot bring it back."""
    clerk = member(world.a.clerk)
    unit = UnitFactory(village=world.a.villages[1], archived_at=timezone.now())
    return lambda: units.restore_unit(membership=clerk, unit=unit)


# A household's life (issue 16): the village's clerk and the township office -------------------------------------


def end_resident(world):
    clerk, other_village = member(world.a.clerk), Resident.objects.get(household=world.a.households[1])
    return lambda: life.end_resident(
        membership=clerk, resident=other_village, ended_on=timezone.localdate(), reason="died"
    )


def change_head(world):
    panel, household = member(world.a.panel), world.a.households[0]
    son = ResidentFactory(household=household, name="张小明")
    return lambda: life.change_head(membership=panel, household=household, new_head=son, reason="年迈")


def transfer_members(world):
    """The clerk keeps the member's village, not the household they would move to."""
    clerk = member(world.a.clerk)
    return lambda: life.transfer_members(
        membership=clerk,
        residents=[world.a.resident],
        to_household=world.a.households[1],
        moved_on=timezone.localdate(),
    )


def end_household(world):
    supervisor = member(world.a.supervisor)
    return lambda: life.end_household(
        membership=supervisor,
        household=world.a.households[0],
        ended_on=timezone.localdate(),
        status="closed",
        reason="迁出",
    )


# The township office's people (households.people): clerks and supervisors may not manage accounts -----------------


def create_person(world):
    clerk = member(world.a.clerk)
    return lambda: people.create_person(
        membership=clerk, name="王小二", username="wang-xiaoer", role=Role.SUPERVISOR
    )


def reset_password(world):
    supervisor = member(world.a.supervisor)
    return lambda: people.reset_password(membership=supervisor, user=world.a.clerk, reason="忘记密码")


def deactivate_person(world):
    clerk = member(world.a.clerk)
    return lambda: people.deactivate_person(membership=clerk, user=world.a.panel, reason="离任")


def reactivate_person(world):
    admin = member(world.a.admin)
    with township_scope(world.a.township):
        people.deactivate_person(membership=admin, user=world.a.panel, reason="离任")
    return lambda: people.reactivate_person(
        membership=member(world.a.clerk), user=world.a.panel, reason="返任"
    )


CASES = {
    "households.people.create_person": create_person,
    "households.people.reset_password": reset_password,
    "households.people.deactivate_person": deactivate_person,
    "households.people.reactivate_person": reactivate_person,
    **{
        f"households.services.{case.__name__}": case
        for case in (
            create_village,
            update_village,
            grant_membership,
            revoke_membership,
            create_member_account,
            create_area,
            update_area,
            create_household,
            update_household,
            add_resident,
            update_resident,
            remove_resident,
            move_household,
        )
    },
    **{
        f"households.life.services.{case.__name__}": case
        for case in (end_resident, change_head, transfer_members, end_household)
    },
    "households.importing.services.create_batch": create_batch,
    "households.importing.services.commit_batch": commit_batch,
    "households.importing.services.map_columns": map_columns,
    **{
        f"households.units.services.{case.__name__}": case
        for case in (create_unit, update_unit, archive_unit, restore_unit)
    },
}
EXEMPT: dict[str, str] = {
    "households.life.services.check_date": "checks a date the caller was given; writes nothing",
    "households.life.services.require_open": "checks that a household is open; writes nothing",
    "households.life.services.current_members": "reads a household's current members",
    "households.life.services.record_event": "writes the event row for the step's own service, which checked its right",
    "households.people.one_time_password": "makes a random password; changes no state",
    "households.people.suggest_username": "reads which usernames are taken; changes no state",
    "households.people.own_password_set": "the signed-in owner's own act on their own account; no township role",
    "households.importing.services.purge_import_identities": "the retention sweep (beat or command) acts for no "
    "member: it masks ID numbers of finished imports and abandons stale previews, nothing a member asks for",
    "households.importing.services.purge_old_import_batches": "the retention sweep (beat) acts for no member: it "
    "deletes import batches finished longer ago than JIFEN_RETENTION_DAYS, nothing a member asks for",
}

# Onboarding (issue 16): villages and areas over their life, and a new township (a file of its own).
from tests.households.contract_cases_onboarding import CASES as ONBOARDING_CASES  # noqa: E402

CASES.update(ONBOARDING_CASES)
