"""The review's services, each refused to a member without the right (tests/contract.py).

Each case builds a village with two cross-reviewing panels and an active scheme (tests/review/conftest.py), brings
a round to the step the service needs through the services, and returns the call by a member who may not act:
a supervisor (reads only), a panel member for the clerk's work, a clerk for the panel's, a clerk of another
village."""

import datetime

import time_machine
from django.utils import timezone

from households.models import Role
from review import services
from review.models import PanelMember, RoundKind, WeeklySummary
from scoring import services as scoring
from tests.contract import member
from tests.factories import MembershipFactory, UserFactory
from tests.review.conftest import KINDS, Q1_DAY, ReviewWorld

ANNUAL_DAY = Q1_DAY


def _round(rw, *, kind=RoundKind.QUARTERLY, period="2026-Q1", opened=False):
    """A round of the village (by its clerk), with the rotation applied, collecting when `opened`."""
    clerk = member(rw.clerk)
    round_ = services.create_round(
        membership=clerk, village=rw.village, scheme=rw.scheme, kind=kind, period=period
    )
    services.apply_rotation(membership=clerk, round=round_)
    if opened:
        services.move_round(membership=clerk, round=round_, move="open")
    return round_


def _inspected(rw):
    """A collecting quarterly round with household 1 inspected by panel 2: one proposal (+2)."""
    round_ = _round(rw, opened=True)
    services.record_inspection(
        membership=rw.members2[0],
        round=round_,
        household=rw.h1,
        inspected_on=Q1_DAY,
        findings=[{"item": rw.clean}],
    )
    return round_


def _batch_on_notice(rw):
    """A notice batch of household 1's directly recorded entry, its notice running."""
    clerk = member(rw.clerk)
    scoring.record_entry(membership=clerk, household=rw.h1, item=rw.clean, occurred_on=Q1_DAY)
    return services.post_notice_batch(membership=clerk, village=rw.village, scheme=rw.scheme)


def create_panel(world):
    rw = ReviewWorld(world)
    members = [(m.user, kind) for m, kind in zip(rw.members1, KINDS, strict=True)]
    return lambda: services.create_panel(
        membership=member(rw.supervisor),
        village=rw.village,
        name="第三评议小组",
        home_area=rw.area1,
        members=members,
    )


def assign_panel(world):
    rw = ReviewWorld(world)
    round_ = services.create_round(
        membership=member(rw.clerk),
        village=rw.village,
        scheme=rw.scheme,
        kind=RoundKind.QUARTERLY,
        period="2026-Q1",
    )
    return lambda: services.assign_panel(
        membership=rw.members1[0], round=round_, panel=rw.panel1, area=rw.area2
    )


def apply_rotation(world):
    rw = ReviewWorld(world)
    round_ = services.create_round(
        membership=member(rw.clerk),
        village=rw.village,
        scheme=rw.scheme,
        kind=RoundKind.QUARTERLY,
        period="2026-Q1",
    )
    return lambda: services.apply_rotation(membership=member(rw.supervisor), round=round_)


def create_round(world):
    rw = ReviewWorld(world)
    other_village = world.a.villages[1]  # the clerk works in the first village only
    return lambda: services.create_round(
        membership=member(rw.clerk),
        village=other_village,
        scheme=rw.scheme,
        kind=RoundKind.QUARTERLY,
        period="2026-Q1",
    )


def move_round(world):
    rw = ReviewWorld(world)
    round_ = _round(rw)
    return lambda: services.move_round(membership=member(rw.supervisor), round=round_, move="open")


def post_notice_batch(world):
    rw = ReviewWorld(world)
    scoring.record_entry(membership=member(rw.clerk), household=rw.h1, item=rw.clean, occurred_on=Q1_DAY)
    return lambda: services.post_notice_batch(membership=rw.members1[0], village=rw.village, scheme=rw.scheme)


def approve_rounds(world):
    rw = ReviewWorld(world)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=5), tick=False):
        batch = _batch_on_notice(rw)
    services.move_round(membership=member(rw.clerk), round=batch, move="submit")
    # The clerk ran the batch's notice but does not approve for the township.
    return lambda: services.approve_rounds(membership=member(rw.clerk), rounds=[batch], comment="同意")


def record_inspection(world):
    rw = ReviewWorld(world)
    round_ = _round(rw, opened=True)
    return lambda: services.record_inspection(
        membership=member(rw.clerk),
        round=round_,
        household=rw.h1,
        inspected_on=Q1_DAY,
        findings=[{"item": rw.clean}],
    )


