"""The township's and a village's dashboards, made of the figures (`figures`) and the rewards' budgets and
supermarket participation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from households.models import Village
from review.models import RoundState
from rewards.models import StarRun
from rewards.selectors import (
    BudgetFigures,
    ShopParticipation,
    budget_figures,
    shop_participation,
)
from scoring.models import Category, Scheme

from .accounts import ListFigures, list_figures
from .figures import (
    BUCKET,
    QUARTERS,
    Counts,
    ObjectionCounts,
    RoundStatus,
    Scores,
    StarCounts,
    household_counts,
    objection_counts,
    one_decimal,
    quarter_net,
    roll_up,
    round_statuses,
    scheme_of_year,
    score_groups,
    star_counts,
    star_run_of,
)

# The dashboards ------------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Everything the dashboard shows for one village, one area or a whole township."""

    key: int | None
    name: str
    counts: Counts = field(default_factory=Counts)
    scores: Scores = field(default_factory=Scores)
    stars: StarCounts = field(default_factory=StarCounts)
    objections: ObjectionCounts = field(default_factory=ObjectionCounts)
    rounds: list[RoundStatus] = field(default_factory=list)
    quarters: dict[int, Decimal] = field(default_factory=dict)  # quarter -> net approved points
    budget: BudgetFigures | BudgetSum | None = None  # villages: rewards' figures; a township: their sum
    shop: ShopParticipation | None = None

    @property
    def rounds_approved(self) -> int:
        return sum(1 for r in self.rounds if r.state == RoundState.APPROVED)

    def quarter_average(self, quarter: int) -> Decimal | None:
        """Net approved points of the quarter per household taking part."""
        if not self.counts.taking_part:
            return None
        return one_decimal(self.quarters.get(quarter, Decimal("0")) / self.counts.taking_part)

    @property
    def quarter_averages(self) -> list[Decimal | None]:
        return [self.quarter_average(q) for q in QUARTERS]

    def category_averages(self, categories: list[Category]) -> list[Decimal | None]:
        return [self.scores.category_average(c.pk) for c in categories]

    def weakest_category(self, categories: list[Category]) -> Category | None:
        """The category furthest below its base on average (the one that drags the group down)."""
        gaps = [
            (average - c.base_score, c)
            for c, average in zip(categories, self.category_averages(categories), strict=True)
            if average is not None
        ]
        gaps = [gap for gap in gaps if gap[0] < 0]
        return min(gaps, key=lambda gap: gap[0])[1] if gaps else None


@dataclass
class Dashboard:
    year: int
    scheme: Scheme | None
    categories: list[Category]
    base_total: Decimal
    star_run: StarRun | None
    rows: list[Figures]  # one per village (township, county) or per area (village page)
    whole: Figures  # the sum of the rows
    lists: list[ListFigures] = field(
        default_factory=list
    )  # families, villagers, party members, units (scheme 4)

    @property
    def star_run_published(self) -> bool:
        return self.star_run is not None and self.star_run.state == "published"

    @property
    def histogram(self) -> list[tuple[Decimal, int]]:
        """(lower bound, households) for every bucket from the lowest to the highest, empty ones included."""
        buckets = self.whole.scores.buckets
        if not buckets:
            return []
        low, high = min(buckets), max(buckets)
        steps = int((high - low) / BUCKET)
        return [(low + BUCKET * i, buckets.get(low + BUCKET * i, 0)) for i in range(steps + 1)]

    @property
    def ranking(self) -> list[Figures]:
        scored = [row for row in self.rows if row.scores.n]
        return sorted(scored, key=lambda row: (-(row.scores.average or Decimal(0)), row.name))

    @property
    def all_rounds(self) -> list[RoundStatus]:
        """Every round of the villages shown (a village page: the village's own, its areas have none)."""
        return self.whole.rounds


def _empty(year: int, rows: list[Figures], lists: list[ListFigures] | None = None) -> Dashboard:
    return Dashboard(year, None, [], Decimal("0"), None, rows, Figures(None, ""), lists or [])


def sum_rows(rows: list[Figures], name: str) -> Figures:
    whole = Figures(None, name)
    for row in rows:
        whole.counts.add(row.counts)
        whole.scores.add(row.scores)
        whole.stars.add(row.stars)
        whole.objections.add(row.objections)
        whole.rounds += row.rounds
        for quarter, net in row.quarters.items():
            whole.quarters[quarter] = whole.quarters.get(quarter, Decimal("0")) + net
    return whole


