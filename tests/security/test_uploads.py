"""Uploaded files: type read from the content (Pillow opens photos), size limited, clear messages in Chinese and
English; stored files reached only through views that check the township, with a safe type and nosniff."""

import datetime
import importlib
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from core import jobs
from core.errors import DomainError
from scoring import services
from tests.contract import member

D = Decimal
DAY = datetime.date(2026, 3, 10)


def image_bytes(kind: str, size=(4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


PNG = image_bytes("PNG")


@pytest.fixture
def item(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    township, actor = world.a.township, world.a.admin
    scheme = services.create_scheme(membership=member(actor), township=township, name="村规", year=2026)
    env = services.add_category(
        membership=member(actor), scheme=scheme, name="环境整治", base_score=D("40"), cadence="quarterly"
    )
    item = services.add_item(
        membership=member(actor), category=env, name="庭院整洁", kind="bonus", points=D("2")
    )
    services.activate_scheme(membership=member(actor), scheme=scheme)
    return item


def record(world, item, *files):
    return services.record_entry(
        membership=member(world.a.clerk),
        household=world.a.households[0],
        item=item,
        occurred_on=DAY,
        evidence=list(files),
    )


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_real_photos_are_kept_with_their_type_read_from_the_content(world, item, kind):
    entry = record(world, item, SimpleUploadedFile("photo.bin", image_bytes(kind), content_type="text/html"))
    assert entry.evidence.get().content_type == f"image/{kind.lower()}"


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # the signature of a PNG and nothing of one
        b"\xff\xd8\xff\xe0<html><script>alert(1)</script></html>",  # a JPEG signature in front of a page
        PNG[:40],  # a photo cut off in the middle
        b"RIFF\x10\x00\x00\x00WEBPjunkjunk",
    ],
)
def test_a_file_that_only_looks_like_a_photo_is_refused_and_nothing_is_recorded(world, item, content):
    with translation.override("en"), pytest.raises(DomainError) as refused:
        record(world, item, SimpleUploadedFile("院子.png", content, content_type="image/png"))
    assert "院子.png" in refused.value.message and "cannot be read as a photo" in refused.value.message
    assert not world.a.households[0].entries.exists()


def test_a_page_or_a_program_is_not_evidence(world, item):
    for name, content in [("x.html", b"<!doctype html><script>alert(1)</script>"), ("x.exe", b"MZ\x90\x00")]:
        with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
            record(world, item, SimpleUploadedFile(name, content, content_type="image/png"))
        assert "不是照片" in refused.value.message


def test_a_photo_of_too_many_pixels_is_refused_before_it_is_decoded(world, item, settings):
    settings.JIFEN_EVIDENCE_MAX_PIXELS = 100
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        record(world, item, SimpleUploadedFile("big.png", image_bytes("PNG", size=(20, 20))))
    assert "无法作为照片读取" in refused.value.message


def test_a_file_over_the_size_limit_is_refused_with_the_limit(world, item, settings):
    settings.JIFEN_EVIDENCE_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024))
    with translation.override("en"), pytest.raises(DomainError, match="at most 1 MB"):
        record(world, item, big)


def test_evidence_is_served_to_its_township_only_with_a_safe_type(world, item, login):
    entry = record(
        world, item, SimpleUploadedFile("<b>院子</b>.png", PNG), SimpleUploadedFile("证明.pdf", b"%PDF-1.4\n")
    )
    photo, pdf = entry.evidence.order_by("pk")

    def evidence_url(slug, evidence):
        return reverse("scoring:evidence-download", kwargs={"township_slug": slug, "pk": evidence.pk})

    client = login(world.a.supervisor)
    response = client.get(evidence_url("town-a", photo))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        "sandbox" in response["Content-Security-Policy"]
        and "script-src" not in response["Content-Security-Policy"]
    )
    assert b"".join(response.streaming_content) == PNG
    download = client.get(evidence_url("town-a", pdf))
    assert (
        download["Content-Disposition"].startswith("attachment")
        and download["Content-Type"] == "application/pdf"
    )

    outsider = login(world.b.admin)
    for slug in ("town-a", "town-b"):
        assert outsider.get(evidence_url(slug, photo)).status_code == 404
    client.logout()
    assert client.get(evidence_url("town-a", photo)).status_code == 302  # to the login page


