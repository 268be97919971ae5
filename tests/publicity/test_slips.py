"""奖分通知单 (issue 14, item 5): the reward slip of an approved claim (A5) and a notice batch's slips (A4, two to a
page), as real PDFs read back with poppler; refused for a claim that does not count yet; 404 for what the member
may not read."""

import datetime
import subprocess

import pytest
from django.http import Http404

from core.permissions import Role
from households.models import Membership
from review.models import ReviewRound, RoundKind
from scoring import services
from scoring.models import EntryState
from tests.factories import AreaFactory, HouseholdFactory, MembershipFactory, ResidentFactory, UserFactory
from tests.notices import approve_through_notice
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S607


def info_of(pdf: bytes) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S607
    return {k.strip(): v.strip() for k, _sep, v in (line.partition(":") for line in out.splitlines())}


class Slips:
    """Town A: a grid worker of village 1 records claims; the township office approves them through a batch."""

    def __init__(self, world):
        self.world = world
        self.c = Catalogue(world)
        self.t = world.a.township.slug
        self.grid_user = UserFactory(username="a-grid", first_name="王网格")
        MembershipFactory(
            user=self.grid_user,
            township=world.a.township,
            role=Role.GRID_WORKER,
            villages=[world.a.villages[0]],
        )
        self.grid = Membership.objects.get(user=self.grid_user)
        world.a.admin.first_name = "刘镇长"
        world.a.admin.save()
        self.h3 = HouseholdFactory(area=world.a.areas[0], number="A-003")
        ResidentFactory(household=self.h3, name="陈五", is_head=True)

    def claim(self, household, membership=None, **kwargs):
        return services.record_claim(
            membership=membership or self.grid,
            household=household,
            item=self.c.item,
            occurred_on=self.c.day,
            channel=kwargs.pop("channel", "phone"),
            cause=kwargs.pop("cause", "帮助邻居抢收玉米"),
            **kwargs,
        )


@pytest.fixture
def slips(world):
    return Slips(world)


def claim_url(s, entry, api=False):
    return (
        (f"/api/v1/t/{s.t}/claims/{entry.pk}/slip.pdf")
        if api
        else f"/t/{s.t}/publicity/claims/{entry.pk}/slip.pdf"
    )


def batch_url(s, batch, api=False):
    return (
        (f"/api/v1/t/{s.t}/rounds/{batch.pk}/slips.pdf")
        if api
        else f"/t/{s.t}/publicity/rounds/{batch.pk}/slips.pdf"
    )


def test_the_slip_of_an_approved_claim_names_the_holder_the_item_the_points_and_who_did_each_step(
    slips, login
):
    entry = slips.claim(
        slips.c.h1,
        declarer_name="张小明",
        declarer_relation="儿子",
        place="村东打谷场",
        happened_at=datetime.time(9, 30),
    )
    approve_through_notice([entry], membership=slips.c.office)
    batch = ReviewRound.objects.get(round_entries__entry=entry)

    response = login(slips.world.a.clerk).get(claim_url(slips, entry))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    for expected in [
        "奖分通知单",
        "A镇",
        "a东村",
        "A-001",
        "张三明",  # the head, in full: the holder's own document, as the passbook
        "庭院整洁",
        "+2 分",
        "村东打谷场",
        "09:30",
        "帮助邻居抢收玉米",
        "张小明（儿子，代为申报）",
        "电话",
        "王网格",  # recorded and checked by the grid worker (the real operator)
        "刘镇长",  # posted, submitted and approved by the township office here
        batch.get_period_display(),
    ]:
        assert expected in text, expected
    # Base 40 of the one category, plus this claim's 2 points, worked out by hand.
    assert "累计积分（含本次）：42 分" in text
    info = info_of(response.content)
    assert info["Pages"] == "1" and info["Page size"].startswith("595.276 x 419.528")  # A5 landscape
    assert "attachment" not in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]


def test_the_slip_embeds_the_chinese_font(slips, login):
    entry = slips.claim(slips.c.h1)
    approve_through_notice([entry], membership=slips.c.office)

    pdf = login(slips.world.a.admin).get(claim_url(slips, entry)).content

    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()  # noqa: S607
    assert "Noto-Sans-CJK-SC" in fonts and " yes " in fonts