def township_dashboard(
    villages: QuerySet[Village], year: int, *, name: str = "", whole_township: bool = False
) -> Dashboard:
    """Per village of `villages` (the ones the member sees): a fixed number of queries for any size.

    `whole_township`: the villages are all of the township's, so the ledger is read without a village filter.
    """
    village_list = list(villages.order_by("sort_key", "pk"))
    ids = [v.pk for v in village_list]
    rows = {v.pk: Figures(v.pk, v.name) for v in village_list}
    scheme = scheme_of_year(year)
    if scheme is None:
        return _empty(year, list(rows.values()), list_figures(year, None if whole_township else ids))
    categories = list(scheme.categories.all())
    run = star_run_of(scheme)
    for village_id, counts in household_counts("village_id", ids).items():
        rows[village_id].counts = counts
    for village_id, scores in roll_up(
        score_groups(scheme, None if whole_township else ids), "village"
    ).items():
        if village_id in rows:
            rows[village_id].scores = scores
    for village_id, stars in star_counts(run, "village_id", ids).items():
        rows[village_id].stars = stars
    for village_id, objections in objection_counts(scheme, "round__village_id", ids).items():
        rows[village_id].objections = objections
    for village_id, rounds in round_statuses(scheme, ids).items():
        rows[village_id].rounds = rounds
    for village_id, quarters in quarter_net(scheme, "village_id", ids).items():
        if village_id in rows:
            rows[village_id].quarters = quarters
    _add_rewards(rows, year, ids)
    figures = list(rows.values())
    whole = sum_rows(figures, name)
    _add_rewards_whole(whole, figures)
    return Dashboard(
        year,
        scheme,
        categories,
        sum((c.base_score for c in categories), Decimal("0")),
        run,
        figures,
        whole,
        list_figures(year, None if whole_township else ids),
    )


def village_dashboard(village: Village, year: int) -> Dashboard:
    """The same figures for one village, by area (rounds and supermarket figures are the village's)."""
    areas = list(village.areas.order_by("sort_key", "pk"))
    rows = {a.pk: Figures(a.pk, a.name) for a in areas}
    ids = [village.pk]
    scheme = scheme_of_year(year)
    if scheme is None:
        return _empty(year, list(rows.values()), list_figures(year, ids))
    categories = list(scheme.categories.all())
    run = star_run_of(scheme)
    for area_id, counts in household_counts("area_id", ids).items():
        rows[area_id].counts = counts
    for area_id, scores in roll_up(score_groups(scheme, ids), "area").items():
        rows[area_id].scores = scores
    for area_id, stars in star_counts(run, "household__area_id", ids).items():
        rows[area_id].stars = stars
    for area_id, objections in objection_counts(scheme, "household__area_id", ids).items():
        rows[area_id].objections = objections
    for area_id, quarters in quarter_net(scheme, "area_id", ids).items():
        if area_id in rows:
            rows[area_id].quarters = quarters
    figures = list(rows.values())
    whole = sum_rows(figures, village.name)
    whole.key = village.pk
    whole.rounds = round_statuses(scheme, ids).get(village.pk, [])
    village_rows = {village.pk: whole}
    _add_rewards(village_rows, year, ids)
    return Dashboard(
        year,
        scheme,
        categories,
        sum((c.base_score for c in categories), Decimal("0")),
        run,
        figures,
        whole,
        list_figures(year, ids),
    )


def _add_rewards(rows: dict[int, Figures], year: int, village_ids: list[int]) -> None:
    """Supermarket participation and budget from the rewards app (a bounded number of queries)."""
    budgets = budget_figures(year=year, village_ids=village_ids)
    shops = shop_participation(year=year, village_ids=village_ids)
    for village_id, row in rows.items():
        row.budget = budgets.get(village_id)
        row.shop = shops.get(village_id)


@dataclass
class BudgetSum:
    """The villages' budgets added up, in yuan (each village's limit is its own funding capped per resident)."""

    funded: Decimal = Decimal("0")
    limit: Decimal = Decimal("0")
    committed: Decimal = Decimal("0")
    spent: Decimal = Decimal("0")
    left: Decimal = Decimal("0")


def _add_rewards_whole(whole: Figures, rows: list[Figures]) -> None:
    """The township's supermarket and budget figures: the villages' added up."""
    budgets = [row.budget for row in rows if row.budget is not None]
    shops = [row.shop for row in rows if row.shop is not None]
    if budgets:
        whole.budget = BudgetSum(**{name: _sum(budgets, name) for name in BudgetSum.__dataclass_fields__})
    if shops:
        names = (
            "households_redeemed",
            "households_taking_part",
            "residents_redeemed",
            "residents_taking_part",
        )
        whole.shop = type(shops[0])(*(_sum(shops, name) for name in names))


def _sum(items: Sequence[Any], name: str) -> Any:
    return sum((getattr(item, name) for item in items), start=type(getattr(items[0], name))())
