"""Task budgets of issue 17 (build item 2), held in a real browser (Debian's Chromium, a 390×844 phone): from the
township office's home page, "find a household and open it" takes at most 2 clicks and "approve all pending
entries of a village" at most 3. Typing and picking count nothing; every click or tap counts, the form submits
included. The login is not counted. The effect is checked in the database afterwards.

The entries went on their notice through the services: posted on a notice batch five days ago, the notice ended,
the batch submitted to the township — no entry is approved without its notice."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from review import services
from review.models import ReviewRound, RoundState
from scoring import services as scoring
from scoring.models import Entry, EntryState
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIND_A_HOUSEHOLD = 2
APPROVE_A_VILLAGE = 3


class Clicks:
    """Clicks the user makes: each `clicks(locator)` is one tap."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, locator) -> None:
        self.count += 1
        locator.click()


def _submitted_batch(rw, village, household, n):
    """`n` entries of the household recorded directly, posted on a notice batch five days ago, submitted."""
    admin = rw.membership(rw.admin)
    day = timezone.localdate() - datetime.timedelta(days=10)
    with time_machine.travel(timezone.now() - datetime.timedelta(days=5), tick=False):
        for _ in range(n):
            scoring.record_entry(membership=admin, household=household, item=rw.clean, occurred_on=day)
        batch = services.post_notice_batch(membership=admin, village=village, scheme=rw.scheme)
    return services.move_round(membership=admin, round=batch, move="submit")


def test_the_township_office_finds_a_household_and_approves_a_village_within_budget(
    live_server, page, rw, artifacts
):
    east, west = rw.village, rw.world.a.villages[1]
    east_batches = [_submitted_batch(rw, east, rw.h1, 6), _submitted_batch(rw, east, rw.h2, 4)]
    west_batch = _submitted_batch(rw, west, rw.world.a.households[1], 3)
    home = f"{live_server.url}/t/{rw.township.slug}/"
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", rw.admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(home)

    # Find a household and open it: type its number on the home page, search, open it.
    clicks = Clicks()
    page.fill("#home-search input[name=q]", "A-201")
    clicks(page.locator("#home-search button[type=submit]"))
    clicks(page.locator("main table a", has_text="A-201"))
    page.wait_for_url(f"{home}households/{rw.h2.pk}/")
    assert "A-201" in page.inner_text("main")
    assert clicks.count <= FIND_A_HOUSEHOLD

    # Approve all pending entries of a village: its count on the home page, then approve the ticked.
    page.goto(home)
    work = page.locator("#work-counts")
    assert work.locator("[data-work=approvals] [data-count]").inner_text() == "13"
    page.screenshot(path=str(artifacts / "township-home-work-counts.png"), full_page=True)
    clicks = Clicks()
    clicks(work.locator(f"[data-work=approvals-village-{east.pk}] a"))
    page.wait_for_url(f"**/review/approvals/?village={east.pk}")
    assert page.locator("input[name=rounds]:checked").count() == 2
    page.screenshot(path=str(artifacts / "township-approvals-village.png"), full_page=True)
    clicks(page.locator("#approve-ticked"))
    page.wait_for_load_state()
    assert clicks.count <= APPROVE_A_VILLAGE

    for batch in east_batches:
        batch.refresh_from_db()
        assert batch.state == RoundState.APPROVED
    approved = Entry.objects.filter(round_link__round__in=east_batches)
    assert approved.count() == 10
    assert set(approved.values_list("state", flat=True)) == {EntryState.APPROVED}
    assert ReviewRound.objects.get(pk=west_batch.pk).state == RoundState.SUBMITTED
    assert "10" in page.inner_text("main")  # the message says how many entries now count

    # The same home on a desktop: the counts sit side by side.
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(home)
    assert page.locator("#work-counts [data-work=approvals] [data-count]").inner_text() == "3"
    page.screenshot(path=str(artifacts / "township-home-work-counts-desktop.png"), full_page=True)