def test_a_proposed_or_withdrawn_claim_gets_no_slip(slips, login):
    proposed = slips.claim(slips.c.h1)
    withdrawn = slips.claim(slips.h3)
    services.withdraw_entry(membership=slips.c.office, entry=withdrawn, reason="重复申报")
    assert withdrawn.__class__.objects.get(pk=withdrawn.pk).state == EntryState.WITHDRAWN
    client = login(slips.world.a.clerk)

    for entry in (proposed, withdrawn):
        page = client.get(claim_url(slips, entry))
        assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
        assert "只有已通过审批的申报才能打印奖分通知单" in page.content.decode()
        api = client.get(claim_url(slips, entry, api=True))
        assert api.status_code == 400 and api.json()["code"] == "not_approved"


def test_a_batch_prints_every_approved_claim_two_to_an_a4_page_by_area_and_household_number(slips, login):
    c = slips.c
    claims = [slips.claim(h) for h in (slips.h3, c.h1, slips.h3)]
    direct = c.record(c.h1)  # a direct entry on the same batch: no claim, no slip
    approve_through_notice([*claims, direct], membership=c.office)
    batch = ReviewRound.objects.get(round_entries__entry=claims[0])
    assert batch.kind == RoundKind.BATCH

    response = login(slips.world.a.clerk).get(batch_url(slips, batch))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    info = info_of(response.content)
    assert info["Pages"] == "2" and "A4" in info["Page size"]  # 3 slips: ceil(3 / 2)
    text = text_of(response.content)
    assert text.count("奖分通知单") == 3 and "沿此线剪开" in text
    first, second = text.index("A-001"), text.index("A-003")
    assert first < second  # by household number within the area
    assert "陈五" in text and "张三明" in text


def test_the_api_serves_the_same_slips(slips, login):
    entries = [slips.claim(slips.c.h1), slips.claim(slips.h3)]
    approve_through_notice(entries, membership=slips.c.office)
    batch = ReviewRound.objects.get(round_entries__entry=entries[0])
    client = login(slips.grid_user)

    one = client.get(claim_url(slips, entries[0], api=True))
    both = client.get(batch_url(slips, batch, api=True), HTTP_ACCEPT="application/pdf")

    assert one.status_code == 200 and one["Content-Type"] == "application/pdf"
    assert "A-001" in text_of(one.content)
    assert both.status_code == 200 and info_of(both.content)["Pages"] == "1"
    assert client.post(claim_url(slips, entries[0], api=True)).status_code == 405


def test_a_batch_without_an_approved_claim_prints_nothing(slips, login):
    c = slips.c
    direct = c.record(c.h1)
    approve_through_notice([direct], membership=c.office)
    batch = ReviewRound.objects.get(round_entries__entry=direct)
    client = login(slips.world.a.admin)

    page = client.get(batch_url(slips, batch))
    api = client.get(batch_url(slips, batch, api=True))

    assert page.status_code == 400 and "没有已通过审批的申报" in page.content.decode()
    assert api.status_code == 400 and api.json()["code"] == "no_approved_claims"


def test_other_townships_other_villages_other_areas_and_the_county_get_404(slips, login, client):
    world = slips.world
    entry = slips.claim(slips.c.h1)
    approve_through_notice([entry], membership=slips.c.office)
    batch = ReviewRound.objects.get(round_entries__entry=entry)
    other_area = AreaFactory(village=world.a.villages[0], township=world.a.township, name="二组")
    narrow = UserFactory(username="a-grid-2")
    m = MembershipFactory(
        user=narrow, township=world.a.township, role=Role.GRID_WORKER, villages=[world.a.villages[0]]
    )
    m.areas.set([other_area])
    village2_clerk = UserFactory(username="a-clerk-2")
    MembershipFactory(
        user=village2_clerk,
        township=world.a.township,
        role=Role.VILLAGE_CLERK,
        villages=[world.a.villages[1]],
    )

    for user in (world.b.admin, world.b.clerk, world.a.county, village2_clerk):
        client.force_login(user)
        for url in (claim_url(slips, entry), batch_url(slips, batch)):
            assert client.get(url).status_code == 404, (user, url)
            assert client.get(url.replace("/t/", "/api/v1/t/").replace("/publicity/", "/")).status_code == 404
    client.force_login(narrow)  # a grid worker of another area of the same village
    assert client.get(claim_url(slips, entry)).status_code == 404
    assert client.get(batch_url(slips, batch)).status_code == 400  # the batch is theirs, this claim is not
    b_url = f"/t/{world.b.township.slug}/publicity/claims/{entry.pk}/slip.pdf"
    client.force_login(world.b.admin)
    assert client.get(b_url).status_code == 404  # A's claim under B's slug


