"""The demo's demonstration-village programme (issue 20, item 5): the city 青州市 with two counties, each with a
township and applying villages, and a complete call of the city. Idempotent.

- 青山县 holds the demo township 青山镇 (seeded before: its roster, ledger, budgets and supermarket).
- 河东县 holds 河东镇, seeded here small and through the services: two villages of 12 households, the 2026 template
  scheme, one clean-up recorded for most households and approved through a notice batch, and a few redemptions.
- The call (500,000 yuan, two villages) is complete: applied in July, forwarded by the townships, pre-selected by
  the counties, selected, its result published and the awards recorded. The services check today's date against
  the call's windows, so a past call cannot be replayed through them: its rows and steps are written as they
  stand, with the villages' real figures (`selectors.village_figures`), as `review.demo` dates its notices.

The other parts of the programme's demo (notices, award spending and checks, survey answers) build on this call.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from core.errors import DomainError
from core.tenancy import dangerously_all_townships, township_scope
from households import services as households
from households.demo import DEMO_PASSWORD
from households.models import Household, Membership, Role, Township, Village
from review.models import ObjectionState, ReviewRound
from review.selectors import direct_proposals
from review.services import move_round, post_notice_batch
from rewards import services as rewards
from scoring import services as scoring
from scoring.models import Item, ItemKind, Scheme
from scoring.scheme_templates import load_template

from .demo_award import seed_award_use
from .demo_survey import seed_survey_answers
from .models import (
    Application,
    ApplicationMove,
    ApplicationNotice,
    ApplicationState,
    Call,
    CallMove,
    CallState,
    Region,
    RegionKind,
    RegionMembership,
    RegionRole,
    RegionTownship,
    ResultNotice,
    ResultObjection,
)
from .selectors import village_figures
from .services.notices import _period  # the notice's dates and token, as the services post one

YEAR = 2026
CITY = ("qingzhou", "青州市")
COUNTIES = [("qingshan-xian", "青山县", "qingshan"), ("hedong-xian", "河东县", "hedong")]
SECOND_TOWNSHIP = ("hedong", "河东镇", "demo-hedong", "河东镇办公室")
SECOND_VILLAGES = [("河东村", "HD"), ("杨柳村", "YL")]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙"
OFFICERS = [
    (
        "demo-city",
        "qingzhou",
        "city officer of 青州市 (市农业农村局): the call, selection, awards, comparison",
    ),
    ("demo-xian-qs", "qingshan-xian", "county officer of 青山县: pre-selects its villages"),
    ("demo-xian-hd", "hedong-xian", "county officer of 河东县: pre-selects its villages"),
]
FORM = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
TZ = datetime.timezone(datetime.timedelta(hours=8))
TITLE = "2026年积分制管理示范村创建"
# village → (its township's slug, the steps it went through after applying, score, award)
OUTCOMES = {
    "青山村": ("qingshan", ["publish", "forward", "preselect", "select", "award"], "92", "250000"),
    "石桥村": ("qingshan", ["publish", "forward", "preselect", "not_select"], "78", None),
    "河东村": ("hedong", ["publish", "forward", "preselect", "select", "award"], "88", "250000"),
    "杨柳村": ("hedong", ["publish", "forward", "not_preselect"], None, None),
}
STEPS = {  # move → (state it leads to, day in 2026, comment)
    "apply": (ApplicationState.SUBMITTED, (7, 10), ""),
    "publish": (ApplicationState.ON_NOTICE, (7, 12), "在镇政务公开栏公示"),
    "forward": (ApplicationState.FORWARDED, (7, 20), "公示无异议，同意推荐"),
    "preselect": (ApplicationState.PRESELECTED, (8, 10), ""),
    "not_preselect": (ApplicationState.NOT_PRESELECTED, (8, 10), "积分超市兑换人数未达要求"),
    "select": (ApplicationState.SELECTED, (8, 25), ""),
    "not_select": (ApplicationState.NOT_SELECTED, (8, 25), "综合得分较低"),
    "award": (ApplicationState.AWARDED, (9, 10), "按方案拨付奖补资金"),
}
CALL_STEPS = [  # (move, from, to, day)
    ("open", CallState.DRAFT, CallState.OPEN, (7, 1)),
    ("close_applications", CallState.OPEN, CallState.PRESELECTION, (8, 1)),
    ("start_selection", CallState.PRESELECTION, CallState.SELECTION, (8, 16)),
    ("publish_result", CallState.SELECTION, CallState.RESULT_PUBLISHED, (9, 1)),
    ("close", CallState.RESULT_PUBLISHED, CallState.CLOSED, (9, 30)),
]


def _at(day: tuple[int, int]) -> datetime.datetime:
    return datetime.datetime(YEAR, *day, 10, 0, tzinfo=TZ)


def seed_programme() -> tuple[dict[str, str], bool]:
    """The city, its counties and townships, the officers and the complete call. Returns ({username: what they
    do}, created anything). Call after the demo township is seeded."""
    created = False
    hedong, made = _seed_second_township()
    created |= made
    city, made = Region.objects.get_or_create(
        slug=CITY[0], defaults={"kind": RegionKind.CITY, "name": CITY[1]}
    )
    created |= made
    for slug, name, township_slug in COUNTIES:
        county, made = Region.objects.get_or_create(
            slug=slug, defaults={"kind": RegionKind.COUNTY, "name": name, "parent": city}
        )
        created |= made
        township = Township.objects.get(slug=township_slug)
        _link, made = RegionTownship.objects.get_or_create(township=township, defaults={"county": county})
        created |= made
    users = {}
    for username, region_slug, description in OFFICERS:
        user = _user(username)
        _membership, made = RegionMembership.objects.get_or_create(
            user=user, defaults={"region": Region.objects.get(slug=region_slug), "role": RegionRole.OFFICER}
        )
        created |= made
        users[username] = description
    if not Call.objects.filter(region=city, title=TITLE).exists():
        _seed_call(city)
        created = True
    created |= _seed_use_and_evaluation(city)
    return {**users, SECOND_TOWNSHIP[2]: "township office of 河东镇 (the second county's township)"}, created


def _user(username: str, name: str = "") -> Any:
    User = get_user_model()  # noqa: N806
    user = User.objects.filter(username=username).first()
    return user or User.objects.create_user(username, password=DEMO_PASSWORD, first_name=name)


# The second county's township --------------------------------------------------------------------------------


def _seed_second_township() -> tuple[Township, bool]:
    slug, name, username, office_name = SECOND_TOWNSHIP
    township, created = Township.objects.get_or_create(slug=slug, defaults={"name": name})
    user = _user(username, office_name)
    with township_scope(township):
        office = Membership.objects.filter(user=user, township=township).first()
        if office is None:  # a new township's first membership has no member to grant it (households.demo)
            office = Membership.objects.create(township=township, user=user, role=Role.TOWNSHIP_ADMIN)
            created = True
        for index, (village_name, code) in enumerate(SECOND_VILLAGES):
            if Village.objects.filter(name=village_name).exists():
                continue
            village = households.create_village(membership=office, name=village_name, code=code)
            area = households.create_area(membership=office, village=village, name="一组")
            for n in range(1, 13):
                households.create_household(
                    membership=office,
                    area=area,
                    number=f"{code}1-{n:03d}",
                    address=f"{village_name}一组{n}号",
                    head={"name": SURNAMES[(n + index) % len(SURNAMES)] + "建华", "gender": "male"},
                )
            created = True
        created |= _seed_second_ledger(office, township)
    return township, created


def _seed_second_ledger(office: Membership, township: Township) -> bool:
    """The 2026 template, a clean-up for most households approved through each village's notice batch, and a
    few redemptions at 河东村's supermarket."""
    if Scheme.objects.filter(year=YEAR).exists():
        return False
    scheme = load_template(membership=office, township=township, name="village-2026", year=YEAR)
    scoring.activate_scheme(membership=office, scheme=scheme)
    item = (
        Item.objects.filter(
            category__scheme=scheme, kind=ItemKind.BONUS, by_clerk=True, evidence_required=False
        )
        .order_by("id")
        .first()
    )
    assert item is not None, "the village-2026 template has a clerk's bonus without evidence"
    for village, share in zip(Village.objects.order_by("id"), (10, 6), strict=True):
        taking_part = list(Household.objects.taking_part().filter(village=village).order_by("number"))
        scoring.record_bulk(
            membership=office,
            households=taking_part[:share],
            item=item,
            occurred_on=datetime.date(YEAR, 5, 10),
            reason="参加村庄环境集中整治",
        )
        if direct_proposals(village, scheme).exists():
            batch = post_notice_batch(membership=office, village=village, scheme=scheme)
            opened = timezone.now() - datetime.timedelta(days=batch.notice_days + 2)
            ends = opened + datetime.timedelta(days=batch.notice_days + 1)
            ReviewRound.objects.filter(pk=batch.pk).update(notice_opened_at=opened, notice_ends_at=ends)
            move_round(membership=office, round=batch, move="submit", comment="示例数据")
            move_round(membership=office, round=batch, move="approve", comment="示例数据")
    if timezone.localdate().year == YEAR:  # a redemption belongs to today's year
        village = Village.objects.order_by("id")[0]
        shop = rewards.open_shop(membership=office, village=village, opening_hours="每周六 9:00–11:30")
        soap = rewards.add_product(
            membership=office, shop=shop, name="洗衣皂", points=Decimal("1"), cost=Decimal("0"), stock=50
        )
        for household in Household.objects.filter(village=village).order_by("number")[:4]:
            try:
                rewards.redeem(membership=office, household=household, shop=shop, items={soap.pk: 1})
            except DomainError:
                continue  # not enough points: the demo shows what the counter shows
    return True


