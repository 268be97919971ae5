"""The honour roll (光荣榜) and the certificates of the published star households."""

import datetime
import subprocess

import pytest
from django.urls import reverse

from core.errors import DomainError
from publicity.documents import certificates_pdf, honour_roll_pdf
from rewards.services import publish_run, rate_stars
from scoring import services as scoring
from tests.contract import member
from tests.notices import approve_through_notice
from tests.publicity.conftest import add_households

pytestmark = pytest.mark.django_db


def _embeds_noto(content: bytes) -> bool:
    fonts = subprocess.run(["pdffonts", "-"], input=content, capture_output=True, check=True).stdout.decode()
    return any("NotoSansCJK" in line.replace("-", "") and " yes " in line for line in fonts.splitlines())


def _text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


@pytest.fixture
def stars(rw):
    """12 households in the village; h1 +2 → 62 ranks first (5 stars: 100·1 ≤ 10·12); the other 11 tie at the base 60
    with rank 2, and 100·2 ≤ 20·12 gives them all four stars (ties share the higher band; 60 ≥ the floor 60).
    The village's annual round is not approved here: the township rates it anyway, with a reason; the tie makes
    the bands hold 10 households over their share, which publishing confirms (`publish`)."""
    add_households(rw, 10)
    entry = scoring.record_entry(
        membership=member(rw.clerk), household=rw.h1, item=rw.clean, occurred_on=datetime.date(2026, 3, 2)
    )
    approve_through_notice([entry], membership=member(rw.admin))
    run, _created, _changes = rate_stars(
        membership=member(rw.admin),
        scheme=rw.scheme,
        override_villages={rw.village.pk: "年度评议已在村民代表会议上完成"},
    )
    return run


def publish(rw, run):
    return publish_run(membership=member(rw.admin), run=run, confirm_overflow=True)


def test_no_honour_roll_before_the_rating_is_published(rw, stars):
    with pytest.raises(DomainError) as refused:
        honour_roll_pdf(rw.village, rw.scheme)
    assert refused.value.code == "not_published"


def test_honour_roll_lists_the_published_star_households_by_level(rw, stars):
    publish(rw, stars)
    content = honour_roll_pdf(rw.village, rw.scheme)
    assert _embeds_noto(content)
    text = _text(content)
    assert "光荣榜" in text and "a东村" in text
    assert "5星级文明户（1户）" in text.replace(" ", "") and "4星级文明户（11户）" in text.replace(" ", "")
    assert "张*明" in text and "张三明" not in text  # the township's notices mask names


def test_certificates_name_the_household_in_full(rw, stars, tmp_path):
    publish(rw, stars)
    content = certificates_pdf(rw.village, rw.scheme)
    path = tmp_path / "certificates.pdf"
    path.write_bytes(content)
    pages = next(
        line
        for line in subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout.splitlines()
        if line.startswith("Pages:")
    )
    assert pages.split()[1] == "12"  # one certificate per star household
    text = _text(content)
    assert "张三明" in text and "5星级文明户" in text.replace(" ", "") and "62" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts.replace("-", "")


def test_honour_roll_pages_are_tenant_scoped(login, rw, world, stars, django_capture_on_commit_callbacks):
    publish(rw, stars)
    roll = reverse("publicity:honour-roll", kwargs={"township_slug": "town-a", "pk": rw.village.pk})
    assert login(world.a.supervisor).get(roll).content[:5] == b"%PDF-"
    assert login(world.b.admin).get(roll).status_code == 404
    other = reverse("publicity:honour-roll", kwargs={"township_slug": "town-b", "pk": rw.village.pk})
    assert login(world.b.admin).get(other).status_code == 404
    client = login(world.a.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(
            reverse("publicity:certificates", kwargs={"township_slug": "town-a", "pk": rw.village.pk})
        )
    assert response.status_code == 302


def test_annual_notice_proposes_stars_with_the_rating_rule(rw):
    """12 households: h1 63 (rank 1), ten at 60 (rank 2), h2 58. 100·1 ≤ 10·12 → h1 five stars; 100·2 > 10·12 but
    ≤ 20·12 → the ten tied get four stars; h2 is below the floor 60 → none."""
    from publicity.notice import build_notice
    from tests.publicity.conftest import on_notice

    add_households(rw, 10)
    entry = scoring.record_entry(
        membership=member(rw.clerk), household=rw.h2, item=rw.mess, occurred_on=datetime.date(2026, 3, 2)
    )
    approve_through_notice([entry], membership=member(rw.admin))  # h2: 40 − 2 + 20 = 58 < 60: no star
    round_ = on_notice(rw)  # h1 declares +3 (accepted): 63
    stars = {row.number: row.stars for row in build_notice(round_).rows}
    assert stars[rw.h1.number] == 5 and stars[rw.h2.number] == 0
    assert sorted(v for k, v in stars.items() if k not in (rw.h1.number, rw.h2.number)) == [4] * 10


def test_certificates_of_another_township_are_not_found(login, rw, world, stars):
    from core.models import Job

    publish(rw, stars)
    for slug in ("town-a", "town-b"):
        url = reverse("publicity:certificates", kwargs={"township_slug": slug, "pk": rw.village.pk})
        assert login(world.b.admin).get(url).status_code == 404
    assert not Job.objects.exists()


def test_annual_notice_breaks_ties_as_the_rating_does(rw):
    """As above, but N-0000 also has 乱堆乱放 −2 and 庭院整洁 +2 approved: still 60, with 2 penalty points. The
    scheme's default tie-breaker (fewer penalty points) puts it behind the nine others at 60: rank 11, and
    100·11 > 30·12 → no star; the nine keep rank 2 and four stars; h1 five."""
    from households.models import Household
    from publicity.notice import build_notice
    from tests.publicity.conftest import on_notice

    add_households(rw, 10)
    day = datetime.date(2026, 3, 2)
    penalised = Household.objects.get(number="N-0000")
    entries = [
        scoring.record_entry(membership=member(rw.clerk), household=rw.h2, item=rw.mess, occurred_on=day),
        scoring.record_entry(membership=member(rw.clerk), household=penalised, item=rw.mess, occurred_on=day),
        scoring.record_entry(
            membership=member(rw.clerk), household=penalised, item=rw.clean, occurred_on=day
        ),
    ]
    approve_through_notice(entries, membership=member(rw.admin))
    round_ = on_notice(rw)  # h1 declares +3 (accepted): 63
    stars = {row.number: row.stars for row in build_notice(round_).rows}
    assert (stars[rw.h1.number], stars[rw.h2.number], stars["N-0000"]) == (5, 0, 0)
    assert sorted(v for k, v in stars.items() if k.startswith("N-") and k != "N-0000") == [4] * 9
