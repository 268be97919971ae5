"""The year-end close page: the status per village and the dry run (nothing written), the close with its
confirmation, the second close a no-op, the archive written by the worker, and another township's 404."""

import io
import zipfile

import pytest
from django.urls import reverse

from core.models import Job, JobState
from rewards import services as rewards
from scoring.models import YearClose
from tests.conftest import wait_for
from tests.rewards.conftest import closable, database_checksum


def page_url(scheme, slug="town-a"):
    return reverse("rewards:year-end", kwargs={"township_slug": slug, "scheme_pk": scheme.pk})


def close_url(scheme, slug="town-a"):
    return reverse("rewards:year-end-close", kwargs={"township_slug": slug, "scheme_pk": scheme.pk})


@pytest.mark.django_db
def test_the_page_shows_each_village_and_the_dry_run_and_writes_nothing(world, login):
    stars = closable(world)
    stars.village([150, 120], name="西村", round_approved=False)
    before = database_checksum()
    page = login(stars.admin).get(page_url(stars.scheme))
    text = page.content.decode()
    assert page.status_code == 200
    assert "2026 年度结算" in text and "试运行" in text
    assert "东村" in text and "西村" in text and "没有 2026 年度评议" in text
    assert "report-2026.pdf" in text and "2027" in text
    assert database_checksum() == before


@pytest.mark.django_db
def test_the_scheme_page_links_to_the_close_for_the_office_only(world, login):
    stars = closable(world)
    url = reverse("scoring:scheme-detail", kwargs={"township_slug": "town-a", "pk": stars.scheme.pk})
    assert page_url(stars.scheme) in login(stars.admin).get(url).content.decode()
    assert page_url(stars.scheme) not in login(world.a.supervisor).get(url).content.decode()


@pytest.mark.django_db
def test_a_close_with_a_village_open_says_which_and_writes_nothing(world, login):
    stars = closable(world)
    stars.village([150, 120], name="西村", round_approved=False)
    before = database_checksum()
    response = login(stars.admin).post(close_url(stars.scheme), {"confirm": "yes", "year": "2026"})
    assert response.status_code == 400
    assert "西村" in response.content.decode()
    assert database_checksum() == before


@pytest.mark.django_db
def test_the_close_needs_the_confirmation(world, login):
    stars = closable(world)
    before = database_checksum()
    response = login(stars.admin).post(close_url(stars.scheme), {"year": "2026"})
    assert response.status_code == 400 and database_checksum() == before


@pytest.mark.django_db
def test_the_close_then_a_second_close_is_a_no_op_with_a_message(world, login):
    stars = closable(world)
    client = login(stars.admin)
    response = client.post(close_url(stars.scheme), {"confirm": "yes", "year": "2026"}, follow=True)
    assert YearClose.objects.count() == 1
    assert 'id="close-result"' in response.content.decode()
    before = database_checksum()
    again = client.post(close_url(stars.scheme), {"confirm": "yes", "year": "2026"}, follow=True)
    assert YearClose.objects.count() == 1 and database_checksum() == before
    assert "2026" in again.content.decode() and 'id="run-close"' not in again.content.decode()


@pytest.mark.django_db
def test_other_roles_are_refused_and_change_nothing(world, login):
    stars = closable(world)
    before = database_checksum()
    for user in (world.a.supervisor, world.a.clerk, world.a.county):
        client = login(user)
        assert client.get(page_url(stars.scheme)).status_code == 403
        assert client.post(close_url(stars.scheme), {"confirm": "yes"}).status_code == 403
    assert database_checksum() == before


@pytest.mark.django_db
def test_another_townships_office_cannot_see_or_close_the_year(world, login):
    stars = closable(world)
    before = database_checksum()
    outsider = login(world.b.admin)
    assert outsider.get(page_url(stars.scheme)).status_code == 404
    assert outsider.post(close_url(stars.scheme), {"confirm": "yes"}).status_code == 404
    # Nor through its own township's address with A's scheme id.
    assert outsider.get(page_url(stars.scheme, "town-b")).status_code == 404
    assert outsider.post(close_url(stars.scheme, "town-b"), {"confirm": "yes"}).status_code == 404
    assert database_checksum() == before and not YearClose.objects.exists()


def _archive_names(job) -> list[str]:
    job.file.open("rb")
    with zipfile.ZipFile(io.BytesIO(job.file.read())) as archive:
        return archive.namelist()


def test_the_archive_is_written_by_a_real_worker_and_downloaded_from_the_page(
    world, celery_worker_process, client
):
    stars = closable(world)
    client.force_login(stars.admin)
    client.post(close_url(stars.scheme), {"confirm": "yes", "year": "2026"})
    close = YearClose.objects.get()
    job = close.archive_job
    wait_for(lambda: Job.objects.filter(pk=job.pk, state__in=[JobState.DONE, JobState.FAILED]).exists(), 180)
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    names = _archive_names(job)
    assert names == close.summary["archive_files"]
    assert {"report-2026.pdf", "figures-2026.xlsx", "stars-2026.xlsx", "roster-2026.xlsx"} <= set(names)
    page = client.get(page_url(stars.scheme)).content.decode()
    download = reverse("households:job-download", kwargs={"township_slug": "town-a", "pk": job.pk})
    assert download in page
    assert client.get(download).status_code == 200


@pytest.mark.django_db
def test_both_years_passbooks_say_the_late_correction_and_its_reference(world, login):
    from scoring import services as scoring
    from scoring.models import Entry, EntryState
    from tests.contract import member

    stars = closable(world)
    household = stars.households[0]
    entry = Entry.objects.get(household=household, state=EntryState.APPROVED)
    close, _ = rewards.close_year(membership=member(stars.admin), scheme=stars.scheme)
    scoring.correct_entry(membership=member(stars.admin), entry=entry, reason="录入有误")
    client = login(stars.admin)
    url = reverse("scoring:passbook", kwargs={"township_slug": "town-a", "household_pk": household.pk})
    note = f"对已结算的 2026 年度第 {entry.pk} 号积分记录（2026-03-10）的补正：录入有误"
    closed_year = client.get(url, {"scheme": stars.scheme.pk}).content.decode()
    next_year = client.get(url, {"scheme": close.next_scheme_id}).content.decode()
    assert note in closed_year and note in next_year
