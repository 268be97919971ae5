"""Demo review panels (two per village, each homed in one area, five members each) and the notice batches that
make the demo's recorded entries count."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from households.models import Area, Membership, Role, Township, Village
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
DEMO_NOTICE_OPENED = datetime.datetime(
    2026, 10, 8, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
)


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
