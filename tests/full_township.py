"""A township with one row of (almost) every kind: the ground the API fuzzer and the isolation matrix stand on.

`fill(t)` takes one township of the `world` fixture (tests/conftest.py: World) and adds a scheme with categories,
items and a role rule, approved and proposed entries with evidence, a threshold alert, a transfer, a review panel,
a quarterly round (collecting, with an assignment and an inspection), an annual round on notice (declaration,
meeting, objection), an import batch, a unit and a finished job. Rows are created directly where a service would demand a
whole procedure first: what matters here is that each kind of object exists, with ids in the URL space.

When a new township-owned model gets a route, add its row at the end of `fill()` (the isolation matrix tells you
which model it could not find an object of).
"""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import Job, JobState
from households.importing.mapping import signature
from households.models import ImportBatch, ImportMapping, Role, Unit, UnitKind
from review.models import (
    DailyRecord,
    Declaration,
    Inspection,
    Meeting,
    MeetingKind,
    Objection,
    PanelAssignment,
    PanelMember,
    PanelMemberKind,
    ReviewPanel,
    ReviewRound,
    RoundEntry,
    RoundKind,
    RoundState,
    SummaryState,
    WeeklySummary,
)
from scoring import services as scoring
from scoring.models import Evidence, ThresholdAlert
from tests.contract import member
from tests.factories import MembershipFactory, UserFactory
from tests.notices import approve_through_notice

