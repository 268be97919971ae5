"""Demo review panels: two panels per village, each homed in one area, five members each."""

from django.contrib.auth import get_user_model

from households.models import Area, Membership, Role, Township, Village
from households.services import grant_membership

from .models import PanelMemberKind, ReviewPanel
from .services import create_panel

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
    actor = User.objects.get(username="demo-admin")
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
                        actor=actor, township=township, user=user, role=Role.PANEL_MEMBER, villages=[village]
                    )
                members.append((user, kind))
            create_panel(actor=actor, village=village, name=name, home_area=area, members=members)
            created = True
    return created