def declare(world):
    rw = ReviewWorld(world)
    round_ = _round(rw, kind=RoundKind.ANNUAL, period="2026", opened=True)
    return lambda: services.declare(
        membership=rw.members2[0],
        round=round_,
        household=rw.h1,
        item=rw.meeting,
        occurred_on=ANNUAL_DAY,
        place="村部",
        description="参加主题党日",
    )


def decide_declaration(world):
    rw = ReviewWorld(world)
    round_ = _round(rw, kind=RoundKind.ANNUAL, period="2026", opened=True)
    declaration = services.declare(
        membership=member(rw.clerk),
        round=round_,
        household=rw.h1,
        item=rw.meeting,
        occurred_on=ANNUAL_DAY,
        place="村部",
        description="参加主题党日",
    )
    services.move_round(membership=member(rw.clerk), round=round_, move="start_panel_review")
    return lambda: services.decide_declaration(
        membership=member(rw.clerk), declaration=declaration, decision="rejected", reason="没有参加"
    )


def change_proposal(world):
    rw = ReviewWorld(world)
    round_ = _inspected(rw)
    entry = round_.round_entries.get().entry
    return lambda: services.change_proposal(
        membership=member(rw.supervisor), round=round_, entry=entry, reason="院子并不整洁"
    )


def record_panel_meeting(world):
    rw = ReviewWorld(world)
    round_ = _inspected(rw)
    services.record_inspection(
        membership=rw.members1[0], round=round_, household=rw.h2, inspected_on=Q1_DAY, findings=[]
    )
    services.move_round(membership=member(rw.clerk), round=round_, move="start_panel_review")
    return lambda: services.record_panel_meeting(
        membership=member(rw.supervisor),
        round=round_,
        panel=rw.panel1,
        held_on=Q1_DAY,
        attendees=[m.user for m in rw.members1],
    )


def record_representatives_meeting(world):
    rw = ReviewWorld(world)
    round_ = _round(rw, kind=RoundKind.ANNUAL, period="2026")
    return lambda: services.record_representatives_meeting(
        membership=rw.members1[0],
        round=round_,
        held_on=ANNUAL_DAY,
        attendee_names="党员代表8人",
        township_staff="李明",
    )


def file_objection(world):
    rw = ReviewWorld(world)
    batch = _batch_on_notice(rw)
    return lambda: services.file_objection(
        membership=member(rw.supervisor),
        round=batch,
        household=rw.h1,
        objector_name="张三",
        reason="分数不对",
    )


def resolve_objection(world):
    rw = ReviewWorld(world)
    batch = _batch_on_notice(rw)
    objection = services.file_public_objection(
        round=batch, household=rw.h1, objector_name="张三", reason="分数不对"
    )
    return lambda: services.resolve_objection(
        membership=member(rw.supervisor), objection=objection, upheld=False, outcome="经核实无误"
    )


def _summary(world):
    """A prepared weekly summary of A's first village (a class's week, seed 2), and its scheme (a draft will do:
    every refusal comes before the scheme is read)."""
    a = world.a
    scheme = scoring.create_scheme(
        membership=member(a.admin), township=a.township, name="班级量化", year=2026
    )
    return WeeklySummary.objects.create(
        township=a.township,
        village=a.villages[0],
        scheme=scheme,
        week="2026-W11",
        week_start=datetime.date(2026, 3, 9),
        prepared_by=a.admin,
        prepared_at=timezone.now(),
    )


def name_duty_monitor(world):
    a = world.a
    return lambda: services.name_duty_monitor(
        membership=member(a.supervisor), village=a.villages[0], day=Q1_DAY, duty_monitor=a.households[0]
    )


def close_day(world):
    a = world.a
    return lambda: services.close_day(
        membership=member(a.supervisor), village=a.villages[0], day=Q1_DAY, duty_monitor=a.households[0]
    )


def prepare_weekly_summary(world):
    a = world.a  # the clerk of the other village records only for their own
    return lambda: services.prepare_weekly_summary(
        membership=member(a.clerk), village=a.villages[1], week_start=datetime.date(2026, 3, 9)
    )


def hand_over_summary(world):
    summary = _summary(world)
    return lambda: services.hand_over_summary(
        membership=member(world.a.supervisor), summary=summary, vice_monitor=world.a.households[0]
    )