# The call ------------------------------------------------------------------------------------------------------


def _seed_call(city: Region) -> None:
    officer = get_user_model().objects.get(username="demo-city")
    call = Call.objects.create(
        region=city,
        title=TITLE,
        year=YEAR,
        budget=Decimal("500000"),
        villages_wanted=2,
        conditions="村民积分兑换人数占本村总人数比例原则应达到30%以上；经所在乡镇公示审核，县级初审推荐。",
        applications_open_on=datetime.date(YEAR, 7, 1),
        applications_close_on=datetime.date(YEAR, 7, 31),
        preselection_ends_on=datetime.date(YEAR, 8, 15),
        selection_ends_on=datetime.date(YEAR, 8, 31),
        state=CallState.CLOSED,
        created_by=officer,
        result_published_at=_at((9, 1)),
    )
    for move, from_state, to_state, day in CALL_STEPS:
        step = CallMove.objects.create(
            call=call, from_state=from_state, to_state=to_state, move=move, actor=officer
        )
        CallMove.objects.filter(pk=step.pk).update(at=_at(day))
    _seed_result_notice(call, officer)
    for village_name, (township_slug, steps, score, award) in OUTCOMES.items():
        township = Township.objects.get(slug=township_slug)
        with township_scope(township):
            _seed_application(call, Village.objects.get(name=village_name), steps, score, award)


