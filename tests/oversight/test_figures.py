"""Every figure of the township dashboard and the village page against values computed by hand (conftest)."""

from decimal import Decimal

import pytest

from core.tenancy import township_scope
from households.models import Village
from oversight import selectors
from rewards.models import StarRun

D = Decimal


def township(dash):
    with township_scope(dash.township):
        return selectors.township_dashboard(Village.objects.all(), 2026, name=dash.township.name)


def by_name(rows):
    return {row.name: row for row in rows}


def test_households_taking_part_and_share_of_eligible(dash):
    board = township(dash)
    rows = by_name(board.rows)
    east, west = rows["a东村"], rows["a西村"]

    assert (east.counts.households, east.counts.eligible, east.counts.taking_part) == (5, 4, 3)
    assert east.counts.share == D("75.0")
    assert (west.counts.households, west.counts.eligible, west.counts.taking_part) == (2, 2, 2)
    assert west.counts.share == D("100.0")
    assert (board.whole.counts.households, board.whole.counts.eligible, board.whole.counts.taking_part) == (
        7,
        6,
        5,
    )
    assert board.whole.counts.share == D("83.3")


def test_average_totals_and_distribution(dash):
    board = township(dash)
    rows = by_name(board.rows)

    assert rows["a东村"].scores.average == D("60.7")  # (61 + 63 + 58) / 3
    assert rows["a西村"].scores.average == D("62.0")  # (64 + 60) / 2
    assert board.whole.scores.average == D("61.2")  # 306 / 5
    assert board.histogram == [(D("50"), 1), (D("60"), 4)]
    assert [row.name for row in board.ranking] == ["a西村", "a东村"]


def test_category_averages_and_the_weakest_category(dash):
    board = township(dash)
    rows = by_name(board.rows)
    env, party = dash.env, dash.party

    assert rows["a东村"].category_averages([env, party]) == [D("38.7"), D("22.0")]
    assert rows["a东村"].weakest_category([env, party]) == env
    assert rows["a西村"].category_averages([env, party]) == [D("42.0"), D("20.0")]
    assert rows["a西村"].weakest_category([env, party]) is None
    assert board.whole.category_averages([env, party]) == [D("40.0"), D("21.2")]


def test_trend_by_quarter_is_net_points_per_household_taking_part(dash):
    board = township(dash)
    rows = by_name(board.rows)

    assert rows["a东村"].quarter_averages == [D("2.7"), D("-2.0"), D("0.0"), D("0.0")]  # 8/3, −6/3
    assert rows["a西村"].quarter_averages == [D("1.0"), D("0.0"), D("1.0"), D("0.0")]
    assert board.whole.quarter_averages == [D("2.0"), D("-1.2"), D("0.4"), D("0.0")]


def test_rounds_with_their_state_and_days_left_on_notice(dash):
    board = township(dash)
    rows = by_name(board.rows)
    east = [(r.period, r.state, r.days_left) for r in rows["a东村"].rounds]

    assert east == [("2026-Q1", "approved", None), ("2026-Q2", "on_notice", 3)]
    assert [(r.period, r.state) for r in rows["a西村"].rounds] == [("2026-Q1", "collecting")]
    assert (rows["a东村"].rounds_approved, rows["a西村"].rounds_approved) == (1, 0)


def test_objections_filed_and_upheld(dash):
    rows = by_name(township(dash).rows)

    assert (rows["a东村"].objections.filed, rows["a东村"].objections.upheld) == (3, 1)
    assert (rows["a西村"].objections.filed, rows["a西村"].objections.upheld) == (0, 0)


def test_star_counts_come_from_the_published_run_when_there_is_one(dash):
    board = township(dash)
    rows = by_name(board.rows)

    assert board.star_run == dash.published and board.star_run_published
    assert (rows["a东村"].stars.five, rows["a东村"].stars.four, rows["a东村"].stars.three) == (1, 1, 0)
    assert (rows["a西村"].stars.five, rows["a西村"].stars.four, rows["a西村"].stars.three) == (0, 0, 1)


def test_without_a_published_run_the_current_proposal_counts_and_says_so(dash):
    StarRun.objects.filter(pk=dash.published.pk).delete()
    board = township(dash)
    rows = by_name(board.rows)

    assert board.star_run == dash.proposed and not board.star_run_published
    assert (rows["a东村"].stars.five, rows["a东村"].stars.four, rows["a东村"].stars.three) == (1, 0, 1)
    assert (rows["a西村"].stars.five, rows["a西村"].stars.three) == (1, 0)


