"""The household page and list show each household's points (this year's total per active scheme, read through the
score rule's one statement) and stars (its latest published rating), and offer to record points (issue 17.7)."""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Membership
from rewards import services as rewards
from tests.contract import member
from tests.factories import HouseholdFactory, ResidentFactory
from tests.rewards.conftest import StarWorld

pytestmark = pytest.mark.django_db
IN_2026 = "2026-06-15 10:00 +08:00"


@pytest.fixture(autouse=True)
def in_2026():
    with time_machine.travel(IN_2026, tick=False):
        yield


@pytest.fixture
def rated(world):
    """A village of ten households with annual totals 150, 130, 120, 110, 105 … 100 (base 100), rated and published:
    the top 10 % (one household) five stars, the next 10 % four, the next three, the rest none."""
    stars = StarWorld(world)
    stars.households = stars.village([150, 130, 120, 110, 105, 104, 103, 102, 101, 100])
    names = ["王秀英", "赵大山", "钱小梅", "孙立", "周强", "吴芳", "郑伟", "冯军", "陈静", "褚明"]
    for household, name in zip(stars.households, names, strict=True):
        household.members.create(township=stars.township, name=name, is_head=True)
    run, _, _ = rewards.rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    rewards.publish_run(membership=member(stars.admin), run=run)
    Membership.objects.get(user=world.a.clerk).villages.add(stars.households[0].village)
    return stars


def url(name: str, township, **kwargs) -> str:
    return reverse(f"households:{name}", kwargs={"township_slug": township.slug, **kwargs})


def test_the_household_page_names_the_head_and_shows_points_stars_and_the_record_action(rated, login):
    first = rated.households[0]
    response = login(rated.world.a.clerk).get(url("household-detail", rated.township, pk=first.pk))
    body = response.content.decode()
    title = body.split("<title>")[1].split("</title>")[0]
    assert "王秀英" in title and first.number in title
    figures = body.split('id="household-figures"')[1].split("</div>\n</div>")[0]
    assert "150" in figures and "星级评定" in figures  # base 100 + one bonus of 50, by hand
    assert response.context["household"].figures.stars == 5 and 'class="stars"' in figures
    record = reverse("scoring:entry-record", kwargs={"township_slug": rated.township.slug})
    assert f'href="{record}?household={first.pk}"' in body


def test_a_household_not_taking_part_shows_no_points_and_no_record_action(rated, login):
    household = rated.world.a.households[0]  # the world's own: set not taking part by StarWorld
    body = login(rated.world.a.admin).get(url("household-detail", rated.township, pk=household.pk)).content
    text = body.decode()
    assert "?household=" not in text and 'id="household-figures"' in text


def test_the_household_list_shows_points_and_stars_per_row(rated, login):
    response = login(rated.admin).get(url("household-list", rated.township), {"q": "V01"})
    rows = {h.number: h.figures for h in response.context["page"].object_list}
    assert [line.total for line in rows["V01-0000"].points] == [Decimal("150")]
    assert [line.total for line in rows["V01-0009"].points] == [Decimal("100")]
    stars = [rows[f"V01-{i:04d}"].stars for i in range(5)]
    assert stars == [5, 4, 3, 0, 0]
    body = response.content.decode()
    assert "?household=" in body and "150" in body
    # Each row links to its household's page, and says its stars in words (five, none).
    for household in response.context["page"].object_list:
        assert f'href="{url("household-detail", rated.township, pk=household.pk)}"' in body
    assert (
        '<span class="stars" title="5星">5星</span>' in body and '<span class="muted">无星级</span>' in body
    )


def test_the_household_list_makes_the_same_queries_for_few_or_many_households(
    rated, login, django_assert_num_queries
):
    client = login(rated.admin)
    target = url("household-list", rated.township)
    client.get(target)  # warm caches (content types, translations)
    with CaptureQueriesContext(connection) as few:
        assert client.get(target).context["page"].paginator.count == 12
    area = rated.households[0].area
    for household in HouseholdFactory.create_batch(12, area=area):
        ResidentFactory(household=household, is_head=True)
    rated.record([(h, Decimal("3")) for h in area.households.filter(star_results__isnull=True)])
    with django_assert_num_queries(len(few)):
        response = client.get(target)
    assert response.context["page"].paginator.count == 24


def test_another_townships_member_gets_not_found_for_the_household_page(rated, login):
    client = login(rated.world.b.admin)
    response = client.get(url("household-detail", rated.world.b.township, pk=rated.households[0].pk))
    assert response.status_code == 404


def test_the_stars_shown_are_each_households_newest_published_rating(rated, world):
    # latest_stars is written out (rewards.selectors.stars.LATEST_STARS); the rule, as the ORM read it before, is
    # the oracle: the newest published run wins (latest year, then latest published, then latest run); a rating
    # still proposed does not count.
    from core.tenancy import township_scope
    from rewards.models import StarResult, StarRunState
    from rewards.selectors.stars import latest_stars

    def oracle(households):
        rows = (
            StarResult.objects.filter(
                household_id__in=[h.pk for h in households], run__state=StarRunState.PUBLISHED
            )
            .order_by("household_id", "-run__scheme__year", "-run__published_at", "-run_id")
            .distinct("household_id")
            .values_list("household_id", "stars")
        )
        return dict(rows)

    households = rated.households
    with township_scope(rated.township):
        first = latest_stars(households)
        assert first == oracle(households) and first[households[0].pk] == 5
        # The last household climbs to the top: published, its five stars replace its none.
        rated.record([(households[-1], Decimal("100"))])
        with time_machine.travel("2026-06-16 10:00 +08:00", tick=False):
            run, _, _ = rewards.rate_stars(membership=member(rated.admin), scheme=rated.scheme)
            rewards.publish_run(membership=member(rated.admin), run=run)
        second = latest_stars(households)
        assert second == oracle(households)
        assert second[households[-1].pk] == 5 and first[households[-1].pk] == 0
        # Proposed, not yet published: nothing changes.
        rated.record([(households[1], Decimal("200"))])
        rewards.rate_stars(membership=member(rated.admin), scheme=rated.scheme)
        assert latest_stars(households) == second
    # The statement reads the township of the households it is given only: A's rated households, asked for with a
    # household of B first, are not read.
    with township_scope(world.b.township):
        assert latest_stars([world.b.households[0], *households]) == {}


def test_the_points_shown_are_only_this_townships_active_schemes(rated, login):
    # scoring.figures._active_schemes is written out and names the households' township: another township's active
    # scheme of the same year never shows on this township's list.
    from core.tenancy import township_scope
    from scoring import services as scoring

    other = member(rated.world.b.admin)
    scheme = scoring.create_scheme(
        membership=other, township=rated.world.b.township, name="乙镇方案", year=2026
    )
    scoring.add_category(
        membership=other, scheme=scheme, name="环境整治", base_score=Decimal("40"), cadence="annual"
    )
    scoring.activate_scheme(membership=other, scheme=scheme)

    # The reader itself: a foreign scheme would otherwise only score nobody (the score statement names its own
    # township too), so the page alone could not tell.
    from scoring.figures import _active_schemes

    with township_scope(rated.township):
        assert [s.pk for s in _active_schemes(rated.township.pk, 2026)] == [rated.scheme.pk]
    response = login(rated.admin).get(url("household-list", rated.township), {"q": "V01"})
    shown = {line.scheme.name for h in response.context["page"].object_list for line in h.figures.points}
    assert shown == {rated.scheme.name}
    assert "乙镇方案" not in response.content.decode()
