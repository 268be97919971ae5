"""The scoring services, each refused to a member without the right (tests/contract.py).

Each case builds an active scheme of town A as its township office (a category, an item recorded by the clerk,
one by inspection, one by declaration, one raising a threshold alert), then returns the call by a member who may
not act: a village clerk for the township office's catalogue and corrections, a clerk of the other village for
its households, a panel member for the clerk's work, a supervisor (reads only)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from scoring import services
from scoring.models import ThresholdAlert
from scoring.services import life
from tests.contract import member
from tests.factories import ResidentFactory
from tests.notices import approve_through_notice

D = Decimal


class Catalogue:
    """An active scheme of the current year in town A, made by its township office."""

    def __init__(self, world):
        self.world = world
        self.office = member(world.a.admin)
        self.day = datetime.date(timezone.localdate().year, 1, 1)  # in the scheme's year, never in the future
        self.h1, self.h2 = world.a.households  # village 1 (the clerk's and the panel's), village 2
        self.scheme = services.create_scheme(
            membership=self.office,
            township=world.a.township,
            name="村规",
            year=self.day.year,
            allows_transfers=True,
        )
        self.category = services.add_category(
            membership=self.office,
            scheme=self.scheme,
            name="环境整治",
            base_score=D("40"),
            cadence="quarterly",
        )
        self.item = services.add_item(
            membership=self.office,
            category=self.category,
            name="庭院整洁",
            kind="bonus",
            points=D("2"),
            by_inspection=True,
            by_declaration=True,
            threshold_count=1,
        )
        services.activate_scheme(membership=self.office, scheme=self.scheme)

    def record(self, household, *, membership=None, **kwargs):
        return services.record_entry(
            membership=membership or self.office,
            household=household,
            item=self.item,
            occurred_on=self.day,
            **kwargs,
        )


def _draft(world):
    office = member(world.a.admin)
    scheme = services.create_scheme(membership=office, township=world.a.township, name="草案", year=2030)
    services.add_category(
        membership=office, scheme=scheme, name="党的建设", base_score=D("20"), cadence="annual"
    )
    return scheme


# The catalogue: the township office's (EDIT_SCHEME) ------------------------------------------------------------


def create_scheme(world):
    return lambda: services.create_scheme(
        membership=member(world.a.supervisor), township=world.a.township, name="村规", year=2030
    )


def activate_scheme(world):
    scheme = _draft(world)
    return lambda: services.activate_scheme(membership=member(world.a.clerk), scheme=scheme)


def close_scheme(world):
    c = Catalogue(world)
    return lambda: services.close_scheme(membership=member(world.a.clerk), scheme=c.scheme)


def add_category(world):
    scheme = _draft(world)
    return lambda: services.add_category(
        membership=member(world.a.supervisor),
        scheme=scheme,
        name="文明新风",
        base_score=D("40"),
        cadence="annual",
    )


def add_item(world):
    c = Catalogue(world)
    return lambda: services.add_item(
        membership=member(world.a.clerk), category=c.category, name="乱堆乱放", kind="penalty", points=D("2")
    )


def update_item(world):
    c = Catalogue(world)
    return lambda: services.update_item(membership=member(world.a.panel), item=c.item, points=D("5"))


def add_role_rule(world):
    c = Catalogue(world)
    return lambda: services.add_role_rule(
        membership=member(world.a.clerk), scheme=c.scheme, code="officer", name="干部户"
    )


def assign_role(world):
    c = Catalogue(world)
    role = services.add_role_rule(membership=c.office, scheme=c.scheme, code="officer", name="干部户")
    return lambda: services.assign_role(
        membership=member(world.a.clerk), household=c.h1, role=role, title="组长", reason="选举"
    )


def end_role(world):
    c = Catalogue(world)
    role = services.add_role_rule(membership=c.office, scheme=c.scheme, code="officer", name="干部户")
    assignment = services.assign_role(membership=c.office, household=c.h1, role=role, title="组长")
    return lambda: services.end_role(membership=member(world.a.clerk), assignment=assignment, reason="换届")


def enrol_student(world):
    c = Catalogue(world)
    role = services.add_role_rule(membership=c.office, scheme=c.scheme, code="officer", name="干部户")
    return lambda: services.enrol_student(  # a panel member keeps no roster and sets no roles
        membership=member(world.a.panel),
        area=world.a.areas[0],
        number="A-009",
        name="新生",
        role=role,
        title="组长",
    )


def copy_scheme(world):
    c = Catalogue(world)
    return lambda: services.copy_scheme(membership=member(world.a.supervisor), scheme=c.scheme, year=2030)


# The ledger ---------------------------------------------------------------------------------------------------


def record_entry(world):
    c = Catalogue(world)
    return lambda: c.record(c.h2, membership=member(world.a.clerk))  # a household of the other village


def record_bulk(world):
    c = Catalogue(world)
    return lambda: (
        services.record_bulk(  # the first household is the clerk's: nothing is written for it either
            membership=member(world.a.clerk), households=[c.h1, c.h2], item=c.item, occurred_on=c.day
        )
    )


def approve_entries(world):
    c = Catalogue(world)
    entry = c.record(c.h1, membership=member(world.a.clerk))  # not under review: no round moves it
    return lambda: services.approve_entries(membership=member(world.a.clerk), entries=[entry])


def withdraw_entry(world):
    c = Catalogue(world)
    entry = c.record(c.h1)  # recorded by the office, in no round: not the clerk's to withdraw
    return lambda: services.withdraw_entry(membership=member(world.a.clerk), entry=entry, reason="录错了")


def correct_entry(world):
    c = Catalogue(world)
    entry = c.record(c.h1)
    approve_through_notice([entry], membership=c.office)
    return lambda: services.correct_entry(membership=member(world.a.clerk), entry=entry, reason="复核有误")


def penalise_false_declaration(world):
    c = Catalogue(world)
    entry = c.record(c.h1, source="declaration")
    return lambda: services.penalise_false_declaration(
        membership=member(world.a.clerk), entry=entry, reason="经核实不实"
    )


def acknowledge_alert(world):
    c = Catalogue(world)
    alert = ThresholdAlert.objects.get(entry=c.record(c.h1))  # the item's first hit raises it
    return lambda: services.acknowledge_alert(membership=member(world.a.panel), alert=alert)


def file_study_list(world):
    c = Catalogue(world)
    monday = c.day - datetime.timedelta(days=c.day.weekday())
    # A panel member of the village neither announces nor files its weekly list (RUN_ROUND).
    return lambda: services.file_study_list(
        membership=member(world.a.panel), village=world.a.villages[0], scheme=c.scheme, monday=monday
    )


# Claims outside rounds (issue 14) ------------------------------------------------------------------------------


def _claim(c, household, **kwargs):
    return services.record_claim(
        membership=c.office,
        household=household,
        item=c.item,
        occurred_on=c.day,
        channel="phone",
        cause="帮邻居抢收",
        **kwargs,
    )


def record_claim(world):
    c = Catalogue(world)
    return lambda: services.record_claim(  # a household of the other village
        membership=member(world.a.clerk),
        household=c.h2,
        item=c.item,
        occurred_on=c.day,
        channel="phone",
        cause="帮邻居抢收",
    )


def check_claim(world):
    c = Catalogue(world)
    entry = _claim(c, c.h1, checked=False)
    return lambda: services.check_claim(membership=member(world.a.panel), entry=entry)


# Transfers ----------------------------------------------------------------------------------------------------


def transfer_points(world):
    c = Catalogue(world)
    return lambda: services.transfer_points(  # the giving household is of the other village
        membership=member(world.a.clerk),
        scheme=c.scheme,
        from_household=c.h2,
        to_household=c.h1,
        category=c.category,
        points=D("1"),
        reason="代缴",
    )


def approve_transfer_side(world):
    c = Catalogue(world)
    transfer = services.transfer_points(
        membership=c.office,
        scheme=c.scheme,
        from_household=c.h1,
        to_household=c.h2,
        category=c.category,
        points=D("1"),
        reason="代缴",
    )
    return lambda: services.approve_transfer_side(
        membership=member(world.a.clerk), transfer=transfer, side="to"
    )


def issue_code(world):
    clerk = member(world.a.clerk)  # of the first village: the second village's household is not theirs
    return lambda: services.issue_code(membership=clerk, household=world.a.households[1])


def revoke_code(world):
    services.issue_code(membership=member(world.a.admin), household=world.a.households[0])
    supervisor = member(world.a.supervisor)  # reads only
    return lambda: services.revoke_code(membership=supervisor, household=world.a.households[0])


# What villagers send from their own page (issue 14, item 6) ------------------------------------------------------


def _declaration(world):
    c = Catalogue(world)
    code = services.issue_code(membership=c.office, household=c.h1)[0]
    return c, services.submit_self_declaration(code=code, what_happened="帮邻居抢收", occurred_on=c.day)


def take_self_declaration(world):
    c, declaration = _declaration(world)
    return lambda: services.take_self_declaration(  # a panel member checks no claims
        membership=member(world.a.panel), declaration=declaration, item=c.item
    )


def refuse_self_declaration(world):
    _c, declaration = _declaration(world)
    return lambda: services.refuse_self_declaration(
        membership=member(world.a.supervisor), declaration=declaration, reason="不实"
    )


def decide_appeal(world):
    c = Catalogue(world)
    entry = c.record(c.h1)
    approve_through_notice([entry])
    code = services.issue_code(membership=c.office, household=c.h1)[0]
    appeal = services.submit_appeal(code=code, entry_id=entry.pk, reason="记错了")
    return lambda: services.decide_appeal(  # a panel member decides no appeals
        membership=member(world.a.panel), appeal=appeal, uphold=True, reason="同意"
    )


# A household's life where points move (issue 16) -----------------------------------------------------------------


def split_household(world):
    """The clerk of the first village cannot split the other village's household."""
    Catalogue(world)
    h2 = world.a.households[1]
    son = ResidentFactory(household=h2, name="李小四")
    return lambda: life.split_household(
        membership=member(world.a.clerk),
        household=h2,
        leaving=[son],
        head=son,
        number="A-201",
        area=world.a.areas[1],
        split_on=timezone.localdate(),
        reason="分户",
    )


