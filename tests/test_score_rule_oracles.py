"""One source per rule: random small ledgers, read by production's one SQL statement and by the tests' oracles.

Each example draws a scheme (2–3 categories with a base, maybe a floor and a ceiling, one bonus and one penalty
item each, maybe a disqualifying one; 0–2 roles with or without their own base), households in 1–2 villages with
roles, and entries over the year that end approved (through a notice batch, the one route), corrected, still
proposed or withdrawn; some households stop taking part. Then:

- `scoring.selectors.score_statement` (through `annual_totals`, `household_scores` and `ScoreList`) gives the
  numbers of the ORM oracle (tests/scoring/oracle.py) for the annual totals, each category's score, a period, a
  subset of categories and a notice's proposals counted as if approved (`also_counting`), alone and together;
- the star rule in the database (`rate_stars` stores it, `proposed_stars` reads it on a notice's proposals) gives
  the Python oracle's rows (tests/rewards/oracle.py), with random bands, floor and tie-breakers, and the same
  fingerprint.

Every example runs in a transaction rolled back at its end.
"""

import datetime
import secrets
from collections import Counter
from decimal import Decimal

import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from households.models import Household, Participation
from review.models import ReviewRound, RoundKind, RoundState
from rewards.models import StarResult
from rewards.services import bands_of, proposed_stars, rate_stars, tie_break_of
from scoring import services as scoring
from scoring.models import Category, Entry
from scoring.selectors import ScoreList, annual_totals, category_key, household_scores, passbook
from tests.contract import member
from tests.factories import AreaFactory, HouseholdFactory, VillageFactory, store_reward_settings
from tests.notices import approve_through_notice
from tests.rewards.oracle import python_rule, rank_households, star_inputs
from tests.scoring.oracle import scores_by_household, with_scores

D = Decimal
YEAR = 2026
NOW = "2026-12-20 10:00 +08:00"  # every day of the scheme's year is in the past
PERIODS = ["2026", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
POINTS = [D("0.5"), D("1"), D("2"), D("5"), D("8")]
FATES = ["approved", "approved", "corrected", "proposed", "withdrawn"]
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

categories_ = st.fixed_dictionaries(
    {
        "base": st.sampled_from([D("0"), D("5"), D("10"), D("20")]),
        "cadence": st.sampled_from(["annual", "quarterly"]),
        "floor": st.sampled_from([None, D("0"), D("5")]),
        "ceiling": st.sampled_from([None, D("12"), D("30")]),  # never below a floor
        "bonus": st.sampled_from(POINTS),
        "penalty": st.sampled_from(POINTS),
        "disqualifying": st.booleans(),
    }
)
roles_ = st.fixed_dictionaries(
    {
        "base": st.sampled_from([None, D("20"), D("45")]),
        "multiplier": st.sampled_from([D("1"), D("2")]),
    }
)


@st.composite
def ledgers(draw):
    categories = draw(st.lists(categories_, min_size=2, max_size=3))
    roles = draw(st.lists(roles_, max_size=2))
    villages = draw(st.integers(1, 2))
    households = [
        {
            "village": draw(st.integers(0, villages - 1)),
            "role": draw(st.sampled_from([None, *range(len(roles))])),
            "taking_part": draw(st.sampled_from([True, True, True, False])),
        }
        for _ in range(draw(st.integers(1, 6)))
    ]
    entries = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "household": st.integers(0, len(households) - 1),
                    "item": st.integers(0, 2 * len(categories) - 1),  # bonus, penalty of each category
                    "day": st.dates(datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 15)),
                    "fate": st.sampled_from(FATES),
                    "on_notice": st.booleans(),
                }
            ),
            max_size=14,
        )
    )
    order = draw(st.permutations(range(len(categories))))
    subset = order[: draw(st.integers(1, len(categories)))]
    five = draw(st.sampled_from([10, 20, 34]))
    four = five + draw(st.sampled_from([0, 10, 20]))
    three = min(100, four + draw(st.sampled_from([0, 10, 30])))
    return {
        "categories": categories,
        "roles": roles,
        "villages": villages,
        "households": households,
        "entries": entries,
        "period": draw(st.sampled_from(PERIODS)),
        "subset": subset,
        "bands": (five, four, three, draw(st.sampled_from([None, D("0"), D("25"), D("40")]))),
        "fewer_penalties": draw(st.booleans()),
        "tie_category": draw(st.sampled_from([None, *range(len(categories))])),
        "category_first": draw(st.booleans()),
    }


