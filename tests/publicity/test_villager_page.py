"""The villagers' own page (issue 14, item 6): a passbook's QR code, a second factor, a lockout, nothing cached."""

import datetime
import subprocess

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pyzbar.pyzbar import decode

from core.tenancy import dangerously_all_townships, township_scope
from households.models import Resident
from publicity.villager import villager_url
from scoring import services
from scoring.models import PassbookCode
from tests.contract import member
from tests.factories import HouseholdFactory, ResidentFactory
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _issue(world, household=None, user=None):
    with township_scope(world.a.township):
        return services.issue_code(
            membership=member(user or world.a.admin), household=household or world.a.households[0]
        )


def _url(code):
    return reverse("publicity:villager-page", kwargs={"code": code})


def _codes():
    with dangerously_all_townships():
        return list(PassbookCode.objects.order_by("pk"))


def test_the_code_is_long_random_and_only_its_hash_is_stored(world):
    row, code = _issue(world)
    assert len(code) >= 32 and code != _issue(world, world.a.households[1])[1]
    assert row.code_hash == services.hash_code(code) and code not in row.code_hash


def test_a_reprint_revokes_the_old_code_in_the_same_step(world, client):
    old_row, old = _issue(world)
    new_row, new = _issue(world)
    rows = _codes()
    assert [r.pk for r in rows if r.revoked_at is None] == [new_row.pk]
    assert rows[0].revoked_by == world.a.admin
    response = client.get(_url(old))
    assert response.status_code == 404 and "已作废" in response.content.decode()
    assert client.get(_url(new)).status_code == 200


def test_revoke_and_nothing_to_revoke(world):
    _issue(world)
    with township_scope(world.a.township):
        services.revoke_code(membership=member(world.a.clerk), household=world.a.households[0])
        assert services.live_code(world.a.households[0]) is None
        with pytest.raises(Exception, match="nothing to revoke|没有"):
            services.revoke_code(membership=member(world.a.clerk), household=world.a.households[0])


def test_a_clerk_of_another_village_cannot_issue(world):
    with township_scope(world.a.township), pytest.raises(PermissionDenied):
        services.issue_code(membership=member(world.a.clerk), household=world.a.households[1])
    assert _codes() == []


def test_a_forged_code_is_refused_in_chinese_and_writes_nothing(world, client):
    _issue(world)
    for forged in ("x" * 43, "short", "y" * 500):
        response = client.get(_url(forged))
        assert response.status_code == 404
        assert "二维码无效" in response.content.decode()
        assert response["Cache-Control"].startswith("no-store")


def test_the_second_factor_opens_the_page_for_this_code_only(world, client):
    catalogue = Catalogue(world)
    with township_scope(world.a.township):
        catalogue.record(world.a.households[0])  # proposed: not counted yet
        Resident.objects.filter(household=world.a.households[1]).update(name="欧阳别家")
    _row, code = _issue(world)
    page = client.get(_url(code))
    assert page.status_code == 200 and "后4位" in page.content.decode()
    assert "庭院整洁" not in page.content.decode()  # nothing shown before the second factor
    assert page["Cache-Control"].startswith("no-store") and page["Referrer-Policy"] == "same-origin"
    ok = client.post(_url(code), {"digits": "8000"})  # the head's mobile 13800138000
    assert ok.status_code == 302
    shown = client.get(_url(code))
    html = shown.content.decode()
    assert shown.status_code == 200
    assert "A-001" in html and "张三明" in html and "庭院整洁" in html and "尚未计入" in html
    assert "欧阳别家" not in html and "A-002" not in html  # no other household's name or number
    assert {"no-store", "private", "max-age=0", "no-cache"} <= {
        part.strip() for part in shown["Cache-Control"].split(",")
    }
    assert shown["Expires"] and shown["Pragma"] == "no-cache"
    assert shown["Referrer-Policy"] == "same-origin"  # its forms post with an Origin; it links nowhere else
    # The flag is for this code only: another household's code asks again.
    with township_scope(world.a.township):
        Resident.objects.filter(household=world.a.households[1]).update(mobile="13900001111")
    _row2, other = _issue(world, world.a.households[1])
    client.cookies["jifen_passbook"] = shown.wsgi_request.COOKIES["jifen_passbook"]
    assert "庭院整洁" not in client.get(_url(other)).content.decode()


def test_the_id_number_works_too_with_its_x(world, client):
    _row, code = _issue(world)
    assert client.post(_url(code), {"digits": "002x"}).status_code == 302