def merge_households(world):
    """The clerk keeps the remaining household's village, not the absorbed one's."""
    Catalogue(world)
    h1, h2 = world.a.households
    return lambda: life.merge_households(
        membership=member(world.a.clerk),
        household=h1,
        absorbed=h2,
        merged_on=timezone.localdate(),
        reason="合户",
    )


def close_household(world):
    Catalogue(world)
    return lambda: life.close_household(
        membership=member(world.a.supervisor),
        household=world.a.households[0],
        moved_out_on=timezone.localdate(),
        reason="迁出",
        transfer_to=world.a.households[1],
    )


def set_split_points(world):
    """A village clerk does not change the scheme (the township office's)."""
    c = Catalogue(world)
    return lambda: life.set_split_points(
        membership=member(world.a.clerk), scheme=c.scheme, split_points="by_members"
    )


CASES = {
    "scoring.services.life.set_split_points": set_split_points,
    "scoring.services.life.split_household": split_household,
    "scoring.services.life.merge_households": merge_households,
    "scoring.services.life.close_household": close_household,
    "scoring.services.appeals.take_self_declaration": take_self_declaration,
    "scoring.services.appeals.refuse_self_declaration": refuse_self_declaration,
    "scoring.services.appeals.decide_appeal": decide_appeal,
    "scoring.services.schemes.create_scheme": create_scheme,
    "scoring.services.schemes.activate_scheme": activate_scheme,
    "scoring.services.schemes.close_scheme": close_scheme,
    "scoring.services.schemes.add_category": add_category,
    "scoring.services.schemes.add_item": add_item,
    "scoring.services.schemes.update_item": update_item,
    "scoring.services.schemes.add_role_rule": add_role_rule,
    "scoring.services.roles.assign_role": assign_role,
    "scoring.services.roles.end_role": end_role,
    "scoring.services.roles.enrol_student": enrol_student,
    "scoring.services.schemes.copy_scheme": copy_scheme,
    "scoring.services.ledger.record_entry": record_entry,
    "scoring.services.ledger.record_bulk": record_bulk,
    "scoring.services.ledger.approve_entries": approve_entries,
    "scoring.services.ledger.withdraw_entry": withdraw_entry,
    "scoring.services.ledger.correct_entry": correct_entry,
    "scoring.services.false_claims.penalise_false_declaration": penalise_false_declaration,
    "scoring.services.ledger.acknowledge_alert": acknowledge_alert,
    "scoring.services.limits.file_study_list": file_study_list,
    "scoring.services.transfers.transfer_points": transfer_points,
    "scoring.services.claims.record_claim": record_claim,
    "scoring.services.claims.check_claim": check_claim,
    "scoring.services.transfers.approve_transfer_side": approve_transfer_side,
    "scoring.services.passbook_codes.issue_code": issue_code,
    "scoring.services.passbook_codes.revoke_code": revoke_code,
}

EXEMPT: dict[str, str] = {
    "scoring.services.appeals.submit_self_declaration": "the villager's own page: no member acts; the live "
    "passbook code whose second factor was answered names the household (tests/scoring/test_appeals.py)",
    "scoring.services.appeals.submit_appeal": "the villager's own page: as submit_self_declaration, and only the "
    "code's household's own entries can be named (tests/scoring/test_appeals.py)",
    "scoring.services.passbook_codes.hash_code": "computes a hash, writes nothing",
    "scoring.services.passbook_codes.live_code": "reads the live code row only",
}