class Ledger:
    """The drawn ledger, built through the services (entries approved only through a notice batch)."""

    def __init__(self, world, plan: dict):
        self.plan = plan
        township, admin = world.a.township, world.a.admin
        self.admin = admin
        self.scheme = scoring.create_scheme(
            membership=member(admin), township=township, name="随机", year=YEAR
        )
        self.categories, items = [], []
        for index, spec in enumerate(plan["categories"]):
            category = scoring.add_category(
                membership=member(admin),
                scheme=self.scheme,
                name=f"类{index}",
                base_score=spec["base"],
                cadence=spec["cadence"],
                floor=spec["floor"],
                ceiling=spec["ceiling"],
                order=index,
            )
            self.categories.append(category)
            items.append(
                scoring.add_item(
                    membership=member(admin),
                    category=category,
                    name=f"加{index}",
                    kind="bonus",
                    points=spec["bonus"],
                )
            )
            items.append(
                scoring.add_item(
                    membership=member(admin),
                    category=category,
                    name=f"减{index}",
                    kind="penalty",
                    points=spec["penalty"],
                    disqualifying=spec["disqualifying"],
                )
            )
        roles = [
            scoring.add_role_rule(
                membership=member(admin),
                scheme=self.scheme,
                code=f"r{index}",
                name=f"角色{index}",
                base_score=spec["base"],
                penalty_multiplier=spec["multiplier"],
            )
            for index, spec in enumerate(plan["roles"])
        ]
        scoring.activate_scheme(membership=member(admin), scheme=self.scheme)
        self.villages = [VillageFactory(township=township) for _ in range(plan["villages"])]
        areas = [AreaFactory(village=village, township=township) for village in self.villages]
        self.households = [HouseholdFactory(area=areas[spec["village"]]) for spec in plan["households"]]
        for household, spec in zip(self.households, plan["households"], strict=True):
            if spec["role"] is not None:
                scoring.assign_role(membership=member(admin), household=household, role=roles[spec["role"]])
        recorded = [
            (
                scoring.record_entry(
                    membership=member(admin),
                    household=self.households[spec["household"]],
                    item=items[spec["item"]],
                    occurred_on=spec["day"],
                ),
                spec,
            )
            for spec in plan["entries"]
        ]
        approve_through_notice([e for e, spec in recorded if spec["fate"] in ("approved", "corrected")])
        for entry, spec in recorded:
            if spec["fate"] == "corrected":
                scoring.correct_entry(membership=member(admin), entry=entry, reason="更正")
            elif spec["fate"] == "withdrawn":
                scoring.withdraw_entry(membership=member(admin), entry=entry, reason="撤回")
        # A notice's entries, whatever became of them: only the ones still proposed count as if approved.
        self.on_notice = Entry.objects.filter(pk__in=[e.pk for e, spec in recorded if spec["on_notice"]])
        stopped = [
            h.pk
            for h, spec in zip(self.households, plan["households"], strict=True)
            if not spec["taking_part"]
        ]
        Household.objects.filter(pk__in=stopped).update(participation=Participation.OPTED_OUT)
        self.mine = Household.objects.filter(village__in=self.villages)

    def subset(self) -> list[Category]:
        return [self.categories[index] for index in self.plan["subset"]]

    def rate_with_the_drawn_settings(self):
        five, four, three, floor = self.plan["bands"]
        tie = self.plan["tie_category"]
        store_reward_settings(
            self.scheme,
            star_five_percent=five,
            star_four_percent=four,
            star_three_percent=three,
            star_floor=floor,
            tie_break_fewer_penalties=self.plan["fewer_penalties"],
            tie_break_category=self.categories[tie] if tie is not None else None,
            tie_break_category_first=self.plan["category_first"],
        )
        for village in self.villages:  # the annual rounds approved: every village with entries is rated
            ReviewRound.objects.create(
                township=village.township,
                village=village,
                scheme=self.scheme,
                kind=RoundKind.ANNUAL,
                period=str(YEAR),
                state=RoundState.APPROVED,
                notice_token=secrets.token_urlsafe(32),
                created_by=self.admin,
            )
        run, _created, _changes = rate_stars(membership=member(self.admin), scheme=self.scheme)
        return run


def statement(scores) -> dict[int, tuple]:
    return {pk: (score.categories, score.role_delta, score.total) for pk, score in scores.items()}