def test_the_flag_expires_after_30_minutes(world, client):
    _row, code = _issue(world)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert client.post(_url(code), {"digits": "8000"}).status_code == 302
        assert "后4位" not in client.get(_url(code)).content.decode()
        traveller.shift(datetime.timedelta(minutes=31))
        assert "后4位" in client.get(_url(code)).content.decode()


def test_five_wrong_answers_lock_the_code_for_15_minutes(world, client):
    _row, code = _issue(world)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            response = client.post(_url(code), {"digits": "1234"})
            assert response.status_code == 400 and "不符" in response.content.decode()
        locked = client.post(_url(code), {"digits": "8000"})  # even the right answer
        assert locked.status_code == 429 and "锁定" in locked.content.decode()
        traveller.shift(datetime.timedelta(minutes=14))
        assert client.post(_url(code), {"digits": "8000"}).status_code == 429
        traveller.shift(datetime.timedelta(minutes=2))
        assert client.post(_url(code), {"digits": "8000"}).status_code == 302
    [row] = _codes()  # only the failure count was written
    assert row.revoked_at is None and row.locked_until is not None


def test_one_address_is_locked_after_20_wrong_answers_across_codes(world, client):
    codes = []
    with township_scope(world.a.township):
        for i in range(6):
            household = HouseholdFactory(area=world.a.areas[0], number=f"A-1{i}")
            ResidentFactory(household=household, name="王五", is_head=True, mobile="13800138000")
            codes.append(services.issue_code(membership=member(world.a.admin), household=household)[1])
    for code in codes[:5]:  # 4 wrong answers per code: no code is locked, but the address is after 20
        for _ in range(4):
            assert client.post(_url(code), {"digits": "1234"}).status_code == 400
    assert client.post(_url(codes[5]), {"digits": "8000"}).status_code == 429
    other = client.post(_url(codes[5]), {"digits": "8000"}, REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 302


def test_no_factor_on_record_says_to_ask_the_clerk(world, client):
    _row, code = _issue(world, world.a.households[1])  # 李四: no mobile, no ID number
    response = client.get(_url(code))
    assert "村" in response.content.decode() and "<form" not in response.content.decode().split("<main")[-1]
    assert client.post(_url(code), {"digits": "0000"}).status_code == 200


def test_the_reprint_prints_the_qr_of_the_page(world, client, tmp_path):
    Catalogue(world)
    client.force_login(world.a.clerk)
    url = reverse(
        "publicity:passbook-code-issue", kwargs={"township_slug": "town-a", "pk": world.a.households[0].pk}
    )
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"].startswith("no-store")
    path = tmp_path / "passbook.pdf"
    path.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "page")], check=True)
    found = [s.data.decode() for p in sorted(tmp_path.glob("page*.png")) for s in decode(Image.open(p))]
    page_urls = [u for u in found if "/v/" in u]
    assert len(page_urls) == 1
    [row] = _codes()
    code = page_urls[0].rstrip("/").rsplit("/", 1)[-1]
    assert services.hash_code(code) == row.code_hash and page_urls[0] == villager_url(code)


def test_staff_pages_show_whether_a_code_is_live_and_revoke_it(world, client):
    Catalogue(world)
    client.force_login(world.a.clerk)
    passbook = reverse(
        "scoring:passbook", kwargs={"township_slug": "town-a", "household_pk": world.a.households[0].pk}
    )
    assert "没有有效的二维码" in client.get(passbook).content.decode()
    _row, code = _issue(world)
    html = client.get(passbook).content.decode()
    assert "撤销二维码" in html and code not in html
    revoke = reverse(
        "publicity:passbook-code-revoke", kwargs={"township_slug": "town-a", "pk": world.a.households[0].pk}
    )
    assert client.post(revoke).status_code == 302
    assert client.get(_url(code)).status_code == 404


def test_a_clerk_of_township_b_gets_404_for_a_household_of_a(world, client):
    _issue(world)
    client.force_login(world.b.admin)
    for name in ("publicity:passbook-code-issue", "publicity:passbook-code-revoke"):
        url = reverse(name, kwargs={"township_slug": "town-a", "pk": world.a.households[0].pk})
        assert client.post(url).status_code == 404
        url = reverse(name, kwargs={"township_slug": "town-b", "pk": world.a.households[0].pk})
        assert client.post(url).status_code == 404
    assert [r.revoked_at for r in _codes()] == [None]