def test_the_claim_and_batch_pages_offer_the_slips_once_approved(slips, login):
    entry = slips.claim(slips.c.h1)
    client = login(slips.world.a.clerk)
    claim_page = f"/t/{slips.t}/review/claims/{entry.pk}/"
    assert claim_url(slips, entry) not in client.get(claim_page).content.decode()

    approve_through_notice([entry], membership=slips.c.office)
    batch = ReviewRound.objects.get(round_entries__entry=entry)

    assert claim_url(slips, entry) in client.get(claim_page).content.decode()
    batch_page = client.get(f"/t/{slips.t}/review/rounds/{batch.pk}/").content.decode()
    assert batch_url(slips, batch) in batch_page and "打印奖分通知单" in batch_page


def test_a_big_batch_is_a_job_that_prints_what_its_starter_may_read(slips, login, monkeypatch):
    from core import jobs
    from core.models import Job, JobState

    entries = [slips.claim(slips.c.h1), slips.claim(slips.h3), slips.claim(slips.h3)]
    approve_through_notice(entries, membership=slips.c.office)
    batch = ReviewRound.objects.get(round_entries__entry=entries[0])
    monkeypatch.setattr("publicity.slip_views.SLIPS_INLINE", 2)
    monkeypatch.setattr("publicity.api.slips.SLIPS_INLINE", 2)
    client = login(slips.world.a.clerk)

    page = client.get(batch_url(slips, batch))
    api = client.get(batch_url(slips, batch, api=True))

    assert page.status_code == 302 and "/jobs/" in page["Location"]
    assert api.status_code == 202 and "/jobs/" in api.json()["url"]
    job = Job.objects.get(pk=api.json()["job"])
    jobs.run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE
    content = job.file.read()
    assert info_of(content)["Pages"] == "2" and text_of(content).count("奖分通知单") == 3

    later = Job.objects.get(
        pk=client.get(batch_url(slips, batch), follow=False)["Location"].rstrip("/").split("/")[-1]
    )
    Membership.objects.filter(
        user=slips.world.a.clerk
    ).delete()  # revoked before the job ran: it prints nothing
    with pytest.raises(Http404):
        jobs.run(later.pk)
    later.refresh_from_db()
    assert later.state == JobState.FAILED and not later.file


def test_the_slips_cost_the_same_number_of_queries_for_one_claim_and_for_six(
    slips, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from publicity.slips import batch_for_slips, slip_data

    c = slips.c
    first = [slips.claim(c.h1)]
    approve_through_notice(first, membership=c.office)
    small_batch = ReviewRound.objects.get(round_entries__entry=first[0])
    with CaptureQueriesContext(connection) as one:
        slip_data(batch_for_slips(slips.grid, small_batch.pk)[1])
    more = [HouseholdFactory(area=slips.world.a.areas[0], number=f"A-1{i:02d}") for i in range(3)]
    six = [slips.claim(h) for h in [*more, c.h1, slips.h3, slips.h3]]
    approve_through_notice(six, membership=c.office)
    big_batch = ReviewRound.objects.get(round_entries__entry=six[0])

    with django_assert_max_num_queries(len(one)):
        assert len(slip_data(batch_for_slips(slips.grid, big_batch.pk)[1])) == 6


def test_a_claim_found_false_after_its_approval_gets_no_slip_and_leaves_the_batch(slips, login):
    kept, false = slips.claim(slips.c.h1), slips.claim(slips.h3)
    approve_through_notice([kept, false], membership=slips.c.office)
    batch = ReviewRound.objects.get(round_entries__entry=kept)
    services.penalise_false_declaration(membership=slips.c.office, entry=false, reason="邻居证实并无此事")
    client = login(slips.world.a.clerk)

    refused = client.get(claim_url(slips, false))
    batch_pdf = client.get(batch_url(slips, batch))
    batch_page = client.get(f"/t/{slips.t}/review/rounds/{batch.pk}/").content.decode()

    assert refused.status_code == 400 and "查实虚假" in refused.content.decode()
    text = text_of(batch_pdf.content)
    assert text.count("奖分通知单") == 1 and "A-001" in text and "A-003" not in text
    assert "1 份已审批申报" in batch_page