D = Decimal
YEAR = 2026
# The smallest valid PNG (1×1): evidence files are checked by content.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def fill(t) -> None:
    """Add the rows to township `t` (an attribute bag of World: township, villages, areas, households, users)."""
    key = t.township.slug.removeprefix("town-")
    admin, township = t.admin, t.township
    v1, _v2 = t.villages
    h1, h2 = t.households
    area1 = t.areas[0]
    office = member(admin)

    scheme = scoring.create_scheme(
        membership=office, township=township, name="乡村治理", year=YEAR, allows_transfers=True
    )
    env = scoring.add_category(
        membership=office,
        scheme=scheme,
        name="环境整治",
        base_score=D("40"),
        cadence="quarterly",
        floor=D("0"),
    )
    party = scoring.add_category(
        membership=office, scheme=scheme, name="党的建设", base_score=D("20"), cadence="annual"
    )
    clean = scoring.add_item(
        membership=office, category=env, name="庭院整洁", kind="bonus", points=D("2"), threshold_count=1
    )
    scoring.add_item(membership=office, category=env, name="乱堆乱放", kind="penalty", points=D("2"))
    meeting_item = scoring.add_item(
        membership=office,
        category=party,
        name="参加党员活动",
        kind="bonus",
        points=D("3"),
        by_declaration=True,
    )
    party_role = scoring.add_role_rule(
        membership=office, scheme=scheme, code="party", name="党员", base_score=D("20")
    )
    scoring.activate_scheme(membership=office, scheme=scheme)
    scoring.assign_role(membership=office, household=h1, role=party_role, title="党员户", reason="支部认定")

    approved = scoring.record_entry(
        membership=office, household=h1, item=clean, occurred_on=datetime.date(YEAR, 3, 10), reason="整洁"
    )
    approve_through_notice([approved], membership=office)
    proposed = scoring.record_entry(
        membership=member(t.clerk),
        household=h1,
        item=clean,
        occurred_on=datetime.date(YEAR, 4, 10),
        reason="整洁",
    )
    scoring.record_entry(membership=office, household=h2, item=clean, occurred_on=datetime.date(YEAR, 3, 12))
    scoring.record_claim(  # 积分申报 outside rounds, not yet checked (so no batch takes it)
        membership=office,
        household=h2,
        item=meeting_item,
        occurred_on=datetime.date(YEAR, 3, 14),
        channel="wechat",
        cause="参加党员活动",
        checked=False,
    )
    Evidence.objects.create(
        township=township,
        entry=proposed,
        file=ContentFile(PNG, name="photo.png"),
        original_name="photo.png",
        content_type="image/png",
        size=len(PNG),
        uploaded_by=t.clerk,
    )
    assert ThresholdAlert.objects.filter(township=township).exists()
    scoring.transfer_points(
        membership=office,
        scheme=scheme,
        from_household=h1,
        to_household=h2,
        category=party,
        points=D("1"),
        reason="户口迁移",
    )

    panel = ReviewPanel.objects.create(township=township, village=v1, name="第一评议小组", home_area=area1)
    for n, kind in enumerate(PanelMemberKind.values):
        user = t.panel if n == 0 else UserFactory(username=f"{key}-p{n}")
        if n:
            MembershipFactory(user=user, township=township, role=Role.PANEL_MEMBER, villages=[v1])
        PanelMember.objects.create(township=township, panel=panel, user=user, kind=kind)

    quarterly = ReviewRound.objects.create(
        township=township,
        village=v1,
        scheme=scheme,
        kind=RoundKind.QUARTERLY,
        period=f"{YEAR}-Q1",
        state=RoundState.COLLECTING,
        notice_token=f"quarterly-{key}-token",
        created_by=admin,
    )
    PanelAssignment.objects.create(township=township, round=quarterly, panel=panel, area=area1)
    Inspection.objects.create(
        township=township,
        round=quarterly,
        household=h1,
        inspector=t.panel,
        inspected_on=datetime.date(YEAR, 3, 10),
    )
    now = timezone.now()
    annual = ReviewRound.objects.create(
        township=township,
        village=v1,
        scheme=scheme,
        kind=RoundKind.ANNUAL,
        period=str(YEAR),
        state=RoundState.ON_NOTICE,
        notice_opened_at=now,
        notice_ends_at=now + datetime.timedelta(days=3),
        notice_number=1,
        notice_token=f"annual-{key}-token",
        created_by=admin,
    )
    declared = scoring.record_entry(
        membership=member(t.clerk),
        household=h1,
        item=meeting_item,
        occurred_on=datetime.date(YEAR, 5, 1),
        source="declaration",
        reason="参加党员活动",
    )
    declaration = Declaration.objects.create(
        township=township,
        round=annual,
        household=h1,
        item=meeting_item,
        occurred_on=datetime.date(YEAR, 5, 1),
        place="村委会",
        description="参加党员活动",
        declared_by=t.clerk,
    )
    RoundEntry.objects.create(township=township, round=annual, entry=declared, declaration=declaration)
    # A class's rhythm (issue 15, item 4): a day of the duty monitor and a week's summary, handed over.
    monday = datetime.date(YEAR, 3, 9)
    DailyRecord.objects.create(township=township, village=v1, day=monday, duty_monitor=h1, recorded_by=admin)
    WeeklySummary.objects.create(
        township=township,
        village=v1,
        scheme=scheme,
        week=f"{YEAR}-W11",
        week_start=monday,
        state=SummaryState.HANDED_OVER,
        rows=[{"household": h1.pk, "number": h1.number, "minus": "0", "plus": "2"}],
        prepared_by=admin,
        prepared_at=now,
        vice_monitor=h1,
        handed_by=admin,
        handed_at=now,
    )
    Meeting.objects.create(
        township=township,
        round=annual,
        kind=MeetingKind.values[0],
        panel=panel,
        held_on=datetime.date(YEAR, 11, 20),
        recorded_by=admin,
    )
    Objection.objects.create(
        township=township,
        round=annual,
        household=h1,
        objector_name="王五",
        reason="分数不对",
        notice_number=1,
    )
    own_headers = ["户号", "村", "生产队", "户主姓名"]
    ImportBatch.objects.create(
        township=township,
        uploaded_by=admin,
        filename="roster.xlsx",
        headers=own_headers,
        mapping={"number": 0, "village": 1, "head_name": 3},
        rows=[
            {
                "row": 2,
                "cells": {"number": "X-1", "village": v1.name, "head_name": "王五"},
                "extra": {"2": "一组"},
            }
        ],
    )
    ImportMapping.objects.create(
        township=township,
        village=v1,
        signature=signature(own_headers),
        headers=own_headers,
        fields={"number": 0, "village": 1, "area": 2, "head_name": 3},
        saved_by=admin,
    )
    Unit.objects.create(
        township=township,
        village=v1,
        name=f"{key}兴农合作社",
        kind=UnitKind.COOPERATIVE,
        contact_name="王经理",
        contact_mobile="13900000001",
    )
    job = Job.objects.create(
        township=township,
        kind="roster-export",
        state=JobState.DONE,
        done=1,
        total=1,
        filename="roster.xlsx",
        created_by=admin,
    )
    job.file.save("roster.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    fill_pending_upload(t)
    fill_villager_requests(t, approved)
    fill_demonstration(t)
    _county_officer(t)
    fill_rewards(t, scheme)
    fill_class_rhythm(t, scheme)


def fill_pending_upload(t) -> None:
    """A photo the township's admin sent with a form that had other errors, kept for the next submit (core.uploads)."""
    from core.models import PendingUpload

    pending = PendingUpload(
        township=t.township, user=t.admin, token=f"kept-{t.township.slug}", original_name="院子.png"
    )
    pending.content_type = "image/png"
    pending.file.save(pending.token, ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)


def fill_villager_requests(t, approved) -> None:
    """What a villager sends from their own page (issue 14, item 6): a self-declaration with a photo (pending) and
    an appeal against the household's approved entry (pending)."""
    import io

    from PIL import Image

    h1 = t.households[0]
    code = scoring.issue_code(membership=member(t.admin), household=h1)[0]
    photo = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(photo, "PNG")  # a photo Pillow verifies (the service checks it)
    scoring.submit_self_declaration(
        code=code,
        what_happened="帮五保户打扫院子",
        occurred_on=datetime.date(YEAR, 5, 1),
        photo=ContentFile(photo.getvalue(), name="garden.png"),
    )
    scoring.submit_appeal(code=code, entry_id=approved.pk, reason="那天不在家")


def _county_officer(t) -> None:
    """`t.officer`: the programme officer of the township's county (a region member, not a township member)."""
    from demonstration.models import RegionMembership, RegionRole

    t.officer = UserFactory(username=f"{t.township.slug}-officer")
    RegionMembership.objects.create(
        user=t.officer, region=t.township.county_link.county, role=RegionRole.OFFICER
    )


def fill_rewards(t, scheme) -> None:
    """A published star rating, a reward level, a budget with funding and an allocation, a supermarket with a
    product, its stock moves and a redemption (village 1)."""
    from rewards import services as rewards
    from rewards.models import RewardAllocation

    admin, v1, h1 = t.admin, t.villages[0], t.households[0]
    office = member(admin)
    run, _created, _changes = rewards.rate_stars(membership=office, scheme=scheme)
    rewards.publish_run(membership=office, run=run)
    rewards.set_reward_level(membership=office, scheme=scheme, stars=5, reward="大米", value=D("0"))
    budget = rewards.open_budget(membership=office, village=v1, year=YEAR)
    # A village of one household has no star (10 % of 1 rounds down): the allocation is written directly.
    RewardAllocation.objects.create(
        township=t.township,
        budget=budget,
        run=run,
        household=h1,
        stars=5,
        plaque="五星级文明户",
        value=D("0"),
        created_by=admin,
    )
    shop = rewards.open_shop(membership=office, village=v1)
    soap = rewards.add_product(membership=office, shop=shop, name="肥皂", points=D("1"), cost=D("0"), stock=5)
    rewards.redeem(membership=office, household=h1, shop=shop, items={soap.pk: 1})
    fill_year_close(t, scheme)


def fill_year_close(t, scheme) -> None:
    """A year-end close (of the year before, written directly so the scheme's own year stays open for the rest of
    the fill) and household 1's spendable points cleared by it."""
    from rewards.models import SpendableClearing
    from scoring.models import YearClose

    close = YearClose.objects.create(
        township=t.township, scheme=scheme, year=YEAR - 1, closed_by=t.admin, spendable="clear"
    )
    SpendableClearing.objects.create(
        township=t.township,
        close=close,
        account=t.households[0].points_account,
        household=t.households[0],
        year=YEAR - 1,
        points=D("1"),
        reason="年度结算",
        created_by=t.admin,
    )


def fill_class_rhythm(t, scheme) -> None:
    """The class scheme's monthly report and term end (issue 15): a parent's comment on household 1's month and
    a prize list of village 1 (the term closed early), its first prize."""
    from publicity.models import ParentComment
    from rewards import services as rewards

    ParentComment.objects.create(
        township=t.township,
        household=t.households[0],
        month=f"{YEAR}-05",
        text="已阅",
        written_by=t.admin,
        written_at=timezone.now(),
    )
    rewards.compute_term_prizes(
        membership=member(t.admin), scheme=scheme, village=t.villages[0], close_early=True
    )


# Which model a URL means: by the path segment before `<pk>` (households/<pk>/ → Household) or by the kwarg's
# own name (household_pk, batch_id). Model names are matched generically (plural → singular, hyphens dropped,
# `rounds` → ReviewRound by suffix); SEGMENT_MODELS holds only the names that do not follow from the model.
SEGMENT_MODELS = {
    "members": "households.Membership",
    "import": "households.ImportBatch",
    "batch": "households.ImportBatch",
    "alerts": "scoring.ThresholdAlert",
    "stars": "rewards.StarRun",
    "panel-members": "review.PanelMember",
}


def township_models() -> list:
    """Township-owned models, and the few that belong to a township another way (see `owned_by`)."""
    from django.apps import apps

    from core.models import TownshipOwned

    return [m for m in apps.get_models() if issubclass(m, TownshipOwned)] + [
        apps.get_model(label) for label in OWNED_ELSEWHERE
    ]


# Models without a township column that still belong to one township's side: {label: lookup from the township}.
OWNED_ELSEWHERE = {
    "demonstration.Call": "region__township_links__township",  # a call of the township's own county
}


def owned_by(model, township):
    """The rows of `model` that belong to `township` (call inside a scope that allows it)."""
    lookup = OWNED_ELSEWHERE.get(model._meta.label, "township")
    return model.objects.filter(**{lookup: township}).order_by("pk")


def _singular(word: str) -> str:
    word = word.replace("-", "").replace("_", "")
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def model_for_segment(segment: str):
    """The township-owned model a path segment (or a kwarg's stem) names, or None when it is unclear."""
    from django.apps import apps

    if segment in SEGMENT_MODELS:
        return apps.get_model(SEGMENT_MODELS[segment])
    name = _singular(segment.lower())
    models = township_models()
    exact = [m for m in models if m._meta.model_name == name]
    if exact:
        return exact[0]
    by_suffix = [m for m in models if m._meta.model_name.endswith(name)]
    return by_suffix[0] if len(by_suffix) == 1 else None


def objects_of_segment(segment: str, township):
    """The township's objects of the kind a path segment names (an empty queryset when none is known)."""
    from core.tenancy import dangerously_all_townships

    model = model_for_segment(segment)
    with dangerously_all_townships():
        if model is None:
            from households.models import Village

            return Village.objects.none()
        return owned_by(model, township)


def seed_two_townships(django_db_blocker):
    """Generator for a module-scoped fixture: World A and B, both filled, rolled back when the module ends.

    Each test still runs in its own savepoint (pytest-django's `db`), so what one test changes the next does not see.
    """
    from django.core import signals
    from django.db import close_old_connections, transaction

    from core.tenancy import dangerously_all_townships
    from tests.conftest import World

    # Django's test client does the same: a WSGI request must not close the test transaction's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with django_db_blocker.unblock(), dangerously_all_townships(), transaction.atomic():
            world = World()
            fill(world.a)
            fill(world.b)
            yield world
            transaction.set_rollback(True)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def fill_demonstration(t) -> None:
    """Demonstration villages: the township in a county of its own (one city for both), a call of that county
    taking applications, and an application of village 1 with its form and first move."""
    from demonstration.models import (
        Application,
        ApplicationMove,
        ApplicationState,
        Call,
        CallState,
        Region,
        RegionKind,
        RegionTownship,
    )

    key = t.township.slug.removeprefix("town-")
    admin, v1 = t.admin, t.villages[0]
    city, _created = Region.objects.get_or_create(
        slug="matrix-city", defaults={"kind": RegionKind.CITY, "name": "市"}
    )
    county = Region.objects.create(kind=RegionKind.COUNTY, slug=f"county-{key}", name=f"{key}县", parent=city)
    RegionTownship.objects.create(county=county, township=t.township)
    call = Call.objects.create(
        region=county,
        title=f"{key}县示范村",
        year=YEAR,
        budget=D("100000"),
        villages_wanted=1,
        applications_open_on=datetime.date(YEAR, 7, 22),
        applications_close_on=datetime.date(YEAR, 8, 5),
        preselection_ends_on=datetime.date(YEAR, 8, 12),
        selection_ends_on=datetime.date(YEAR, 8, 31),
        state=CallState.OPEN,
        created_by=admin,
    )
    application = Application(
        township=t.township,
        call=call,
        village=v1,
        form_name="申报表.pdf",
        form_content_type="application/pdf",
        form_size=9,
        figures_at=timezone.now(),
        households_eligible=1,
        households_taking_part=1,
        shop_household_share=D("100"),
        shop_resident_share=D("50"),
        rounds_counted=1,
        rounds_on_time=1,
        objections_total=1,
        objections_resolved=0,
        applied_by=admin,
    )
    application.form.save("form.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    ApplicationMove.objects.create(
        township=t.township,
        application=application,
        from_state="",
        to_state=ApplicationState.SUBMITTED,
        move="apply",
        actor=admin,
    )
    fill_award(t, application, county)


def fill_award(t, submitted, county) -> None:
    """The use of an award: village 2's awarded application of the same call, a spending with its invoice and a
    county's check that sampled it (the award pages and their invoice route reach B's rows)."""
    from demonstration.models import (
        Application,
        ApplicationState,
        AwardCheck,
        AwardPurpose,
        AwardSpending,
        CheckFinding,
    )

    awarded = Application(
        township=t.township,
        call=submitted.call,
        village=t.villages[1],
        state=ApplicationState.AWARDED,
        award=D("20000"),
        form_name="申报表.pdf",
        form_content_type="application/pdf",
        form_size=9,
        figures_at=timezone.now(),
        households_eligible=1,
        households_taking_part=1,
        shop_household_share=D("100"),
        shop_resident_share=D("50"),
        rounds_counted=1,
        rounds_on_time=1,
        objections_total=0,
        objections_resolved=0,
        applied_by=t.admin,
    )
    awarded.form.save("form.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    spending = AwardSpending(
        township=t.township,
        application=awarded,
        spent_on=datetime.date(YEAR, 9, 1),
        purpose=AwardPurpose.SHOP_GOODS,
        amount=D("1000"),
        supplier="超市",
        invoice_name="发票.pdf",
        invoice_content_type="application/pdf",
        invoice_size=9,
        recorded_by=t.admin,
    )
    spending.invoice.save("invoice.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    check = AwardCheck.objects.create(
        township=t.township,
        application=awarded,
        region=county,
        checked_on=datetime.date(YEAR, 9, 15),
        finding=CheckFinding.NONE,
        checked_by=t.admin,
    )
    check.sampled.set([spending])
