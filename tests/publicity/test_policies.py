"""Incentive policies: the township office keeps them, one rule says who qualifies, and each prints (PDF) and
exports (.xlsx) its list; the three lists Jifen always had are seeded policies that give the same rows."""

import io
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from core.tenancy import township_scope
from households.models import Township
from publicity import services
from publicity.models import IncentivePolicy
from publicity.policies import qualifying_households
from rewards import services as rewards
from tests.contract import member
from tests.rewards.conftest import StarWorld

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def rated(world):
    """Two villages of ten households; in each the first three are 5, 4 and 3 stars (totals 150/130/120 and
    160/140/125 on a base of 100). Party members live in 星村V01-0001 (4★), V01-0003 (no star) and V02-0002 (3★).
    The heads of the first village have ID and mobile numbers."""
    stars = StarWorld(world)
    one = stars.village([150, 130, 120, 110, 105, 104, 103, 102, 101, 100])
    two = stars.village([160, 140, 125, 110, 105, 104, 103, 102, 101, 100])
    for i, household in enumerate(one + two):
        household.members.create(
            township=stars.township,
            name=f"户主{household.number}",
            is_head=True,
            id_number=f"11010119900101{i:04d}" if household in one else "",
            mobile=f"1380013{i:04d}" if household in one else "",
        )
    for household in (one[1], one[3], two[2]):
        household.members.create(township=stars.township, name="党员", is_party_member=True)
    with township_scope(stars.township):
        run, _, _ = rewards.rate_stars(membership=member(stars.admin), scheme=stars.scheme)
        rewards.publish_run(membership=member(stars.admin), run=run)
    stars.one, stars.two = one, two
    return stars


def _policy(world, key="bank") -> IncentivePolicy:
    with township_scope(world.a.township):
        return IncentivePolicy.objects.get(township=world.a.township, key=key)


def _numbers(rows) -> list[str]:
    return [row["number"] for row in rows]


def test_every_township_starts_with_the_bank_party_and_commendation_policies(world):
    for township in (world.a.township, world.b.township):
        with township_scope(township):
            keys = set(IncentivePolicy.objects.values_list("key", flat=True))
        assert keys == {"bank", "party", "commendation"}
    new = Township.objects.create(slug="xin", name="新镇")
    with township_scope(new):
        policies = list(IncentivePolicy.objects.order_by("key"))
    assert [p.key for p in policies] == ["bank", "commendation", "party"]
    assert all(p.min_stars == 3 and not p.party_members_only and p.active for p in policies)


def test_the_seeded_policies_list_every_star_household_best_first_with_masked_numbers(rated, world):
    with township_scope(world.a.township):
        for key in ("bank", "party", "commendation"):
            rows = qualifying_households(_policy(world, key), 2026)
            assert _numbers(rows) == [
                "V01-0000", "V02-0000", "V01-0001", "V02-0001", "V01-0002", "V02-0002"
            ]  # fmt: skip
    first = rows[0]
    assert first["stars"] == 5 and first["total"] == D("150") and first["rank"] == "1/10"
    assert first["head"] == "户主V01-0000"
    assert first["id_number"] == "110101********0000" and first["mobile"] == "138****0000"


def test_a_policy_can_ask_for_more_stars_a_total_or_a_party_member(rated, world):
    admin = member(world.a.admin)
    with township_scope(world.a.township):
        four = services.create_policy(membership=admin, name="话费充值", partner="县移动公司", min_stars=4)
        top = services.create_policy(
            membership=admin, name="就医绿色通道", partner="镇卫生院", min_stars=5, min_total=D("155")
        )
        party = services.create_policy(membership=admin, name="党员户信用贷款", party_members_only=True)
        assert _numbers(qualifying_households(four, 2026)) == ["V01-0000", "V02-0000", "V01-0001", "V02-0001"]
        assert _numbers(qualifying_households(top, 2026)) == ["V02-0000"]
        # ranking is per household: a star household with a party member qualifies; V01-0003 has no star
        assert _numbers(qualifying_households(party, 2026)) == ["V01-0001", "V02-0002"]
        village = rated.one[0].village_id
        assert _numbers(qualifying_households(four, 2026, [village])) == ["V01-0000", "V01-0001"]


def test_a_year_without_a_published_rating_is_refused_with_what_to_do(rated, world):
    with township_scope(world.a.township), pytest.raises(DomainError) as refused:
        qualifying_households(_policy(world), 2025)
    assert "run and publish the rating first" in str(refused.value.message)


def test_the_office_creates_updates_and_stops_a_policy(world):
    admin = member(world.a.admin)
    with township_scope(world.a.township):
        policy = services.create_policy(membership=admin, name=" 养老院优先 ", partner="镇敬老院")
        assert policy.name == "养老院优先" and policy.created_by == world.a.admin and policy.active
        services.update_policy(membership=admin, policy=policy, min_stars=4, benefit="优先入住")
        services.deactivate_policy(membership=admin, policy=policy)
        policy.refresh_from_db()
        assert (policy.min_stars, policy.benefit, policy.active) == (4, "优先入住", False)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "推荐党组织"}, "name"),  # the seeded party policy has this name
        ({"name": "公租房优先", "min_stars": 2}, "min_stars"),
        ({"name": "公租房优先", "min_total": D("-1")}, "min_total"),
    ],
)
def test_bad_policies_are_refused_and_nothing_is_written(world, fields, field):
    with township_scope(world.a.township):
        before = IncentivePolicy.objects.count()
        with pytest.raises(DomainError) as refused:
            services.create_policy(membership=member(world.a.admin), **fields)
        assert refused.value.field == field
        assert IncentivePolicy.objects.count() == before


