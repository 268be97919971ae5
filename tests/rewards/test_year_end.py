"""The year-end close (年度结算): refused while a village is open, a dry run that writes nothing, the close that
freezes the year, clears or carries spendable points, copies the scheme, and is a no-op the second time."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from core.models import Job
from rewards import services
from rewards.models import SpendableClearing
from rewards.selectors import spendable_balance, year_end_plan
from scoring import services as scoring
from scoring.models import Entry, EntrySource, EntryState, Scheme, SchemeState, YearClose
from tests.contract import member
from tests.notices import approve_through_notice
from tests.rewards.conftest import DAY, StarWorld, closable, database_checksum

D = Decimal


@pytest.mark.django_db
def test_a_close_with_a_village_still_open_names_it_and_writes_nothing(world):
    stars = closable(world)
    stars.village([150, 120], name="西村", round_approved=False)
    before = database_checksum()
    with pytest.raises(DomainError) as refused:
        services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    message = str(refused.value.message)
    # 西村 has no annual round, and the published rating was made before it had points (it no longer matches).
    assert "西村" in message and "2026" in message
    assert "东村" not in message
    assert database_checksum() == before
    assert not YearClose.objects.exists()


@pytest.mark.django_db
def test_a_village_whose_annual_round_is_not_approved_is_named_with_what_it_misses(world):
    stars = closable(world)
    round_ = stars.approve_annual_round(stars.village([150], name="南村", round_approved=False)[0].village)
    type(round_).objects.filter(pk=round_.pk).update(state="on_notice")
    plan = year_end_plan(stars.scheme)
    south = next(v for v in plan.villages if v.village.name == "南村")
    assert not south.round_ok and south.missing == ["年度评议未批准（公示中）"]
    assert not plan.ok and any(line.startswith("南村") for line in plan.problems())


@pytest.mark.django_db
def test_the_star_rating_must_be_published(world):
    stars = StarWorld(world)
    stars.village([150, 120], name="东村")
    plan = year_end_plan(stars.scheme)
    assert [v.ok for v in plan.villages] == [True] and plan.stars_problem
    with pytest.raises(DomainError):
        services.close_year(membership=member(stars.admin), scheme=stars.scheme)


@pytest.mark.django_db
def test_the_dry_run_shows_what_would_happen_and_writes_nothing(world):
    stars = closable(world)
    before = database_checksum()
    plan = year_end_plan(stars.scheme)
    assert database_checksum() == before
    assert plan.ok and [(v.village.name, v.round_ok, v.stars_ok) for v in plan.villages] == [
        ("东村", True, True)
    ]
    # Net points (without the base): 100 + 90 + … + 10 = 550, over ten accounts, carried over (the default).
    assert plan.spendable == "carry" and len(plan.accounts) == 10 and plan.total_points == D("550")
    assert (plan.next_name, plan.next_year) == ("星级评定", 2027)
    assert (plan.next_starts_on, plan.next_ends_on) == (
        datetime.date(2027, 1, 1),
        datetime.date(2027, 12, 31),
    )
    assert plan.archive_files[:4] == [
        "report-2026.pdf",
        "figures-2026.xlsx",
        "stars-2026.xlsx",
        "roster-2026.xlsx",
    ]


@pytest.mark.django_db
def test_the_close_freezes_the_year_copies_the_scheme_and_carries_the_points(world):
    stars = closable(world)
    first = stars.households[0]
    before = spendable_balance(first, year=2027).available
    close, created = services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    assert created and close.closed_by == stars.admin and close.year == 2026 and close.spendable == "carry"
    assert close.summary["accounts"] == 10 and close.summary["points"] == "550"
    stars.scheme.refresh_from_db()
    assert stars.scheme.state == SchemeState.CLOSED
    nxt = close.next_scheme
    assert (nxt.year, nxt.state, nxt.name, nxt.copied_from_id) == (
        2027,
        SchemeState.DRAFT,
        "星级评定",
        stars.scheme.pk,
    )
    assert [c.name for c in nxt.categories.all()] == ["文明新风"]
    assert not SpendableClearing.objects.exists()
    # Carried over: the balance of 2027 still holds 2026's 100 points, by the ledger.
    assert before == spendable_balance(first, year=2027).available == D("100")
    assert close.archive_job is not None and close.archive_job.kind == "year_archive"


@pytest.mark.django_db
def test_closing_twice_is_a_no_op(world):
    stars = closable(world)
    first, _ = services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    before = database_checksum()
    jobs = Job.objects.count()
    again, created = services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    assert not created and again.pk == first.pk
    assert database_checksum() == before and Job.objects.count() == jobs
    assert Scheme.objects.filter(year=2027).count() == 1


@pytest.mark.django_db
def test_clearing_leaves_one_row_per_account_with_who_and_why(world):
    stars = closable(world, resets=True)
    close, _ = services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    rows = list(SpendableClearing.objects.order_by("-points"))
    assert [r.points for r in rows] == [D(100 - 10 * i) for i in range(10)]
    assert all(r.created_by == stars.admin and r.close == close and r.reason and r.year == 2026 for r in rows)
    assert spendable_balance(stars.households[0], year=2026).available == 0
    # The ranking's points are untouched: the ledger has no new entry.
    assert not Entry.objects.filter(scheme=stars.scheme, year=2026, source=EntrySource.CORRECTION).exists()


@pytest.mark.django_db
def test_nothing_is_approved_into_a_closed_year(world):
    stars = closable(world)
    pending = scoring.record_entry(
        membership=member(stars.admin),
        household=stars.households[0],
        item=stars.item(D("5")),
        occurred_on=DAY,
    )
    services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    with pytest.raises(DomainError) as refused:
        approve_through_notice([pending], membership=member(stars.admin))
    assert refused.value.code == "year_closed" or "2026" in str(refused.value.message)
    pending.refresh_from_db()
    assert pending.state == EntryState.PROPOSED


@pytest.mark.django_db
def test_a_correction_after_the_close_lands_in_the_next_year_with_its_reference(world):
    stars = closable(world)
    entry = Entry.objects.filter(household=stars.households[0], state=EntryState.APPROVED).get()
    close, _ = services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    correction = scoring.correct_entry(membership=member(stars.admin), entry=entry, reason="录入有误")
    assert correction.corrects_id == entry.pk and correction.points == -entry.points == D("-100")
    assert (correction.scheme_id, correction.year) == (close.next_scheme_id, 2027)
    assert correction.category.scheme_id == close.next_scheme_id and correction.category.name == "文明新风"
    assert (
        str(entry.pk) in correction.reason and "2026" in correction.reason and "录入有误" in correction.reason
    )
    # The closed year's total is untouched.
    assert sum(
        e.points for e in Entry.objects.filter(scheme=stars.scheme, household=stars.households[0])
    ) == D("100")


@pytest.mark.django_db
def test_only_the_township_office_closes_a_year(world):
    stars = closable(world)
    before = database_checksum()
    for user in (world.a.supervisor, world.a.clerk):
        with pytest.raises(PermissionDenied):
            services.close_year(membership=member(user), scheme=stars.scheme)
    assert database_checksum() == before


def test_the_next_period_is_the_next_year_or_for_a_school_the_next_term():
    from rewards.selectors import next_period

    year = Scheme(year=2026, starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 12, 31))
    assert next_period(year) == (2027, datetime.date(2027, 1, 1), datetime.date(2027, 12, 31))
    # 1 September to 31 January is 152 days; the next term starts on 1 February and lasts as long: to 3 July.
    term = Scheme(year=2026, starts_on=datetime.date(2026, 9, 1), ends_on=datetime.date(2027, 1, 31))
    assert next_period(term) == (2027, datetime.date(2027, 2, 1), datetime.date(2027, 7, 3))
    # A scheme whose points carry forward spans years: after closing 2027 comes 2028, open-ended.
    forward = Scheme(year=2025, starts_on=datetime.date(2025, 1, 1), ends_on=None, points_carry_forward=True)
    assert next_period(forward, 2027) == (2028, datetime.date(2028, 1, 1), None)


@pytest.mark.django_db
def test_a_scheme_whose_points_carry_forward_stays_open_but_its_closed_year_takes_nothing(world):
    stars = closable(world)
    Scheme.objects.filter(pk=stars.scheme.pk).update(points_carry_forward=True, ends_on=None)
    stars.scheme.refresh_from_db()
    close, _ = services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    stars.scheme.refresh_from_db()
    assert stars.scheme.state == SchemeState.ACTIVE  # it takes later years
    assert (close.next_scheme.starts_on, close.next_scheme.ends_on) == (datetime.date(2027, 1, 1), None)
    before = Entry.objects.count()
    with pytest.raises(DomainError) as refused:
        scoring.record_entry(
            membership=member(stars.admin),
            household=stars.households[1],
            item=stars.item(D("5")),
            occurred_on=DAY,
        )
    assert refused.value.code == "year_closed" and "2026" in str(refused.value.message)
    assert Entry.objects.count() == before


@pytest.mark.django_db
def test_an_appeal_upheld_after_the_close_is_reversed_in_the_next_year(world):
    stars = closable(world)
    household = stars.households[2]
    entry = Entry.objects.get(household=household, state=EntryState.APPROVED)
    code, _secret = scoring.issue_code(membership=member(stars.admin), household=household)
    appeal = scoring.submit_appeal(code=code, entry_id=entry.pk, reason="我没有违规")
    close, _ = services.close_year(membership=member(stars.admin), scheme=stars.scheme)
    appeal = scoring.decide_appeal(
        membership=member(stars.admin), appeal=appeal, uphold=True, reason="核实有误"
    )
    reversal = appeal.reversal
    assert (reversal.scheme_id, reversal.year, reversal.state) == (
        close.next_scheme_id,
        2027,
        EntryState.PROPOSED,
    )
    assert reversal.corrects_id == entry.pk and reversal.points == -entry.points == D("-80")
    assert f"第 {entry.pk} 号" in reversal.reason and "核实有误" in reversal.reason
