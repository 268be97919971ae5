"""Star ratings that stay true (issue 12, item 5): a run goes stale with any change of its inputs, villages are rated
only with standing entries and an approved annual round (or the township's override), ties are broken by the
scheme's tie-breakers and an overflowing band needs the township's confirmation. Expected numbers by hand; the
base total (and floor) is 100."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from core.errors import DomainError
from households.models import Household, Participation, Village
from rewards import services
from rewards.models import StarResult, StarRun, StarRunState
from rewards.services import Bands, TieBreak, band_overflow, publish_run, rate_stars
from scoring import services as scoring
from scoring.models import Entry
from tests.contract import member
from tests.rewards.oracle import StarInput, rank_households

from .conftest import DAY, database_checksum
from .test_stars import descending, python_rule, stored_rows

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def stars_of(run, households) -> list[int]:
    by_household = dict(StarResult.objects.filter(run=run).values_list("household_id", "stars"))
    return [by_household.get(h.pk) for h in households]


def fresh(run) -> StarRun:
    return StarRun.objects.get(pk=run.pk)


# Stale in the same transaction as the change ---------------------------------------------------------------------


def test_approving_an_entry_makes_the_current_run_stale_and_says_which(stars):
    households = stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert not fresh(run).stale

    [entry] = stars.record([(households[3], D("1"))])

    run = fresh(run)
    assert run.stale and run.current and run.stale_cause == "approval"
    assert (run.stale_entry_id, run.stale_household_id, run.stale_changes) == (entry.pk, households[3].pk, 1)
    assert (
        services.stale_reason(run)
        == f"an entry was approved (entry {entry.pk}, household {households[3].number})"
    )
    stars.record([(households[4], D("1")), (households[5], D("1"))])  # one more statement: two more changes
    run = fresh(run)
    assert run.stale_entry_id == entry.pk and run.stale_changes == 3
    assert services.stale_reason(run).endswith("and 2 more changes")


def test_a_proposal_does_not_make_the_run_stale(stars):
    households = stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    scoring.record_entry(
        membership=member(stars.admin), household=households[0], item=stars.item(D("5")), occurred_on=DAY
    )
    assert not fresh(run).stale


def test_a_change_rolled_back_leaves_the_run_as_it_was(stars):
    households = stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    with pytest.raises(RuntimeError), transaction.atomic():
        stars.record([(households[0], D("1"))])
        assert fresh(run).stale
        raise RuntimeError("the request failed")
    assert not fresh(run).stale


def _correct(stars, households):
    [entry] = stars.record([(households[0], D("3"))])
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    scoring.correct_entry(membership=member(stars.admin), entry=entry, reason="误录")
    return run


def _veto(stars, households):
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.disqualify(households[0])
    return run


def _participation(stars, households):
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.stop_taking_part(households[:1])
    return run


def _move(stars, households):
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    other = Village.objects.create(township=stars.township, name="邻村")
    Household.objects.filter(pk=households[0].pk).update(village=other)
    return run


def _new_household(stars, households):
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    Household.objects.create(
        township=stars.township, village=households[0].village, area=households[0].area, number="NEW-1"
    )
    return run


def _round(stars, households):
    late = stars.village([120, 110], round_approved=False)
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.approve_annual_round(late[0].village)
    return run


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        (_correct, "correction"),
        (_veto, "veto"),
        (_participation, "participation"),
        (_move, "move"),
        (_new_household, "household"),
        (_round, "round"),
    ],
)
def test_every_kind_of_input_change_makes_the_run_stale(stars, change, cause):
    households = stars.village(descending(10))
    run = change(stars, households)
    run = fresh(run)
    assert run.stale and run.stale_cause == cause
    with pytest.raises(DomainError) as refused:
        publish_run(membership=member(stars.admin), run=run)
    assert refused.value.code == "stale"


def test_changing_the_star_settings_makes_the_run_stale(stars):
    stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    services.set_reward_settings(
        membership=member(stars.admin), scheme=stars.scheme, spendable_resets_yearly=True
    )
    assert not fresh(run).stale  # the supermarket's settings are no input of the rating
    services.set_reward_settings(membership=member(stars.admin), scheme=stars.scheme, star_floor=D("105"))
    assert fresh(run).stale_cause == "settings"
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    services.set_star_rule(
        membership=member(stars.admin), scheme=stars.scheme, fewer_penalties=False, category=None
    )
    assert fresh(run).stale_cause == "settings"


def test_next_years_scheme_starts_from_its_sources_reward_settings_and_keeps_them(stars):
    services.set_reward_settings(
        membership=member(stars.admin),
        scheme=stars.scheme,
        star_five_percent=15,
        star_floor=D("100"),
        spendable_basis="total",
    )
    copy = scoring.copy_scheme(membership=member(stars.admin), scheme=stars.scheme, year=2027)
    assert services.bands_of(copy) == services.Bands(15, 20, 30, D("100"))
    assert services.star_rule(copy).spendable_basis == "total"
    # The source changes afterwards: the copy keeps what it was copied with.
    services.set_reward_settings(
        membership=member(stars.admin), scheme=stars.scheme, star_five_percent=5, star_floor=None
    )
    assert services.bands_of(copy) == services.Bands(15, 20, 30, D("100"))
    services.set_reward_settings(membership=member(stars.admin), scheme=copy, star_four_percent=25)
    assert services.bands_of(copy) == services.Bands(15, 25, 30, D("100"))
    assert services.bands_of(stars.scheme).five == 5


def test_rating_again_with_the_same_inputs_clears_the_mark_on_the_same_run(stars):
    households = stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    [entry] = stars.record([(households[9], D("30"))])
    scoring.correct_entry(
        membership=member(stars.admin), entry=entry, reason="误录"
    )  # the inputs are back as rated
    assert fresh(run).stale and fresh(run).stale_changes == 2

    again, created, changes = rate_stars(membership=member(stars.admin), scheme=stars.scheme)

    assert again.pk == run.pk and not created and changes == []
    assert not again.stale and again.stale_cause == "" and again.stale_changes == 0
    assert publish_run(membership=member(stars.admin), run=again).state == StarRunState.PUBLISHED


def test_a_run_made_current_again_is_not_stale_and_the_one_it_replaces_is(stars):
    households = stars.village(descending(10))
    v1, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    [entry] = stars.record([(households[9], D("30"))])
    v2, created, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert created and not v2.stale
    assert fresh(v1).stale and not fresh(v1).current  # out of date, and says why
    scoring.correct_entry(membership=member(stars.admin), entry=entry, reason="误录")
    assert fresh(v2).stale_cause == "correction"

    back, created, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)

    assert back.pk == v1.pk and not created and back.current and not back.stale
    assert fresh(v2).stale and not fresh(v2).current


def test_publishing_a_stale_run_is_refused_and_nothing_changes(stars):
    households = stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.record([(households[5], D("20"))])
    before = database_checksum()
    with pytest.raises(DomainError) as refused:
        publish_run(membership=member(stars.admin), run=run)
    assert refused.value.code == "stale" and "an entry was approved" in str(refused.value.message)
    assert database_checksum() == before


# Which villages are rated ----------------------------------------------------------------------------------------


def test_a_village_with_no_approved_entries_is_not_rated_and_the_run_says_so(stars):
    rated = stars.village(descending(10))
    quiet = stars.village([100, 100, 100])  # everybody at the base: no entry at all
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # Before issue 12 all three were tied at rank 1 of N=3 and… got no star only by rounding; with 10 they got five.
    assert stars_of(run, quiet) == [None, None, None]
    assert stars_of(run, rated)[:3] == [5, 4, 3]
    statuses = {v.village_id: (v.status, v.households) for v in run.villages.all()}
    assert statuses == {rated[0].village_id: ("rated", 10), quiet[0].village_id: ("no_entries", 3)}
    assert run.household_count == 10


def test_a_ten_household_village_without_entries_no_longer_gives_five_stars_to_everyone(stars):
    stars.village([100] * 10)
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert not StarResult.objects.filter(run=run).exists()
    assert run.villages.get().status == "no_entries"


def test_entries_all_corrected_away_leave_a_village_unrated(stars):
    households = stars.village([101, 100])
    [entry] = Entry.objects.filter(household=households[0])
    scoring.correct_entry(membership=member(stars.admin), entry=entry, reason="误录")
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert run.villages.get().status == "no_entries"


def test_a_village_is_rated_only_after_its_annual_round_is_approved(stars):
    late = stars.village(descending(10), round_approved=False)
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert stars_of(run, late[:3]) == [None, None, None]
    assert run.villages.get().status == "round_pending"

    stars.approve_annual_round(late[0].village)
    assert fresh(run).stale_cause == "round"
    run, created, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert created and stars_of(run, late[:3]) == [5, 4, 3]
    assert run.villages.get().status == "rated"


def test_the_township_overrides_the_annual_round_only_with_a_reason(stars, world):
    late = stars.village(descending(10), round_approved=False)
    village = late[0].village
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    before = database_checksum()
    with pytest.raises(DomainError) as refused:
        rate_stars(membership=member(stars.admin), scheme=stars.scheme, override_villages={village.pk: "  "})
    assert refused.value.code == "reason_required" and refused.value.field == "reason"
    for user in (world.a.clerk, world.a.supervisor, world.b.admin):
        with pytest.raises(PermissionDenied):
            services.override_village_round(
                membership=member(user), scheme=stars.scheme, village=village, reason="理由"
            )
    assert database_checksum() == before

    run, created, _ = rate_stars(
        membership=member(stars.admin),
        scheme=stars.scheme,
        override_villages={village.pk: "年度评议会已开，镇里未及审批"},
    )

    assert created and stars_of(run, late[:3]) == [5, 4, 3]
    rated = run.villages.get()
    assert (rated.status, rated.override_reason, rated.overridden_by) == (
        "overridden",
        "年度评议会已开，镇里未及审批",
        stars.admin,
    )
    # The override stays: rating again (the "rate again" button) rates the village the same way.
    again, created, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert again.pk == run.pk and not created


def test_an_approved_round_needs_no_override(stars):
    households = stars.village(descending(10))
    with pytest.raises(DomainError) as refused:
        services.override_village_round(
            membership=member(stars.admin), scheme=stars.scheme, village=households[0].village, reason="理由"
        )
    assert refused.value.code == "round_approved"


# Tie-breakers, shared bands and the overflow ---------------------------------------------------------------------


def tied_village(stars):
    """N=10 (five r≤1, four r≤2, three r≤3): 130; then three at 118 — a with 2 penalty points (120 − 2), b with 1
    (119 − 1), c with none; then 110 … 105."""
    households = stars.village([130, 120, 119, 118, 110, 109, 108, 107, 106, 105])
    stars.record([(households[1], D("-2")), (households[2], D("-1"))])
    return households


def test_fewer_penalty_points_break_a_tie_of_the_total_by_default(stars):
    h = tied_village(stars)
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # c (0 penalties) rank 2 → four; b (1) rank 3 → three; a (2) rank 4 → none.
    assert [StarResult.objects.get(run=run, household=x).rank for x in h[:5]] == [1, 4, 3, 2, 5]
    assert stars_of(run, h) == [5, 0, 3, 4, 0, 0, 0, 0, 0, 0]
    assert [StarResult.objects.get(run=run, household=x).penalties for x in h[1:4]] == [2, 1, 0]
    assert run.tie_break_fewer_penalties and not run.needs_confirmation


def test_exact_ties_share_the_higher_band_and_an_overflow_over_one_needs_the_townships_confirmation(
    stars, world
):
    h = tied_village(stars)
    services.set_star_rule(
        membership=member(stars.admin), scheme=stars.scheme, fewer_penalties=False, category=None
    )
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # No tie-breaker: a, b, c share rank 2 → all four stars. Five and four hold 4 for a share of ⌊20·10/100⌋ = 2.
    assert stars_of(run, h) == [5, 4, 4, 4, 0, 0, 0, 0, 0, 0]
    assert run.needs_confirmation and run.villages.get().overflow == 2
    before = database_checksum()
    with pytest.raises(DomainError) as refused:
        publish_run(membership=member(stars.admin), run=run)
    assert refused.value.code == "overflow_not_confirmed" and refused.value.field == "confirm_overflow"
    assert database_checksum() == before

    published = publish_run(membership=member(stars.admin), run=run, confirm_overflow=True)

    published = fresh(published)
    assert published.state == StarRunState.PUBLISHED and published.overflow_confirmed_by == stars.admin
    assert published.overflow_confirmed_at is not None


def test_an_overflow_of_one_household_needs_no_confirmation(stars):
    households = stars.village([130, 118, 118, 110, 109, 108, 107, 106, 105, 104])
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # 118, 118 share rank 2 → four: five and four hold 3 for a share of 2 — one over.
    assert stars_of(run, households)[:4] == [5, 4, 4, 0]
    assert run.villages.get().overflow == 1 and not run.needs_confirmation
    assert publish_run(membership=member(stars.admin), run=run).overflow_confirmed_by is None


def category_village(stars):
    """N=10: 130; a 118 (no penalty, 0 in 环境整治); b 117 + 2 in 环境整治 − 1 penalty = 118 (1 penalty, 2);
    c 117 + 1 in 环境整治 = 118 (no penalty, 1); then 110 … 105."""
    environment = scoring.add_category(
        membership=member(stars.admin),
        scheme=stars.scheme,
        name="环境整治",
        base_score=D("0"),
        cadence="annual",
    )
    households = stars.village([130, 118, 117, 117, 110, 109, 108, 107, 106, 105])
    stars.record([(households[2], D("-1"))])
    stars.record([(households[2], D("2")), (households[3], D("1"))], category=environment)
    return households, environment


def test_a_higher_score_in_the_named_category_breaks_a_tie_in_the_order_set(stars):
    h, environment = category_village(stars)
    services.set_star_rule(
        membership=member(stars.admin), scheme=stars.scheme, fewer_penalties=True, category=environment
    )
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # Penalties first: a (0, 0) and c (0, 1) before b (1); then the category: c rank 2 → four, a rank 3 → three.
    assert stars_of(run, h[:4]) == [5, 3, 0, 4]
    assert [StarResult.objects.get(run=run, household=x).tie_score for x in h[1:4]] == [0, 2, 1]

    services.set_star_rule(
        membership=member(stars.admin),
        scheme=stars.scheme,
        fewer_penalties=True,
        category=environment,
        category_first=True,
    )
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # The category first: b (2) rank 2 → four, c (1) rank 3 → three, a (0) rank 4 → none.
    assert stars_of(run, h[:4]) == [5, 0, 4, 3]
    assert run.tie_break_category == environment and run.tie_break_category_first


def test_a_category_of_another_scheme_is_refused(stars):
    other = scoring.create_scheme(
        membership=member(stars.admin), township=stars.township, name="旧方案", year=2025
    )
    category = scoring.add_category(
        membership=member(stars.admin), scheme=other, name="文明新风", base_score=D("100"), cadence="annual"
    )
    with pytest.raises(DomainError) as refused:
        services.set_star_rule(
            membership=member(stars.admin), scheme=stars.scheme, fewer_penalties=True, category=category
        )
    assert refused.value.code == "other_scheme_category"


def test_the_database_agrees_with_the_python_rule_with_tie_breakers(stars):
    h, environment = category_village(stars)
    tied_village(stars)
    stars.village([100] * 4)  # not rated
    stars.village(descending(20), round_approved=False)  # not rated
    vetoed = stars.village([150, 150, 150, 140, 140, 130, 120, 99, 99, 98])
    stars.disqualify(vetoed[0])
    services.set_star_rule(
        membership=member(stars.admin), scheme=stars.scheme, fewer_penalties=True, category=environment
    )
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    expected, digest = python_rule(stars.scheme)
    assert stored_rows(run) == expected and len(expected) == 30
    assert run.inputs_fingerprint == digest


def test_the_python_rule_on_hand_made_ties():
    bands = Bands(10, 20, 30, D("100"))
    # Ten households; 2, 3, 4 tie at 118 with penalties 2, 0, 0 and category scores 5, 1, 1.
    totals = [130, 118, 118, 118, 110, 109, 108, 107, 106, 105]
    penalties = [0, 2, 0, 0, 0, 0, 0, 0, 0, 0]
    scores = [0, 5, 1, 1, 0, 0, 0, 0, 0, 0]
    inputs = [
        StarInput(i, 1, D(t), False, D(p), D(s))
        for i, (t, p, s) in enumerate(zip(totals, penalties, scores, strict=True))
    ]
    by_total = rank_households(inputs, bands)
    assert [r.rank for r in by_total][:5] == [1, 2, 2, 2, 5] and [r.stars for r in by_total][:4] == [
        5,
        4,
        4,
        4,
    ]
    penalties_first = rank_households(inputs, bands, TieBreak(fewer_penalties=True, category_id=7))
    # 3 and 4: no penalty, the same score → still tied at rank 2 (both four); 2 (penalties) rank 4 → none.
    assert [r.rank for r in penalties_first][:4] == [1, 4, 2, 2]
    assert [r.stars for r in penalties_first][:4] == [5, 0, 4, 4]
    category_first = rank_households(inputs, bands, TieBreak(True, 7, category_first=True))
    assert [r.rank for r in category_first][:4] == [1, 2, 3, 3] and [r.stars for r in category_first][:4] == [
        5,
        4,
        3,
        3,
    ]


def test_band_overflow_counts_the_bands_cumulatively():
    bands = Bands(10, 20, 30, D("100"))
    assert band_overflow(10, 1, 1, 1, bands) == 0
    assert band_overflow(10, 1, 3, 0, bands) == 2  # five and four hold 4, share 2
    assert band_overflow(10, 3, 0, 0, bands) == 2  # five holds 3, share 1
    assert band_overflow(10, 1, 1, 2, bands) == 1  # all three hold 4, share 3
    assert band_overflow(12, 1, 11, 0, bands) == 10  # the honour roll's village: 12 stars, share 2


def test_only_the_township_office_publishes_and_confirms(stars, world):
    tied_village(stars)
    services.set_star_rule(
        membership=member(stars.admin), scheme=stars.scheme, fewer_penalties=False, category=None
    )
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    for user in (world.a.clerk, world.a.supervisor, world.b.admin):
        with pytest.raises(PermissionDenied):
            publish_run(membership=member(user), run=run, confirm_overflow=True)
    assert fresh(run).state == StarRunState.PROPOSED and fresh(run).overflow_confirmed_by is None


def test_participation_status_of_the_new_household_matters(stars):
    households = stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    Household.objects.create(
        township=stars.township,
        village=households[0].village,
        area=households[0].area,
        number="OUT-1",
        participation=Participation.OPTED_OUT,
    )
    assert not fresh(run).stale  # a household that does not take part is no input


# The API and the pages -------------------------------------------------------------------------------------------


def api(path: str, slug: str = "town-a") -> str:
    return f"/api/v1/t/{slug}/{path}"


def send(client, user, method, path, data=None, slug="town-a"):
    client.force_login(user)
    if method == "get":
        return client.get(api(path, slug), data or {}, HTTP_ACCEPT_LANGUAGE="en")
    return getattr(client, method)(
        api(path, slug), data or {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )


def page(stars, name, **kwargs):
    return reverse(f"rewards:{name}", kwargs={"township_slug": stars.township.slug, **kwargs})


def test_regression_a_rating_goes_stale_when_three_entries_raise_a_household_from_172_to_175(stars, client):
    """Issue 12: rate, approve three +1 entries for one household (172 → 175): the list shows the run stale,
    publishing it is a 400 with a code and changes nothing, rating again gives the new stars."""
    households = stars.village([176, 174, 173, 172, 160, 150, 140, 130, 120, 110])
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # N=10: five r≤1, four r≤2, three r≤3.
    assert stars_of(run, households[:4]) == [5, 4, 3, 0]
    for _ in range(3):
        stars.record([(households[3], D("1"))])

    [listed] = send(client, stars.admin, "get", "star-runs/").json()["results"]
    assert (listed["id"], listed["current"], listed["stale"], listed["stale_cause"]) == (
        run.pk,
        True,
        True,
        "approval",
    )
    assert listed["stale_changes"] == 3 and households[3].number in listed["stale_reason"]
    assert listed["rate_again"] == f"/api/v1/t/town-a/schemes/{stars.scheme.pk}/rate-stars/"
    before = database_checksum()
    refused = send(client, stars.admin, "post", f"star-runs/{run.pk}/publish/")
    assert refused.status_code == 400 and refused.json()["code"] == "stale"
    assert "stale" in refused.json()["errors"]["non_field_errors"][0]
    assert database_checksum() == before

    new, created, changes = rate_stars(membership=member(stars.admin), scheme=stars.scheme)

    # 176 five; 175 (was 172) four; 174 three; 173 none.
    assert created and new.version == 2 and stars_of(new, households[:4]) == [5, 3, 0, 4]
    assert [(c.household.number, c.old, c.new) for c in changes] == [
        (households[1].number, 4, 3),
        (households[2].number, 3, 0),
        (households[3].number, 0, 4),
    ]
    published = send(client, stars.admin, "post", f"star-runs/{new.pk}/publish/")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert not published.json()["stale"]


def test_the_api_publishes_an_overflowing_run_only_with_the_confirmation(stars, client):
    tied_village(stars)
    services.set_star_rule(
        membership=member(stars.admin), scheme=stars.scheme, fewer_penalties=False, category=None
    )
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    shown = send(client, stars.admin, "get", f"star-runs/{run.pk}/").json()
    assert shown["needs_confirmation"] and shown["villages"][0]["overflow"] == 2
    before = database_checksum()
    refused = send(client, stars.admin, "post", f"star-runs/{run.pk}/publish/", {"confirm_overflow": False})
    assert refused.status_code == 400 and refused.json()["code"] == "overflow_not_confirmed"
    assert refused.json()["field"] == "confirm_overflow" and "confirm_overflow" in refused.json()["errors"]
    assert database_checksum() == before
    for user, status in ((stars.world.a.supervisor, 403), (stars.world.b.admin, 404)):
        denied = send(client, user, "post", f"star-runs/{run.pk}/publish/", {"confirm_overflow": True})
        assert denied.status_code == status
    assert database_checksum() == before
    done = send(client, stars.admin, "post", f"star-runs/{run.pk}/publish/", {"confirm_overflow": True})
    assert done.status_code == 200 and done.json()["overflow_confirmed_by"]
    assert fresh(run).overflow_confirmed_by == stars.admin


def test_the_api_shows_why_a_village_is_not_rated_and_takes_an_override_with_a_reason(stars, client):
    late = stars.village(descending(10), round_approved=False)
    quiet = stars.village([100, 100])
    village = late[0].village
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    shown = send(client, stars.world.a.supervisor, "get", f"star-runs/{run.pk}/").json()
    assert sorted((v["village"], v["status"], v["households"]) for v in shown["villages"]) == sorted(
        [(village.pk, "round_pending", 10), (quiet[0].village_id, "no_entries", 2)]
    )
    path = f"schemes/{stars.scheme.pk}/rate-stars/"
    body = {"overrides": [{"village": village.pk, "reason": "年度评议已开会，待镇审批"}]}
    before = database_checksum()
    assert send(client, stars.world.b.admin, "post", path, body).status_code == 404
    assert send(client, stars.world.a.supervisor, "post", path, body).status_code == 403
    assert send(client, stars.world.a.clerk, "post", path, body).status_code == 403
    no_reason = send(
        client, stars.admin, "post", path, {"overrides": [{"village": village.pk, "reason": ""}]}
    )
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "overrides.0.reason"
    assert database_checksum() == before

    started = send(client, stars.admin, "post", path, body)

    assert started.status_code == 202
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)  # what the job runs
    shown = send(client, stars.admin, "get", f"star-runs/{run.pk}/").json()
    [overridden] = [v for v in shown["villages"] if v["village"] == village.pk]
    assert (overridden["status"], overridden["override_reason"]) == ("overridden", "年度评议已开会，待镇审批")


def test_the_api_sets_the_tie_breakers(stars, client):
    h, environment = category_village(stars)
    path = f"schemes/{stars.scheme.pk}/reward-settings/"
    body = {"tie_break_category": environment.pk, "tie_break_category_first": True}
    assert send(client, stars.world.a.supervisor, "patch", path, body).status_code == 403
    assert send(client, stars.world.b.admin, "patch", path, body).status_code == 404
    assert not services.star_rule(stars.scheme).pk
    changed = send(client, stars.admin, "patch", path, body)
    assert changed.status_code == 200
    assert (changed.json()["tie_break_category"], changed.json()["tie_break_category_first"]) == (
        environment.pk,
        True,
    )
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert stars_of(run, h[:4]) == [5, 0, 4, 3]


@pytest.fixture
def login(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def _login(user):
        client.force_login(user)
        return client

    return _login


def test_the_run_page_says_stale_and_what_changed_with_one_action_to_rate_again(stars, login):
    households = stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.record([(households[9], D("30"))])
    body = login(stars.admin).get(page(stars, "run-detail", pk=run.pk)).content.decode()
    assert "Stale" in body and f"household {households[9].number}" in body and "an entry was approved" in body
    assert page(stars, "star-rate", scheme_pk=stars.scheme.pk) in body
    assert page(stars, "run-publish", pk=run.pk) not in body  # no publish link on a stale run
    overview = login(stars.admin).get(page(stars, "star-overview")).content.decode()
    assert "Stale: rate again" in overview
    before = database_checksum()
    refused = login(stars.admin).post(page(stars, "run-publish", pk=run.pk), {"checked": "on"}, follow=True)
    assert "stale" in refused.content.decode() and fresh(run).state == StarRunState.PROPOSED
    assert database_checksum() == before


def test_the_publish_page_asks_for_the_check_and_the_overflow_confirmation(stars, login):
    tied_village(stars)
    services.set_star_rule(
        membership=member(stars.admin), scheme=stars.scheme, fewer_penalties=False, category=None
    )
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    client = login(stars.admin)
    detail = client.get(page(stars, "run-detail", pk=run.pk)).content.decode()
    assert "publishing needs the township" in detail
    confirm = client.get(page(stars, "run-publish", pk=run.pk)).content.decode()
    assert 'name="checked"' in confirm and 'name="confirm_overflow"' in confirm and "(+2)" in confirm
    before = database_checksum()
    client.post(page(stars, "run-publish", pk=run.pk), {"checked": "on"})  # the overflow not confirmed
    assert database_checksum() == before
    client.post(page(stars, "run-publish", pk=run.pk), {"checked": "on", "confirm_overflow": "on"})
    run = fresh(run)
    assert run.state == StarRunState.PUBLISHED and run.overflow_confirmed_by == stars.admin


def test_the_publish_page_is_the_township_offices(stars, login):
    stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    before = database_checksum()
    for user, status in (
        (stars.world.a.supervisor, 403),
        (stars.world.a.clerk, 403),
        (stars.world.b.admin, 404),
    ):
        client = login(user)
        assert client.get(page(stars, "run-publish", pk=run.pk)).status_code == status
        assert client.post(page(stars, "run-publish", pk=run.pk), {"checked": "on"}).status_code == status
    assert database_checksum() == before


def test_the_run_page_shows_villages_not_rated_and_the_township_overrides_there(stars, login):
    late = stars.village(descending(10), round_approved=False)
    stars.village([100, 100])
    village = late[0].village
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    body = login(stars.world.a.supervisor).get(page(stars, "run-detail", pk=run.pk)).content.decode()
    assert (
        "Not rated: annual review not approved" in body and "Not rated: no approved entries in 2026" in body
    )
    assert 'name="reason"' not in body  # a supervisor reads, never overrides
    assert 'name="reason"' in login(stars.admin).get(page(stars, "run-detail", pk=run.pk)).content.decode()
    override = page(stars, "star-override", scheme_pk=stars.scheme.pk)
    form = {"village": village.pk, "reason": "年度评议已开会，待镇审批", "run": run.pk}
    before = database_checksum()
    assert login(stars.world.a.supervisor).post(override, form).status_code == 403
    assert login(stars.world.a.clerk).post(override, form).status_code == 403
    assert login(stars.world.b.admin).post(override, form).status_code == 404
    login(stars.admin).post(override, {**form, "reason": ""})  # no reason: refused on the page
    assert database_checksum() == before

    started = login(stars.admin).post(override, form)

    assert started.status_code == 302 and "/jobs/" in started["Location"]
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    body = login(stars.admin).get(page(stars, "run-detail", pk=run.pk)).content.decode()
    assert "Rated before its annual round is approved" in body and "年度评议已开会，待镇审批" in body
