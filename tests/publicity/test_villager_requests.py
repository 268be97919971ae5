"""The villager's own page sends a self-declaration with a photo and an appeal (issue 14, item 6): only once the
page is open, only for the code's own household, bad input re-rendered with what was typed and nothing written."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from households.models import Resident
from scoring import services
from scoring.models import Appeal, AppealState, Entry, PassbookCode, SelfDeclaration, SelfDeclarationState
from tests.contract import member
from tests.notices import approve_through_notice
from tests.scoring.contract_cases import Catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def png(name="garden.png", size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "green").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _url(code):
    return reverse("publicity:villager-page", kwargs={"code": code})


@pytest.fixture
def setup(world):
    c = Catalogue(world)
    own = c.record(c.h1)
    other = c.record(c.h2)
    approve_through_notice([own, other])
    Resident.objects.filter(household=c.h2).update(name="欧阳别家")
    _row, code = services.issue_code(membership=member(world.a.admin), household=c.h1)
    return c, code, own, other


def _open(client, code):
    assert client.post(_url(code), {"digits": "8000"}).status_code == 302


def _written():
    return SelfDeclaration.objects.count(), Appeal.objects.count(), Entry.objects.count()


def test_the_open_page_shows_both_forms_and_only_the_households_own_entries(setup, client):
    c, code, own, other = setup
    _open(client, code)
    response = client.get(_url(code))
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    assert 'name="declaration-photo"' in html and 'accept="image/*"' in html and "capture" in html
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html
    assert f'<option value="{own.pk}"' in html and f'<option value="{other.pk}"' not in html
    assert "欧阳别家" not in html and "A-002" not in html


def test_a_villager_declares_with_a_photo_and_sees_it_wait(setup, client):
    c, code, _own, _other = setup
    _open(client, code)
    response = client.post(
        _url(code),
        {
            "form": "declaration",
            "declaration-item": c.item.pk,
            "declaration-what_happened": "帮孤寡老人打扫院子",
            "declaration-occurred_on": c.day.isoformat(),
            "declaration-photo": png(),
        },
    )
    assert response.status_code == 302
    [declaration] = SelfDeclaration.objects.all()
    assert (declaration.household, declaration.item, declaration.state) == (
        c.h1,
        c.item,
        SelfDeclarationState.PENDING,
    )
    assert declaration.photo_content_type == "image/png"
    html = client.get(_url(code)).content.decode()
    assert "帮孤寡老人打扫院子" in html and "等待网格员核实" in html


def test_a_villager_appeals_and_sees_the_decision(setup, client):
    c, code, own, _other = setup
    _open(client, code)
    response = client.post(
        _url(code), {"form": "appeal", "appeal-entry": own.pk, "appeal-reason": "那天不在家"}
    )
    assert response.status_code == 302
    [appeal] = Appeal.objects.all()
    assert (appeal.entry, appeal.household, appeal.state) == (own, c.h1, AppealState.PENDING)
    services.decide_appeal(membership=member(c.world.a.clerk), appeal=appeal, uphold=False, reason="记录无误")
    html = client.get(_url(code)).content.decode()
    assert "记录无误" in html and "驳回" in html


def test_nothing_is_sent_before_the_page_is_open(setup, client):
    c, code, own, _other = setup
    before = _written()
    for data in (
        {"form": "appeal", "appeal-entry": own.pk, "appeal-reason": "不对"},
        {"form": "declaration", "declaration-what_happened": "做好事", "declaration-occurred_on": c.day},
    ):
        response = client.post(_url(code), data)
        assert (
            response.status_code == 400 and "后4位" in response.content.decode()
        )  # the second factor, again
    assert _written() == before
    [row] = PassbookCode.objects.all()
    assert row.failed_attempts == 0  # a form sent too late is no wrong answer


def test_a_forged_or_revoked_code_sends_nothing(setup, client):
    c, code, own, _other = setup
    _open(client, code)
    cookie = client.cookies["jifen_passbook"].value
    before = _written()
    forged = client.post(_url("x" * 43), {"form": "appeal", "appeal-entry": own.pk, "appeal-reason": "不对"})
    assert forged.status_code == 404
    services.revoke_code(membership=member(c.world.a.admin), household=c.h1)
    client.cookies["jifen_passbook"] = cookie
    revoked = client.post(_url(code), {"form": "appeal", "appeal-entry": own.pk, "appeal-reason": "不对"})
    assert revoked.status_code == 404 and "作废" in revoked.content.decode()
    assert _written() == before


def test_bad_input_is_refused_with_what_was_typed_and_nothing_written(setup, client):
    c, code, own, other = setup
    _open(client, code)
    before = _written()
    refused = [
        ({"form": "appeal", "appeal-entry": other.pk, "appeal-reason": "别人的记录"}, "别人的记录"),
        ({"form": "appeal", "appeal-entry": own.pk, "appeal-reason": "   "}, ""),
        (
            {
                "form": "declaration",
                "declaration-what_happened": "扶老人过马路",
                "declaration-occurred_on": c.day.isoformat(),
                "declaration-photo": SimpleUploadedFile("x.png", b"not a picture at all", "image/png"),
            },
            "扶老人过马路",
        ),
        (
            {
                "form": "declaration",
                "declaration-what_happened": "",
                "declaration-occurred_on": c.day.isoformat(),
            },
            "",
        ),
    ]
    for data, kept in refused:
        response = client.post(_url(code), data)
        html = response.content.decode()
        assert response.status_code == 400, data
        assert 'role="alert"' in html
        assert kept in html  # typed text comes back
    assert _written() == before


@override_settings(JIFEN_EVIDENCE_MAX_BYTES=100)
def test_an_oversized_photo_is_refused_in_chinese(setup, client):
    c, code, _own, _other = setup
    _open(client, code)
    response = client.post(
        _url(code),
        {
            "form": "declaration",
            "declaration-what_happened": "清理河道",
            "declaration-occurred_on": c.day.isoformat(),
            "declaration-photo": png(size=(300, 300)),
        },
    )
    assert response.status_code == 400 and "MB" in response.content.decode()
    assert SelfDeclaration.objects.count() == 0


def test_a_photo_sent_with_a_declaration_that_has_other_errors_is_kept_for_the_next_try(setup, client):
    from core.models import PendingUpload
    from core.tenancy import township_scope

    c, code, _own, _other = setup
    _open(client, code)
    fields = {
        "form": "declaration",
        "declaration-item": c.item.pk,
        "declaration-occurred_on": c.day.isoformat(),
    }
    response = client.post(
        _url(code), {**fields, "declaration-what_happened": "", "declaration-photo": png("院子.png")}
    )
    assert response.status_code == 400 and SelfDeclaration.objects.count() == 0
    with township_scope(c.world.a.township):
        [pending] = PendingUpload.objects.all()
    assert pending.user is None and pending.passbook_code_id == PassbookCode.objects.get().pk
    html = response.content.decode()
    assert f'name="declaration-photo_kept" value="{pending.token}"' in html and "照片已保留：院子.png" in html

    response = client.post(
        _url(code),
        {
            **fields,
            "declaration-what_happened": "帮孤寡老人打扫院子",
            "declaration-photo_kept": pending.token,
        },
    )
    assert response.status_code == 302
    declaration = SelfDeclaration.objects.get()
    assert declaration.photo_content_type == "image/png" and declaration.photo
    with township_scope(c.world.a.township):
        assert not PendingUpload.objects.exists()


def test_a_kept_photo_is_not_found_under_another_code(setup, client, world):
    from core.models import PendingUpload
    from core.tenancy import township_scope

    c, code, _own, _other = setup
    with township_scope(world.a.township):
        stray = PendingUpload.objects.create(
            township=world.a.township,
            passbook_code_id=10**9,
            token="x" * 43,
            original_name="别人.png",
            content_type="image/png",
            file="pending/x.png",
        )
    _open(client, code)
    response = client.post(
        _url(code),
        {
            "form": "declaration",
            "declaration-item": c.item.pk,
            "declaration-occurred_on": c.day.isoformat(),
            "declaration-what_happened": "帮孤寡老人打扫院子",
            "declaration-photo_kept": stray.token,
        },
    )
    assert response.status_code == 302
    assert not SelfDeclaration.objects.get().photo  # sent without the stray photo