def check_scores(ledger: Ledger) -> None:
    scheme, mine, plan = ledger.scheme, ledger.mine, ledger.plan
    taking_part = Household.objects.taking_part()
    # The annual totals of the township's jobs (over the whole ledger) and of the pages (their own entries).
    oracle = dict(with_scores(taking_part, scheme).values_list("pk", "total"))
    assert annual_totals(scheme) == oracle
    assert annual_totals(scheme, mine) == dict(with_scores(mine, scheme).values_list("pk", "total"))
    assert statement(household_scores(scheme, mine)) == scores_by_household(mine, scheme)
    # A period, a subset of the categories, a notice's proposals: alone and together (a quarter's notice).
    period, subset, on_notice = plan["period"], ledger.subset(), ledger.on_notice
    assert statement(household_scores(scheme, mine, period=period)) == scores_by_household(
        mine, scheme, period=period
    )
    assert statement(household_scores(scheme, mine, categories=subset)) == scores_by_household(
        mine, scheme, categories=subset
    )
    assert statement(household_scores(scheme, mine, also_counting=on_notice)) == scores_by_household(
        mine, scheme, also_counting=on_notice
    )
    together = {"categories": subset, "period": period, "also_counting": on_notice}
    assert statement(household_scores(scheme, mine, **together)) == scores_by_household(
        mine, scheme, **together
    )
    # The sorted, paginated list: highest total first, then by number; two pages make the whole list.
    ranked = list(
        with_scores(mine, scheme, period=period).order_by("-total", "number", "pk").values_list("pk", "total")
    )
    listed = ScoreList(scheme, mine, period=period)
    page = listed[0:3] + listed[3:100]
    assert listed.count() == len(ranked)
    assert [(h.pk, h.total) for h in page] == ranked
    by_oracle = {h.pk: h for h in with_scores(mine, scheme, period=period)}
    for household in page:
        for category in ledger.categories:
            key = category_key(category)
            assert getattr(household, key) == getattr(by_oracle[household.pk], key)
    # The passbook's scores.
    first = ledger.households[0]
    book = passbook(first, scheme)
    categories, _role_delta, total = scores_by_household(mine, scheme)[first.pk]
    assert [score for _category, score in book["categories"]] == list(categories.values())
    assert book["total"] == total


def check_stars(ledger: Ledger):
    scheme = ledger.scheme
    run = ledger.rate_with_the_drawn_settings()
    expected, digest = python_rule(scheme)
    stored = list(StarResult.objects.filter(run=run).order_by("household_id").values_list(*STORED))
    assert stored == expected
    assert run.inputs_fingerprint == digest
    # A notice's proposed stars, village by village: the database's rule on the proposals as if approved.
    tie_break = tie_break_of(scheme)
    category = Category.objects.get(pk=tie_break.category_id) if tie_break.category_id else None
    for village in ledger.villages:
        households = Household.objects.taking_part().filter(village=village)
        if not households.exists():
            continue
        inputs = star_inputs(
            scheme, households=households, also_counting=ledger.on_notice, tie_break_category=category
        )
        oracle = {row.household_id: row.stars for row in rank_households(inputs, bands_of(scheme), tie_break)}
        assert proposed_stars(scheme, households, also_counting=ledger.on_notice) == oracle
    return run


SEEN: Counter = Counter()  # what the examples reached, so the test shows it exercised the rules


def seen(ledger: Ledger, run) -> None:
    entries = Entry.objects.filter(scheme=ledger.scheme)
    SEEN["approved"] += entries.filter(state="approved").exists()
    SEEN["corrected"] += entries.filter(source="correction").exists()
    SEEN["proposal on notice"] += ledger.on_notice.filter(state="proposed").exists()
    SEEN["withdrawn on notice"] += ledger.on_notice.filter(state="withdrawn").exists()
    SEEN["role with a base"] += ledger.scheme.role_rules.filter(base_score__isnull=False).exists()
    results = StarResult.objects.filter(run=run)
    SEEN["stars"] += results.filter(stars__gt=0).exists()
    SEEN["disqualified"] += results.filter(disqualified=True).exists()
    SEEN["tied ranks"] += results.values("village_id", "rank").distinct().count() < results.count()
    SEEN["clamped"] += any(
        score in (c.floor, c.ceiling)
        for h in with_scores(ledger.mine, ledger.scheme)
        for c in ledger.categories
        for score in [getattr(h, category_key(c))]
        if score is not None
    )


def test_the_sql_score_and_star_rules_agree_with_their_oracles_on_random_ledgers(world):
    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(plan=ledgers())
    def agree(plan):
        with time_machine.travel(NOW, tick=False), transaction.atomic():
            ledger = Ledger(world, plan)
            check_scores(ledger)
            run = check_stars(ledger)
            seen(ledger, run)
            transaction.set_rollback(True)

    SEEN.clear()
    agree()
    print(dict(sorted(SEEN.items())))
    for reached in SEEN_NEEDED:
        assert SEEN[reached] > 0, reached


SEEN_NEEDED = [
    "approved",
    "corrected",
    "proposal on notice",
    "withdrawn on notice",
    "role with a base",
    "stars",
    "disqualified",
    "tied ranks",
    "clamped",
]