def _seed_result_notice(call: Call, officer) -> None:
    """The city's notice of its result (经公示无异议 before the awards): posted on 1 September, one objection
    dismissed in writing by the city."""
    notice = ResultNotice.objects.create(
        call=call, **_period(call, settings.TIME_ZONE, officer, now=_at((9, 1)))
    )
    objection = ResultObjection.objects.create(
        notice=notice,
        objector_name="张先生",
        reason="希望公开各村的评分细则。",
        state=ObjectionState.DISMISSED,
        outcome="评分细则已随申报通知公布，评审过程符合规定；异议不成立。",
        resolved_by=officer,
        resolved_at=_at((9, 3)),
    )
    ResultObjection.objects.filter(pk=objection.pk).update(filed_at=_at((9, 2)))


def _seed_use_and_evaluation(city: Region) -> bool:
    """The awarded villages' spending with a city spot check (专款专用), and the applying villages' survey answers
    (知晓度、参与度、满意度), through the services. Idempotent."""
    created = False
    officer = RegionMembership.objects.get(user__username="demo-city", region=city)
    with dangerously_all_townships():  # the city's call spans its counties' townships
        applications = list(
            Application.objects.filter(call__region=city).select_related("village", "township")
        )
    for application in applications:
        with township_scope(application.township):
            if application.state == ApplicationState.AWARDED:
                office = Membership.objects.filter(township=application.township, role=Role.TOWNSHIP_ADMIN)
                created |= seed_award_use(
                    application, township_membership=office.order_by("pk").first(), officer_membership=officer
                )
            created |= seed_survey_answers([application.village])
    return created


def _seed_application(
    call: Call, village: Village, steps: list[str], score: str | None, award: str | None
) -> None:
    township = village.township
    office = Membership.objects.filter(township=township, role=Role.TOWNSHIP_ADMIN).order_by("id").first()
    assert office is not None
    county = RegionMembership.objects.get(region__township_links__township=township).user
    city = get_user_model().objects.get(username="demo-city")
    figures = village_figures(
        village, call.year, on=datetime.date(YEAR, 7, 10), grace_days=call.round_grace_days
    )
    state = STEPS[steps[-1]][0]
    application = Application(
        township=township,
        call=call,
        village=village,
        state=state,
        statement=f"{village.name}积分制管理全覆盖，积分超市每周开放。",
        form_name="申报表.pdf",
        form_content_type="application/pdf",
        form_size=len(FORM),
        figures_at=_at((7, 10)),
        households_eligible=figures.households_eligible,
        households_taking_part=figures.households_taking_part,
        shop_household_share=figures.shop_household_share,
        shop_resident_share=figures.shop_resident_share,
        rounds_counted=figures.rounds_counted,
        rounds_on_time=figures.rounds_on_time,
        objections_total=figures.objections_total,
        objections_resolved=figures.objections_resolved,
        score=Decimal(score) if score else None,
        award=Decimal(award) if award else None,
        applied_by=office.user,
    )
    application.form.save(application.form_name, ContentFile(FORM), save=False)
    application.save()
    if (
        "publish" in steps
    ):  # 经所在乡镇公示审核: the township's notice, over before it forwarded the application
        ApplicationNotice.objects.create(
            township=township,
            application=application,
            **_period(call, settings.TIME_ZONE, office.user, now=_at(STEPS["publish"][1])),
        )
    actors = {"apply": office.user, "publish": office.user, "forward": office.user}
    actors |= {"preselect": county, "not_preselect": county}
    previous = ""
    for move in ["apply", *steps]:
        to_state, day, comment = STEPS[move]
        step = ApplicationMove.objects.create(
            township=township,
            application=application,
            from_state=previous,
            to_state=to_state,
            move=move,
            actor=actors.get(move, city),
            comment=comment,
            score=application.score if move in ("select", "not_select") else None,
            amount=application.award if move == "award" else None,
        )
        ApplicationMove.objects.filter(pk=step.pk).update(at=_at(day))
        previous = to_state
