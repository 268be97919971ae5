"""A review round on notice, for a village of `n` households (annual: no inspection needed to get there)."""

import datetime

import pytest

from households.models import Household, Resident
from review import services
from review.models import RoundKind
from scoring.accounts import open_accounts
from tests.review.conftest import ReviewWorld

DAY = datetime.date(2026, 6, 1)
SURNAMES = "王李张刘陈杨黄赵吴周"


def add_households(rw, n: int) -> None:
    """n more households in area 2 of the village, heads named 王一明, 李二明, … (masked: 王*明)."""
    households = Household.objects.bulk_create(
        Household(township=rw.township, village=rw.village, area=rw.area2, number=f"N-{i:04d}")
        for i in range(n)
    )
    Resident.objects.bulk_create(
        Resident(
            township=rw.township,
            household=h,
            name=f"{SURNAMES[i % 10]}{'一二三四五六七八九十'[i % 10]}明",
            is_head=True,
        )
        for i, h in enumerate(households)
    )
    open_accounts(
        [*households, *Resident.objects.filter(household__in=households)]
    )  # bulk_create: no post_save


def on_notice(rw, *, extra_households: int = 0):
    if extra_households:
        add_households(rw, extra_households)
    clerk = rw.membership(rw.clerk)
    round_ = services.create_round(
        membership=clerk, village=rw.village, scheme=rw.scheme, kind=RoundKind.ANNUAL, period="2026"
    )
    services.apply_rotation(membership=clerk, round=round_)
    services.move_round(membership=clerk, round=round_, move="open")
    services.declare(
        membership=clerk,
        round=round_,
        household=rw.h1,
        item=rw.meeting,
        occurred_on=DAY,
        place="村部",
        description="主题党日",
    )
    services.move_round(membership=clerk, round=round_, move="start_panel_review")
    decl = round_.declarations.get()
    # Cross-review: h1 lives in area 1, so panel 2 (home area 2) decides.
    services.decide_declaration(membership=rw.members2[0], declaration=decl, decision="accepted")
    for panel, members in ((rw.panel1, rw.members1), (rw.panel2, rw.members2)):
        services.record_panel_meeting(
            membership=clerk, round=round_, panel=panel, held_on=DAY, attendees=[m.user for m in members]
        )
    services.move_round(membership=clerk, round=round_, move="to_representatives")
    services.record_representatives_meeting(
        membership=clerk, round=round_, held_on=DAY, attendee_names="代表20人", township_staff="镇干部李明"
    )
    services.move_round(membership=clerk, round=round_, move="open_notice")
    round_.refresh_from_db()
    return round_


@pytest.fixture
def rw(world):
    return ReviewWorld(world)


# Most schemes have five or six categories: the fixture's two and these four (each with a base of 10).
MORE_CATEGORIES = ("文明新风", "美丽庭院", "遵纪守法", "孝老爱亲")


def add_categories(rw, names=MORE_CATEGORIES) -> None:
    from scoring.models import Category

    for n, name in enumerate(names):
        Category.objects.create(
            township=rw.township, scheme=rw.scheme, name=name, base_score=10, cadence="annual", order=10 + n
        )