def test_village_figures_by_area(dash):
    with township_scope(dash.township):
        board = selectors.village_dashboard(dash.v1, 2026)
    areas = by_name(board.rows)
    one, two = areas["一组"], areas["二组"]

    assert (one.counts.households, one.counts.eligible, one.counts.taking_part, one.counts.share) == (
        2,
        2,
        2,
        D("100.0"),
    )
    assert (two.counts.households, two.counts.eligible, two.counts.taking_part, two.counts.share) == (
        3,
        2,
        1,
        D("50.0"),
    )
    assert (one.scores.average, two.scores.average) == (D("62.0"), D("58.0"))
    assert one.category_averages([dash.env, dash.party]) == [D("39.0"), D("23.0")]
    assert two.category_averages([dash.env, dash.party]) == [D("38.0"), D("20.0")]
    assert one.quarter_averages == [D("4.0"), D("-2.0"), D("0.0"), D("0.0")]
    assert two.quarter_averages == [D("0.0"), D("-2.0"), D("0.0"), D("0.0")]
    assert (one.stars.five, one.stars.four, two.stars.five) == (1, 1, 0)
    assert (one.objections.filed, one.objections.upheld, two.objections.filed) == (2, 1, 1)
    assert board.whole.scores.average == D("60.7")
    assert [r.period for r in board.whole.rounds] == ["2026-Q1", "2026-Q2"]


def test_households_that_lost_most_in_a_quarter_and_the_alerts(dash):
    with township_scope(dash.township):
        losers = selectors.households_losing_most(dash.scheme, dash.v1, 2)
        first_quarter = selectors.households_losing_most(dash.scheme, dash.v1, 1)

    assert [(r["number"], r["lost"], r["net"]) for r in losers] == [
        ("A-001", D("-4"), D("-4")),
        ("A-004", D("-2"), D("-2")),
    ]
    assert first_quarter == []


@pytest.mark.postgres
def test_the_sql_aggregate_agrees_with_the_orm_score_oracle(dash):
    with township_scope(dash.township):
        sql = selectors.score_groups(dash.scheme)
        orm = score_groups_orm(dash.scheme, list(dash.scheme.categories.all()))

    assert set(sql) == set(orm)
    for key in sql:
        assert (sql[key].n, sql[key].total_sum, dict(sql[key].category_sums)) == (
            orm[key].n,
            orm[key].total_sum,
            dict(orm[key].category_sums),
        )


def test_supermarket_participation_and_budget_from_the_rewards_app(dash_rewards):
    board = township(dash_rewards)
    rows = by_name(board.rows)
    east, west = rows["a东村"], rows["a西村"]

    assert (east.shop.household_share, east.shop.resident_share) == (D("66.7"), D("75.0"))  # 2/3, 3/4
    assert (west.shop.household_share, west.shop.resident_share) == (D("0.0"), D("0.0"))
    assert (board.whole.shop.household_share, board.whole.shop.resident_share) == (
        D("40.0"),
        D("50.0"),
    )  # 2/5, 3/6
    assert (east.budget.funded, east.budget.limit, east.budget.spent, east.budget.left) == (
        D("12.50"),
        D("10.00"),
        D("7.00"),
        D("3.00"),
    )
    assert (west.budget.funded, west.budget.spent, west.budget.left) == (0, 0, 0)
    whole = board.whole.budget
    assert (whole.funded, whole.limit, whole.committed, whole.spent, whole.left) == (
        D("12.50"),
        D("10.00"),
        D("0"),
        D("7.00"),
        D("3.00"),
    )


def test_the_village_page_has_its_supermarket_and_budget(dash_rewards):
    with township_scope(dash_rewards.township):
        board = selectors.village_dashboard(dash_rewards.v1, 2026)

    assert board.whole.shop.household_share == D("66.7")
    assert board.whole.budget.left == D("3.00")


def test_reading_the_whole_township_gives_the_same_figures(dash):
    with township_scope(dash.township):
        whole = selectors.township_dashboard(Village.objects.all(), 2026, whole_township=True)
    filtered = township(dash)

    assert [(r.name, r.scores.n, r.scores.total_sum, dict(r.scores.buckets)) for r in whole.rows] == [
        (r.name, r.scores.n, r.scores.total_sum, dict(r.scores.buckets)) for r in filtered.rows
    ]


def score_groups_orm(scheme, categories, village_ids=None):
    """The test oracle: the groups of `selectors.score_groups` computed from the ORM score oracle
    (tests/scoring/oracle.py), in Python (it used to be a second production path; now only the tests use it)."""
    from households.models import Household
    from oversight.selectors import BUCKET, Scores
    from scoring.selectors import category_key
    from tests.scoring.oracle import with_scores

    households = Household.objects.taking_part()
    if village_ids is not None:
        households = households.filter(village_id__in=village_ids)
    keys = [category_key(c) for c in categories]
    groups = {}
    for village_id, area_id, total, *values in with_scores(households, scheme).values_list(
        "village_id", "area_id", "total", *keys
    ):
        bucket = (Decimal(total) / BUCKET).to_integral_value(rounding="ROUND_FLOOR") * BUCKET
        scores = groups.setdefault((village_id, area_id, bucket), Scores())
        scores.n += 1
        scores.total_sum += total
        scores.buckets[bucket] += 1
        for category, value in zip(categories, values, strict=True):
            scores.category_sums[category.pk] += value
    return groups