def test_a_clerk_cannot_keep_policies_and_nothing_changes(world):
    policy = _policy(world)
    with township_scope(world.a.township):
        with pytest.raises(PermissionDenied):
            services.update_policy(membership=member(world.a.clerk), policy=policy, name="改名")
        with pytest.raises(PermissionDenied):
            services.deactivate_policy(membership=member(world.a.clerk), policy=policy)
        policy.refresh_from_db()
    assert policy.active and policy.name == "星级文明户信用贷款（积分贷）"


# Pages ------------------------------------------------------------------------------------------------------------


def _url(world, name, **kwargs):
    return reverse(f"publicity:{name}", kwargs={"township_slug": world.a.township.slug, **kwargs})


def _pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_the_policy_list_makes_a_constant_number_of_queries(world, client, django_assert_max_num_queries):
    client.force_login(world.a.admin)
    url = _url(world, "policy-list")
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    admin = member(world.a.admin)
    with township_scope(world.a.township):
        for i in range(10):
            services.create_policy(membership=admin, name=f"政策{i}", partner="银行")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    assert "政策9" in body and "推荐党组织" in body


def test_the_office_creates_a_policy_on_its_page_and_sees_who_qualifies(rated, world, client):
    client.force_login(world.a.admin)
    created = client.post(
        _url(world, "policy-create"),
        {
            "name": "话费充值",
            "partner": "县移动公司",
            "benefit": "每月话费",
            "min_stars": "4",
            "description": "",
        },
    )
    with township_scope(world.a.township):
        policy = IncentivePolicy.objects.get(name="话费充值")
    assert created.status_code == 302 and created["Location"] == _url(
        world, "policy-qualifying", pk=policy.pk
    )
    page = client.get(created["Location"], {"year": 2026, "village": rated.one[0].village_id})
    body = page.content.decode()
    assert "V01-0000" in body and "V01-0001" in body and "V02-0000" not in body and "V01-0002" not in body
    assert "110101********0000" in body and "110101199001010000" not in body
    taken = client.post(_url(world, "policy-create"), {"name": "话费充值", "min_stars": "3"})
    assert (
        taken.status_code == 200 and "本镇已有同名政策" in taken.content.decode()
    )  # pages are Chinese first


def test_the_qualifying_list_prints_as_pdf_and_exports_as_xlsx(rated, world, client):
    client.force_login(world.a.admin)
    with township_scope(world.a.township):
        policy = services.create_policy(
            membership=member(world.a.admin), name="就医绿色通道", partner="镇卫生院", min_stars=5
        )
    url = _url(world, "policy-qualifying", pk=policy.pk)
    pdf = client.get(url, {"year": 2026, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "就医绿色通道" in text and "镇卫生院" in text and "V01-0000" in text and "V02-0000" in text
    assert "V01-0001" not in text
    xlsx = client.get(url, {"year": 2026, "format": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert "就医绿色通道" in rows[0][0] and rows[1][0] == "村"
    assert [r[1] for r in rows[2:]] == ["V01-0000", "V02-0000"]
    assert rows[2][3] == "110101********0000" and rows[2][4] == "138****0000" and rows[2][5] == 5


def test_the_old_incentive_list_url_gives_the_seeded_policy_rows(rated, world, client):
    client.force_login(world.a.admin)
    old = client.get(_url(world, "incentive-lists"), {"year": 2026, "purpose": "party", "format": "xlsx"})
    new = client.get(
        _url(world, "policy-qualifying", pk=_policy(world, "party").pk), {"year": 2026, "format": "xlsx"}
    )
    old_rows = list(openpyxl.load_workbook(io.BytesIO(old.content)).active.iter_rows(values_only=True))
    new_rows = list(openpyxl.load_workbook(io.BytesIO(new.content)).active.iter_rows(values_only=True))
    assert old_rows == new_rows and len(old_rows) == 8  # title, header, six star households


def test_a_clerk_cannot_open_the_policy_pages(world, client):
    client.force_login(world.a.clerk)
    policy = _policy(world)
    for url in (_url(world, "policy-list"), _url(world, "policy-edit", pk=policy.pk)):
        assert client.get(url).status_code == 403
    assert client.post(_url(world, "policy-edit", pk=policy.pk), {"deactivate": "1"}).status_code == 403
    with township_scope(world.a.township):
        assert IncentivePolicy.objects.get(pk=policy.pk).active


def test_the_office_stops_a_policy_on_its_page(world, client):
    client.force_login(world.a.admin)
    policy = _policy(world, "commendation")
    stopped = client.post(_url(world, "policy-edit", pk=policy.pk), {"deactivate": "1"})
    assert stopped.status_code == 302
    with township_scope(world.a.township):
        assert not IncentivePolicy.objects.get(pk=policy.pk).active
    saved = client.post(_url(world, "policy-edit", pk=policy.pk), {"name": "表彰", "min_stars": "3"})
    assert saved.status_code == 302
    with township_scope(world.a.township):
        policy.refresh_from_db()
    assert policy.name == "表彰" and not policy.active  # saving the form does not bring a stopped policy back
    client.post(_url(world, "policy-edit", pk=policy.pk), {"reactivate": "1"})
    with township_scope(world.a.township):
        policy.refresh_from_db()
    assert policy.active


def test_the_policy_pages_are_in_chinese(world, client):
    client.force_login(world.a.admin)
    with translation.override("zh-hans"):
        body = client.get(_url(world, "policy-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        form = client.get(_url(world, "policy-create"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "激励政策" in body and "新增政策" in body and "合作单位" in body and "推荐党组织" in body
    assert "星级要求" in form and "仅限党员户" in form and "保存政策" in form
