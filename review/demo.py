"""Demo review panels (two per village, each homed in one area, five members each) and the notice batches that
make the demo's recorded entries count."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from households.models import Area, Household, Membership, Role, Township, Village
from households.services import grant_membership
from scoring.models import Scheme

from .models import PanelMemberKind, ReviewPanel, ReviewRound
from .selectors import direct_proposals
from .services import create_panel, move_round, post_notice_batch

KINDS = [
    PanelMemberKind.COMMITTEE,
    PanelMemberKind.AREA_LEADER,
    PanelMemberKind.SUPERVISOR,
    PanelMemberKind.PARTY_REPRESENTATIVE,
    PanelMemberKind.VILLAGER_REPRESENTATIVE,
]


def seed_panels(township: Township) -> bool:
    User = get_user_model()  # noqa: N806
    created = False
    admin = Membership.objects.get(user__username="demo-admin", township=township)
    for village in Village.objects.order_by("id"):
        areas = list(Area.objects.filter(village=village).order_by("id")[:2])
        for index, area in enumerate(areas, start=1):
            name = f"{village.name}评议小组{index}"
            if ReviewPanel.objects.filter(village=village, name=name).exists():
                continue
            members = []
            for k, kind in enumerate(KINDS, start=1):
                username = (
                    "demo-panel"
                    if (village.code == "QS" and index == 1 and k == 1)
                    else f"panel-{village.code}{index}-{k}"
                )
                user = User.objects.filter(username=username).first() or User.objects.create_user(
                    username, password=None
                )
                if not Membership.objects.filter(user=user).exists():
                    grant_membership(
                        membership=admin,
                        user=user,
                        role=Role.PANEL_MEMBER,
                        villages=[village],
                    )
                members.append((user, kind))
            create_panel(membership=admin, village=village, name=name, home_area=area, members=members)
            created = True
    return created


# The demo's season of entries was posted on 8 October and its notice ran to the end of 11 October.
DEMO_TZ = datetime.timezone(datetime.timedelta(hours=8))
DEMO_NOTICE_OPENED = datetime.datetime(2026, 10, 8, 9, 0, tzinfo=DEMO_TZ)


def seed_notices(township: Township, scheme: Scheme) -> bool:
    """Every village's directly recorded entries go through a notice batch, approved by the township: the same
    route as real entries. Only the clock is the demo's: the notice is dated in the past so that it has ended."""
    admin = Membership.objects.get(user__username="demo-admin", township=township)
    created = False
    for village in Village.objects.order_by("id"):
        if not direct_proposals(village, scheme).exists():
            continue
        batch = post_notice_batch(membership=admin, village=village, scheme=scheme)
        opened = min(DEMO_NOTICE_OPENED, timezone.now() - datetime.timedelta(days=batch.notice_days + 1))
        ends = opened + datetime.timedelta(
            days=batch.notice_days + 1
        )  # the end of its last day (a whole day more)
        ReviewRound.objects.filter(pk=batch.pk).update(notice_opened_at=opened, notice_ends_at=ends)
        move_round(membership=admin, round=batch, move="submit", comment="示例数据")
        move_round(membership=admin, round=batch, move="approve", comment="示例数据")
        created = True
    return created


def seed_school_weeks(class_: Village, scheme: Scheme) -> bool:
    """The demo class's November as the seed's rhythm runs it: each school day closed by that day's duty monitor,
    each week's summary prepared by the duty monitor, handed to the vice monitor (副班长) and filed by the head
    teacher, and the week's entries posted on the class's notice by the class officer. The first three weeks'
    notices have ended and the head teacher approved them; the last week's notice runs now."""
    from .models import WeeklySummary
    from .services import (
        close_day,
        file_summary,
        hand_over_summary,
        post_weekly_notice,
        prepare_weekly_summary,
    )

    if WeeklySummary.objects.filter(village=class_).exists():
        return False
    monitor = Membership.objects.get(user__username="demo-monitor")
    officer = Membership.objects.get(user__username="demo-officer")
    teacher = Membership.objects.get(user__username="demo-teacher")
    students = list(Household.objects.filter(village=class_).order_by("number"))
    vice = next(s for s in students if s.number.endswith("02"))  # the demo's 副班长
    mondays = [datetime.date(2026, 11, 2) + datetime.timedelta(weeks=n) for n in range(4)]
    for week, monday in enumerate(mondays):
        for offset in range(5):  # Monday to Friday, each day's duty monitor in turn
            day = monday + datetime.timedelta(days=offset)
            close_day(
                membership=monitor, village=class_, day=day, duty_monitor=students[(week * 5 + offset) % 45]
            )
        summary = prepare_weekly_summary(membership=monitor, village=class_, week_start=monday)
        summary = hand_over_summary(membership=monitor, summary=summary, vice_monitor=vice)
        file_summary(membership=teacher, summary=summary)
        batch = post_weekly_notice(membership=officer, summary=summary)
        if monday == mondays[-1]:
            continue  # on notice now: objections can still come in
        opened = datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time(9), DEMO_TZ)
        ends = opened + datetime.timedelta(days=batch.notice_days + 1)
        ReviewRound.objects.filter(pk=batch.pk).update(notice_opened_at=opened, notice_ends_at=ends)
        move_round(membership=officer, round=batch, move="submit", comment="示例数据")
        move_round(membership=teacher, round=batch, move="approve", comment="示例数据")
    return True
