"""The star rating's rules, with hand-computed expectations (base total 100 = the floor unless said otherwise)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import translation

from core.errors import DomainError
from core.tenancy import ScopeError, no_township_scope, township_scope
from households.models import Participation
from rewards import selectors
from rewards.models import StarResult, StarRun, StarRunState
from rewards.services import (
    Bands,
    publish_run,
    rate_stars,
)
from scoring import services as scoring
from scoring.selectors import annual_totals
from tests.contract import member
from tests.factories import store_reward_settings
from tests.rewards.oracle import StarInput, fingerprint, python_rule, rank_households

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def stars_of(households) -> list[int]:
    """The stars of these households in the current run, in the order given."""
    by_household = dict(
        StarResult.objects.filter(run__current=True, household__in=households).values_list(
            "household_id", "stars"
        )
    )
    return [by_household[h.pk] for h in households]


def result(household) -> StarResult:
    return StarResult.objects.get(run__current=True, household=household)


STORED = (
    "household_id",
    "village_id",
    "total",
    "rank",
    "n",
    "stars",
    "disqualified",
    "penalties",
    "tie_score",
)


def stored_rows(run) -> list[tuple]:
    return list(StarResult.objects.filter(run=run).order_by("household_id").values_list(*STORED))


def descending(n: int) -> list[int]:
    """n distinct totals, all above the base: 100 + n, …, 101."""
    return [100 + n - i for i in range(n)]


def test_bands_for_10_95_100_and_101_households(stars):
    v10 = stars.village(descending(10))
    v95 = stars.village(descending(95))
    v100 = stars.village(descending(100))
    v101 = stars.village(descending(101))

    run, created, changes = rate_stars(membership=member(stars.admin), scheme=stars.scheme)

    assert created and changes == [] and run.version == 1 and run.household_count == 306
    # N=10: five r≤1 (100r≤100), four r≤2 (≤200), three r≤3 (≤300).
    assert stars_of(v10) == [5, 4, 3] + [0] * 7
    # N=95: five 100r≤950 → r≤9; four ≤1900 → r≤19; three ≤2850 → r≤28.
    assert stars_of(v95) == [5] * 9 + [4] * 10 + [3] * 9 + [0] * 67
    # N=100: r≤10, r≤20, r≤30.
    assert stars_of(v100) == [5] * 10 + [4] * 10 + [3] * 10 + [0] * 70
    # N=101: 100r≤1010 → r≤10; ≤2020 → r≤20; ≤3030 → r≤30.
    assert stars_of(v101) == [5] * 10 + [4] * 10 + [3] * 10 + [0] * 71
    last = result(v101[-1])
    assert (last.rank, last.n, last.total) == (101, 101, D("101.00"))
    assert (result(v95[9]).rank, result(v95[9]).n) == (10, 95)


def test_percentages_are_compared_exactly_not_as_floats(stars):
    # 0.29 × 100 is 28.999999999999996 in floating point; in integers 100·29 ≤ 29·100 holds: rank 29 gets three.
    store_reward_settings(stars.scheme, star_three_percent=29)
    households = stars.village(descending(100))
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert stars_of(households)[28:30] == [3, 0]
    # 0.57 × 100 is 56.99999999999999: rank 57 of 100 still gets three when three stars are the top 57 %.
    hundred = [StarInput(i, 1, D(200 - i), False) for i in range(1, 101)]
    assert [r.stars for r in rank_households(hundred, Bands(10, 20, 57, D("100")))][56:58] == [3, 0]


def test_ties_across_a_band_edge_all_get_the_higher_band(stars):
    # Totals 120 | 118 118 118 | 110 …: ranks 1 | 2 2 2 | 5 …; N=10: four needs r≤2 → all three tied get four;
    # rank 5: 500 > 300 → no star, so nobody gets three.
    edge = stars.village([120, 118, 118, 118, 110, 109, 108, 107, 106, 105])
    # Two tied first: both rank 1 → five; next is rank 3: 300 > 200 but ≤ 300 → three; nobody gets four.
    top = stars.village([130, 130, 125, 124, 123, 122, 121, 120, 119, 118])
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert stars_of(edge) == [5, 4, 4, 4, 0, 0, 0, 0, 0, 0]
    assert [result(h).rank for h in edge[:5]] == [1, 2, 2, 2, 5]
    assert stars_of(top) == [5, 5, 3, 0, 0, 0, 0, 0, 0, 0]


def test_totals_below_the_floor_get_no_star(stars):
    # N=10: rank 1 (101) five; rank 2 (exactly the base 100) four; rank 3 (99.5 < 100) none.
    households = stars.village([101, 100, "99.5", 90, 90, 90, 90, 90, 90, 90])
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert stars_of(households) == [5, 4, 0, 0, 0, 0, 0, 0, 0, 0]
    assert [result(h).rank for h in households[:4]] == [1, 2, 3, 4]


def test_the_scheme_can_set_its_own_floor(stars):
    store_reward_settings(stars.scheme, star_floor=D("105"))
    households = stars.village([110, 105, "104.5", 90, 90, 90, 90, 90, 90, 90])
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert run.floor == D("105")
    assert stars_of(households) == [5, 4, 0, 0, 0, 0, 0, 0, 0, 0]


def test_a_village_where_nobody_reaches_the_base_total_gets_no_stars(stars):
    households = stars.village([99, 98, 97, 96, 95])
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert stars_of(households) == [0, 0, 0, 0, 0]
    assert [result(h).rank for h in households] == [1, 2, 3, 4, 5]
    assert {result(h).n for h in households} == {5}


def test_a_disqualified_household_gets_no_star_and_the_others_keep_their_rank(stars):
    households = stars.village(descending(10))  # 110 … 101
    stars.disqualify(households[0])  # approved veto: −1 → 109, tied with the second on the total
    stars.disqualify(households[5], approve=False)  # a proposal does not count
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    first = result(households[0])
    # The veto is 1 penalty point: the tie with the second (109, no penalty) breaks in the second's favour.
    assert first.disqualified and first.total == D("109.00") and first.rank == 2 and first.penalties == 1
    # The second (109) rank 1 → five; rank 3 (108) → three; the disqualified one gets none.
    assert stars_of(households) == [0, 5, 3, 0, 0, 0, 0, 0, 0, 0]
    assert not result(households[5]).disqualified


def test_a_disqualification_reversed_by_a_correction_no_longer_counts(stars):
    households = stars.village(descending(10))
    veto = stars.disqualify(households[0])
    scoring.correct_entry(membership=member(stars.admin), entry=veto, reason="误录")
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    first = result(households[0])
    assert not first.disqualified and first.total == D("110.00")
    assert stars_of(households)[:3] == [5, 4, 3]


def test_households_not_taking_part_are_left_out_of_n(stars):
    households = stars.village(descending(10) + [200, 199, 198])
    stars.stop_taking_part(households[10:12])
    stars.stop_taking_part(households[12:], Participation.NOT_ELIGIBLE)
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert run.household_count == 10
    assert stars_of(households[:10]) == [5, 4, 3, 0, 0, 0, 0, 0, 0, 0]
    assert not StarResult.objects.filter(household__in=households[10:]).exists()
    assert {result(h).n for h in households[:10]} == {10}


def test_elderly_households_who_opted_in_are_ranked(stars):
    households = stars.village(descending(10))
    stars.stop_taking_part(households[:1], Participation.ELDERLY_OPTED_IN)
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert stars_of(households)[:1] == [5]


def test_running_twice_stores_identical_results_and_no_new_run(stars):
    stars.village(descending(12))
    stars.village([105, 105, 104])
    run, created, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    first = list(StarResult.objects.order_by("household_id").values())
    again, created_again, changes = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert created and not created_again and changes == []
    assert again.pk == run.pk and StarRun.objects.count() == 1
    assert list(StarResult.objects.order_by("household_id").values()) == first


def test_a_changed_ledger_makes_version_2_and_lists_the_changes(stars):
    households = stars.village(descending(10))  # 110 … 101: stars 5 4 3 0 …
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # The fourth (107) gains 10 → 117: it becomes first (5); 110 → rank 2 (4); 109 → rank 3 (3); 108 → rank 4 (0).
    [entry] = stars.record([(households[3], D("10"))])
    run, created, changes = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert created and run.version == 2 and run.current
    assert StarRun.objects.get(version=1).current is False
    assert [(c.household.number, c.old, c.new) for c in changes] == [
        (households[0].number, 5, 4),
        (households[1].number, 4, 3),
        (households[2].number, 3, 0),
        (households[3].number, 0, 5),
    ]
    assert [
        (c.household.number, c.old, c.new)
        for c in selectors.star_changes(StarRun.objects.get(version=1), run)
    ] == [(c.household.number, c.old, c.new) for c in changes]
    # The entry corrected away: the inputs are those of version 1 again, which becomes current; no version 3.
    scoring.correct_entry(membership=member(stars.admin), entry=entry, reason="误录")
    back, created, changes = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert not created and back.version == 1 and back.current and StarRun.objects.count() == 2
    assert [(c.old, c.new) for c in changes] == [(4, 5), (3, 4), (0, 3), (5, 0)]
    assert stars_of(households)[:4] == [5, 4, 3, 0]


def test_a_household_leaving_is_a_change_and_shrinks_n(stars):
    households = stars.village(descending(10))
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.stop_taking_part(households[:1])  # the five-star household stops taking part; N = 9
    run, created, changes = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # N=9: five 100r≤90 → nobody; four 100r≤180 → r=1 (109); three 100r≤270 → r=2 (108); r=3 (107) none.
    assert created and stars_of(households[1:4]) == [4, 3, 0]
    assert [(c.household.number, c.old, c.new) for c in changes] == [(households[0].number, 5, None)]


def test_changed_band_settings_are_a_new_version(stars):
    households = stars.village(descending(10))
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    store_reward_settings(stars.scheme, star_five_percent=20, star_four_percent=30, star_three_percent=40)
    run, created, changes = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    # N=10: five r≤2, four r≤3, three r≤4.
    assert (
        created
        and run.version == 2
        and (run.five_percent, run.four_percent, run.three_percent) == (20, 30, 40)
    )
    assert stars_of(households)[:5] == [5, 5, 4, 3, 0]
    assert [(c.old, c.new) for c in changes] == [(4, 5), (3, 4), (0, 3)]


def test_the_band_settings_must_grow(stars):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        store_reward_settings(stars.scheme, star_five_percent=30, star_four_percent=20)
    with pytest.raises(IntegrityError), transaction.atomic():
        store_reward_settings(stars.scheme, star_five_percent=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        store_reward_settings(stars.scheme, star_three_percent=101)


def test_a_draft_scheme_is_not_rated(stars):
    draft = scoring.create_scheme(
        membership=member(stars.admin), township=stars.township, name="草案", year=2026
    )
    with pytest.raises(DomainError, match="still a draft"):
        rate_stars(membership=member(stars.admin), scheme=draft)
    assert not StarRun.objects.exists()


def test_stored_results_are_the_rule_applied_to_the_ledger_totals(stars):
    """What the COPY (PostgreSQL) or bulk insert stored is the rule applied to the inputs, column for column."""
    stars.village([120, 118, 118, 118, 110, 109, 108, 107, 106, "99.5"])
    households = stars.village(descending(23))
    stars.disqualify(households[1])
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    expected, digest = python_rule(stars.scheme)
    assert run.inputs_fingerprint == digest
    stored = stored_rows(run)
    assert stored == expected and len(stored) == 33
    assert {r[0]: r[2] for r in stored} == annual_totals(stars.scheme)


def test_the_rule_in_python_on_hand_made_inputs():
    bands = Bands(10, 20, 30, D("100"))
    inputs = [
        StarInput(i, 1, D(t), False) for i, t in enumerate([120, 118, 118, 118, 110, 109, 108, 107, 106, 105])
    ]
    assert [r.stars for r in rank_households(inputs, bands)] == [5, 4, 4, 4, 0, 0, 0, 0, 0, 0]
    assert [r.rank for r in rank_households(inputs, bands)][:5] == [1, 2, 2, 2, 5]
    # The fingerprint depends on the bands and on every input.
    assert fingerprint(inputs, bands) != fingerprint(inputs, Bands(10, 20, 30, D("101")))
    assert fingerprint(inputs, bands) != fingerprint(inputs[:-1], bands)
    assert fingerprint(inputs, bands) == fingerprint(list(reversed(inputs)), bands)


def test_rating_needs_the_township_scope(stars):
    stars.village(descending(3))
    with no_township_scope(), pytest.raises(ScopeError):
        rate_stars(membership=member(stars.admin), scheme=stars.scheme)


def test_ratings_of_one_township_never_include_another(stars, world):
    mine = stars.village(descending(10))
    with township_scope(world.b.township):
        other = scoring.create_scheme(
            membership=member(world.b.admin), township=world.b.township, name="B方案", year=2026
        )
        scoring.add_category(
            membership=member(world.b.admin),
            scheme=other,
            name="文明新风",
            base_score=D("100"),
            cadence="annual",
        )
        scoring.activate_scheme(membership=member(world.b.admin), scheme=other)
        run_b, _, _ = rate_stars(membership=member(world.b.admin), scheme=other)
        # B's villages have no approved entries: listed on B's run as not rated, and no result anywhere.
        assert not StarResult.objects.filter(run=run_b).exists()
        assert set(run_b.villages.values_list("village__township", "status")) == {
            (world.b.township.pk, "no_entries")
        }
    with township_scope(stars.township):
        run_a, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
        ids = set(StarResult.objects.filter(run=run_a).values_list("household_id", flat=True))
    assert {h.pk for h in mine} <= ids and not ids & {h.pk for h in world.b.households}


# Publishing ------------------------------------------------------------------------------------------------------


def test_the_township_office_publishes_the_current_run(stars):
    stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert run.state == StarRunState.PROPOSED
    assert not selectors.star_households(2026).exists()  # proposals are not star households yet
    assert selectors.star_households(2026, published_only=False).count() == 3
    published = publish_run(membership=member(stars.admin), run=run)
    assert published.state == StarRunState.PUBLISHED and published.published_by == stars.admin
    assert [r.stars for r in selectors.star_households(2026)] == [5, 4, 3]
    with pytest.raises(DomainError, match="already published"):
        publish_run(membership=member(stars.admin), run=run)


@pytest.mark.parametrize("who", ["clerk", "supervisor", "county", "outsider"])
def test_only_the_township_office_publishes(stars, world, who):
    stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    user = world.b.admin if who == "outsider" else getattr(world.a, who)
    with pytest.raises(PermissionDenied):
        publish_run(membership=member(user), run=run)
    run.refresh_from_db()
    assert run.state == StarRunState.PROPOSED and run.published_at is None


def test_an_out_of_date_run_cannot_be_published(stars):
    households = stars.village(descending(10))
    old, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    stars.record([(households[9], D("50"))])
    new, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    with pytest.raises(DomainError, match="out of date"):
        publish_run(membership=member(stars.admin), run=old)
    publish_run(membership=member(stars.admin), run=new)
    assert [r.household_id for r in selectors.star_households(2026) if r.stars == 5] == [households[9].pk]


def test_star_households_come_from_the_newest_published_run(stars):
    households = stars.village(descending(10))
    v1, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    publish_run(membership=member(stars.admin), run=v1)
    stars.record([(households[9], D("50"))])
    rate_stars(
        membership=member(stars.admin), scheme=stars.scheme
    )  # version 2, a proposal: the published list stays v1's
    assert [r.household_id for r in selectors.star_households(2026)] == [h.pk for h in households[:3]]


# Selectors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("villages", [1, 3])
def test_results_by_village_take_a_constant_number_of_queries(stars, django_assert_num_queries, villages):
    for _ in range(villages):
        stars.village(descending(4 * villages))
    rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    with django_assert_num_queries(2):
        run, grouped = selectors.results_by_village(stars.scheme)
        rows = [
            (v.name, r.household.number, r.rank, r.stars) for v, results in grouped.items() for r in results
        ]
    assert len(grouped) == villages and len(rows) == 4 * villages * villages
    with django_assert_num_queries(1):
        summary = selectors.village_summary(run)
    assert summary[0]["n"] == 4 * villages
    with django_assert_num_queries(1):
        star_rows = list(selectors.star_households(2026, published_only=False))
    # 1 village of N=4: only three stars (100r ≤ 120 → r=1); 3 villages of N=12: r=1, 2, 3 → 5, 4, 3 each.
    assert len(star_rows) == {1: 1, 3: 9}[villages]


def test_village_summary_counts_each_band(stars):
    stars.village(descending(100), name="大村")
    stars.village([120, 118, 118, 118, 110, 109, 108, 107, 106, 105], name="小村")
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    summary = {
        row["village__name"]: (row["n"], row["five"], row["four"], row["three"])
        for row in selectors.village_summary(run)
    }
    assert summary == {"大村": (100, 10, 10, 10), "小村": (10, 1, 3, 0)}


# Concurrency (PostgreSQL: two ratings at once run one after the other) -------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_once_make_one_run(stars):
    stars.village(descending(40))
    stars.village(descending(30))
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def rate():
        try:
            with township_scope(stars.township):
                barrier.wait()
                run, created, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
                outcomes.append((run.pk, created))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=rate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(created for _, created in outcomes) == [False, True]
    assert len({pk for pk, _ in outcomes}) == 1
    assert StarRun.objects.count() == 1 and StarResult.objects.count() == 70


def test_the_database_refuses_a_second_run_of_the_same_inputs_or_version(stars):
    from django.db import IntegrityError

    stars.village(descending(10))
    run, _, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    same = {
        "township_id": run.township_id,
        "scheme": stars.scheme,
        "five_percent": 10,
        "four_percent": 20,
        "three_percent": 30,
        "floor": D("100"),
        "household_count": 10,
        "current": False,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        StarRun.objects.create(version=2, inputs_fingerprint=run.inputs_fingerprint, **same)
    with pytest.raises(IntegrityError), transaction.atomic():
        StarRun.objects.create(version=1, inputs_fingerprint="0" * 64, **same)
    with pytest.raises(IntegrityError), transaction.atomic():
        StarRun.objects.create(version=2, inputs_fingerprint="0" * 64, **{**same, "current": True})
    with pytest.raises(IntegrityError), transaction.atomic():
        StarResult.objects.filter(run=run).update(stars=2)
    assert StarRun.objects.count() == 1


@pytest.mark.postgres
def test_the_database_rating_agrees_with_the_python_rule_row_for_row_and_in_its_fingerprint(stars):
    """PostgreSQL rates in one INSERT … SELECT; the Python oracle (tests/rewards/oracle.py) must say the same."""

    stars.village(descending(101))
    stars.village(
        [150, 150, 150, 140, 140, 130, 120, 99, 99, 98]
    )  # ties across the bands, totals under the floor
    vetoed = stars.village(descending(20))
    stars.disqualify(vetoed[0])
    run, created, _ = rate_stars(membership=member(stars.admin), scheme=stars.scheme)
    assert created
    expected, digest = python_rule(stars.scheme)
    assert stored_rows(run) == expected and len(expected) == 131
    assert run.inputs_fingerprint == digest and run.household_count == 131