def file_summary(world):
    summary = _summary(
        world
    )  # the village's clerk records and posts, but does not file (the head teacher does)
    return lambda: services.file_summary(membership=member(world.a.clerk), summary=summary)


def post_weekly_notice(world):
    summary = _summary(world)
    monitor = MembershipFactory(
        user=UserFactory(username="a-duty-monitor"),
        township=world.a.township,
        role=Role.DUTY_MONITOR,
        villages=[world.a.villages[0]],
    )  # records the day, does not post the class's notice
    return lambda: services.post_weekly_notice(membership=monitor, summary=summary)


def _outsider_of_panel(rw):
    """A panel member of the village who does not sit on the first panel yet."""
    user = UserFactory(username="p-newcomer")
    MembershipFactory(user=user, township=rw.township, role=Role.PANEL_MEMBER, villages=[rw.village])
    return user


def add_panel_member(world):
    rw = ReviewWorld(world)
    newcomer = _outsider_of_panel(rw)
    return lambda: services.add_panel_member(
        membership=member(rw.supervisor), panel=rw.panel1, user=newcomer, kind=KINDS[0]
    )


def replace_panel_member(world):
    rw = ReviewWorld(world)
    newcomer = _outsider_of_panel(rw)
    seat = PanelMember.objects.get(panel=rw.panel1, user=rw.members1[0].user)
    return lambda: services.replace_panel_member(
        membership=member(rw.world.a.panel),  # a panel member does not run the panels
        seat=seat,
        user=newcomer,
        kind=KINDS[0],
        on=datetime.date(2026, 1, 1),
        reason="调离本村",
    )


def remove_panel_member(world):
    rw = ReviewWorld(world)
    seat = PanelMember.objects.get(panel=rw.panel1, user=rw.members1[0].user)
    clerk_b = MembershipFactory(
        user=UserFactory(username="a-clerk-west"),
        township=rw.township,
        role=Role.VILLAGE_CLERK,
        villages=[world.a.villages[1]],
    )  # the other village's clerk
    return lambda: services.remove_panel_member(
        membership=clerk_b, seat=seat, on=datetime.date(2026, 1, 1), reason="调离本村"
    )


CASES = {
    "review.services.panels.create_panel": create_panel,
    "review.services.panels.add_panel_member": add_panel_member,
    "review.services.panels.replace_panel_member": replace_panel_member,
    "review.services.panels.remove_panel_member": remove_panel_member,
    "review.services.panels.assign_panel": assign_panel,
    "review.services.panels.apply_rotation": apply_rotation,
    "review.services.rounds.create_round": create_round,
    "review.services.rounds.move_round": move_round,
    "review.services.rounds.post_notice_batch": post_notice_batch,
    "review.services.rounds.approve_rounds": approve_rounds,
    "review.services.inspections.record_inspection": record_inspection,
    "review.services.declarations.declare": declare,
    "review.services.declarations.decide_declaration": decide_declaration,
    "review.services.changes.change_proposal": change_proposal,
    "review.services.meetings.record_panel_meeting": record_panel_meeting,
    "review.services.meetings.record_representatives_meeting": record_representatives_meeting,
    "review.services.objections.file_objection": file_objection,
    "review.services.objections.resolve_objection": resolve_objection,
    "review.services.rhythm.name_duty_monitor": name_duty_monitor,
    "review.services.rhythm.close_day": close_day,
    "review.services.rhythm.prepare_weekly_summary": prepare_weekly_summary,
    "review.services.rhythm.hand_over_summary": hand_over_summary,
    "review.services.rhythm.file_summary": file_summary,
    "review.services.rhythm.post_weekly_notice": post_weekly_notice,
}

EXEMPT = {
    "review.services.common.notice_end": "a pure calculation: the end of a notice from its opening and length",
    "review.services.rounds.possible_moves": "reads only: the moves the MOVES table allows from the round's kind "
    "and state, shown by pages and API (the member's right is checked by move_round)",
    "review.services.rounds.close_ended_notices": "the periodic sweeper (beat) acts for no member: it marks ended "
    "notices and finishes a round only in the name of the member who opened its notice, through move_round's check",
    "review.services.objections.checked_objector": "a pure check of what an objector gives (name, phone, reason); "
    "writes nothing",
    "review.services.objections.file_public_objection": "the public notice page: anyone who reads the notice (by "
    "its token) may object while it runs; no member acts",
}