def test_media_files_are_never_served_by_address_even_with_debug(world, item):
    import config.urls

    try:
        with override_settings(DEBUG=True):
            importlib.reload(config.urls)
            patterns = [str(pattern.pattern) for pattern in config.urls.urlpatterns]
    finally:
        importlib.reload(config.urls)
    assert not [pattern for pattern in patterns if "media" in pattern]


def test_job_files_download_as_attachments_to_their_township_only(
    world, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_job(
            membership=member(world.a.admin),
            kind="roster_export",
            params={"membership_id": world.a.admin.memberships.get().pk},
        )

    def job_url(slug):
        return reverse("households:job-download", kwargs={"township_slug": slug, "pk": job.pk})

    response = login(world.a.admin).get(job_url("town-a"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        "sandbox" in response["Content-Security-Policy"] and response["Cache-Control"] == "private, no-store"
    )
    outsider = login(world.b.admin)
    assert outsider.get(job_url("town-a")).status_code == 404
    assert outsider.get(job_url("town-b")).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "chinese"),
    [
        ("名册.xlsx", b"<html><script>alert(1)</script></html>", "不是 Excel .xlsx 文件"),
        ("名册.xlsx", PNG, "不是 Excel .xlsx 文件"),
        ("名册.csv", bytes(range(256)) * 40, "无法识别这个 CSV 文件的文字编码"),
        ("名册.exe", b"MZ\x90\x00", "Excel .xlsx"),
    ],
)
def test_roster_imports_are_checked_by_content(world, login, name, content, chinese):
    client = login(world.a.admin)
    url = reverse("households:import-start", kwargs={"township_slug": "town-a"})
    response = client.post(url, {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert chinese in response.content.decode()


def test_a_roster_import_over_the_size_limit_is_refused_before_reading(world, login, settings):
    settings.JIFEN_IMPORT_MAX_BYTES = 1024
    client = login(world.a.admin)
    url = reverse("households:import-start", kwargs={"township_slug": "town-a"})
    response = client.post(url, {"file": SimpleUploadedFile("名册.csv", b"a," * 1024)})
    assert response.status_code == 400
    assert "文件超过" in response.content.decode()


# The villager's own page (issue 14, item 6): a self-declaration's photo, sent without a login -----------------


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n<script>alert(1)</script>", b"<svg onload=alert(1)>", b"%PDF-1.4 a document"],
    ids=["fake-png", "svg", "pdf"],
)
def test_a_villagers_photo_must_really_be_a_photo(world, item, content):
    from scoring.models import SelfDeclaration

    code = services.issue_code(membership=member(world.a.admin), household=world.a.households[0])[0]
    with pytest.raises(DomainError) as refused:
        services.submit_self_declaration(
            code=code,
            what_happened="做好事",
            occurred_on=timezone.localdate(),
            photo=SimpleUploadedFile("x.png", content),
        )
    assert refused.value.field == "photo"
    assert not SelfDeclaration.objects.exists()


def test_a_villagers_photo_of_too_many_pixels_is_refused(world, item, settings):
    from scoring.models import SelfDeclaration

    settings.JIFEN_EVIDENCE_MAX_PIXELS = 100
    code = services.issue_code(membership=member(world.a.admin), household=world.a.households[0])[0]
    photo = SimpleUploadedFile("big.png", image_bytes("PNG", size=(20, 20)))
    with pytest.raises(DomainError):
        services.submit_self_declaration(
            code=code, what_happened="做好事", occurred_on=timezone.localdate(), photo=photo
        )
    assert not SelfDeclaration.objects.exists()


def test_a_villagers_photo_is_served_to_its_township_only_with_a_safe_type(world, item, login):
    code = services.issue_code(membership=member(world.a.admin), household=world.a.households[0])[0]
    declaration = services.submit_self_declaration(
        code=code,
        what_happened="做好事",
        occurred_on=timezone.localdate(),
        photo=SimpleUploadedFile("g.png", PNG),
    )
    url = reverse("review:self-declaration-photo", kwargs={"township_slug": "town-a", "pk": declaration.pk})
    response = login(world.a.clerk).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert login(world.b.admin).get(url).status_code == 404
    other = reverse("review:self-declaration-photo", kwargs={"township_slug": "town-b", "pk": declaration.pk})
    assert login(world.b.admin).get(other).status_code == 404
