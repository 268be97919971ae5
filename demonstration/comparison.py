"""The city's comparison of a call (issue 20, item 2): its counties side by side, and under each its applying villages.

Built on the county view's selector (`oversight.selectors.township_dashboard`: households, residents, reward
budget), with the year's ledger (`oversight.selectors.ledger_figures`) and the supermarket's redemptions
(`rewards.selectors.points_redeemed`). Each township is read once in its own scope, so the number of queries
follows the townships, never the villages. Villages and counts only: no household, name or phone.

A county's member sees the same page for their own county only (`applications_for_region`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.tenancy import township_scope
from households.models import Village
from oversight import charts, tables
from oversight.selectors import Figures, household_counts, ledger_figures, percent, township_dashboard
from rewards.selectors import points_redeemed

from .models import Application, ApplicationState, Call, Region, RegionKind
from .selectors import applications_for_region, evaluation_results, misuse_flags

SURVEY_DIMENSIONS = ("awareness", "participation", "satisfaction")  # evaluation_results' scores (%)

YUAN = Decimal("0.01")


@dataclass
class Compared:
    """One applying village's figures, or a county's (or the whole region's) sum of them."""

    name: str
    township: str = ""
    state: str = ""
    application_id: int | None = None
    households: int = 0
    households_with_entries: int = 0
    residents: int = 0  # residents of the households taking part (the supermarket's denominator)
    points_issued: Decimal = Decimal("0")  # approved bonuses of the year
    points_spent: Decimal = Decimal("0")  # standing redemptions of the year
    award: Decimal | None = None
    budget: Decimal = Decimal("0")  # the village's reward budget funded for the year
    money: Decimal = Decimal("0")  # the award when there is one, else the reward budget
    # The villages' evaluation (demonstration.selectors.evaluation_results): answers, and each dimension's score
    # times the answers (a county's score is its villages' weighted by their answers).
    survey_answers: int = 0
    survey_sums: dict[str, Decimal] = field(default_factory=dict)
    misuse_checks: int = (
        0  # checks that found 虚报, 挪用 or 未按方案使用 (demonstration.selectors.misuse_flags)
    )

    def survey_score(self, dimension: str) -> Decimal | None:
        """A survey dimension's score (%): awareness, participation or satisfaction."""
        if not self.survey_answers or dimension not in self.survey_sums:
            return None
        return (self.survey_sums[dimension] / self.survey_answers).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def participation(self) -> Decimal | None:
        """Households with at least one approved entry, as a share of the households (%)."""
        return percent(self.households_with_entries, self.households)

    @property
    def redemption_share(self) -> Decimal | None:
        """Points spent as a share of the points issued (%)."""
        if self.points_issued <= 0:
            return None
        return (Decimal(100) * self.points_spent / self.points_issued).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def per_resident(self) -> Decimal | None:
        """The award (or the reward budget) per resident, in yuan."""
        if not self.residents:
            return None
        return (self.money / self.residents).quantize(YUAN, rounding=ROUND_HALF_UP)

    def add(self, other: Compared) -> None:
        self.households += other.households
        self.households_with_entries += other.households_with_entries
        self.residents += other.residents
        self.points_issued += other.points_issued
        self.points_spent += other.points_spent
        if other.award is not None:
            self.award = (self.award or Decimal("0")) + other.award
        self.budget += other.budget
        self.money += other.money
        self.survey_answers += other.survey_answers
        for dimension, value in other.survey_sums.items():
            self.survey_sums[dimension] = self.survey_sums.get(dimension, Decimal("0")) + value
        self.misuse_checks += other.misuse_checks


@dataclass
class ComparedCounty:
    county: Region
    villages: list[Compared] = field(default_factory=list)
    total: Compared = field(default_factory=lambda: Compared(""))


@dataclass
class Comparison:
    region: Region
    call: Call
    counties: list[ComparedCounty]
    total: Compared


def comparison(region: Region, call: Call) -> Comparison:
    """The call's applying villages (all but withdrawn ones) of the region's counties, with their figures."""
    applications = [
        a for a in applications_for_region(region, call=call) if a.state != ApplicationState.WITHDRAWN
    ]
    by_township: dict[int, list[Application]] = {}
    for application in applications:
        by_township.setdefault(application.township_id, []).append(application)
    figures: dict[int, Compared] = {}
    for rows in by_township.values():
        figures |= _township_figures(rows, call.year)
    evaluation = evaluation_results([a.village_id for a in applications], year=call.year)
    flags = misuse_flags([a.pk for a in applications])
    for application in applications:
        village, results = figures[application.pk], evaluation.get(application.village_id)
        if results and results["answers"]:
            village.survey_answers = results["answers"]
            village.survey_sums = {
                d: Decimal(results[d]) * results["answers"]
                for d in SURVEY_DIMENSIONS
                if results[d] is not None
            }
        if application.pk in flags:
            village.misuse_checks = flags[application.pk].checks
    counties = [region] if region.kind == RegionKind.COUNTY else list(region.children.order_by("name", "pk"))
    compared = {county.pk: ComparedCounty(county, total=Compared(county.name)) for county in counties}
    for application in applications:
        column = compared.get(application.township.county_link.county_id)
        if column is not None:
            column.villages.append(figures[application.pk])
            column.total.add(figures[application.pk])
    total = Compared(pgettext("sum row", "Total"))
    for column in compared.values():
        total.add(column.total)
    return Comparison(region, call, list(compared.values()), total)


def _township_figures(applications: list[Application], year: int) -> dict[int, Compared]:
    """{application id: Compared} of one township's applying villages, read in the township's scope."""
    township = applications[0].township
    ids = [a.village_id for a in applications]
    with township_scope(township):
        dashboard = township_dashboard(Village.objects.filter(pk__in=ids), year)
        ledger = ledger_figures(dashboard.scheme, ids) if dashboard.scheme else {}
        spent = points_redeemed(year=year, village_ids=ids)
        # No scheme that year: the dashboard has no figures, but the roster still counts.
        roster = household_counts("village_id", ids) if dashboard.scheme is None else {}
    rows: dict[int | None, Figures] = {row.key: row for row in dashboard.rows}
    result = {}
    for application in applications:
        village_id = application.village_id
        row = rows.get(village_id)
        if row is not None and village_id in roster:
            row.counts = roster[village_id]
        budget = row.budget.funded if row is not None and row.budget is not None else Decimal("0")
        compared = Compared(
            application.village.name,
            township=township.name,
            state=application.get_state_display(),
            application_id=application.pk,
            households=row.counts.households if row is not None else 0,
            residents=row.shop.residents_taking_part if row is not None and row.shop is not None else 0,
            points_spent=spent.get(village_id, Decimal("0")),
            award=application.award if application.state == ApplicationState.AWARDED else None,
            budget=budget,
        )
        if village_id in ledger:
            compared.households_with_entries = ledger[village_id].households_with_entries
            compared.points_issued = ledger[village_id].given
        compared.money = compared.award if compared.award is not None else budget
        result[application.pk] = compared
    return result


# The tables (page and .xlsx alike) and the charts ----------------------------------------------------------------


def _dash(value: Decimal | None) -> Decimal | str:
    return "–" if value is None else value


def _headers(first: str) -> list[str]:
    return [
        first,
        pgettext("count", "Households"),
        _("Households with an approved entry"),
        _("Participation (%)"),
        _("Points issued"),
        _("Points spent"),
        _("Redemption share (%)"),
        _("Residents taking part"),
        _("Award (yuan)"),
        _("Reward budget (yuan)"),
        _("Per resident (yuan)"),
        _("Survey answers"),
        pgettext("survey dimension", "Awareness"),
        pgettext("survey dimension", "Participation"),
        pgettext("survey dimension", "Satisfaction"),
        _("Checks finding misuse"),
    ]


def _cells(row: Compared, first: str | tables.Link) -> list:
    return [
        first,
        row.households,
        row.households_with_entries,
        _dash(row.participation),
        row.points_issued,
        row.points_spent,
        _dash(row.redemption_share),
        row.residents,
        _dash(row.award),
        row.budget,
        _dash(row.per_resident),
        row.survey_answers,
        *(_dash(row.survey_score(d)) for d in SURVEY_DIMENSIONS),
        row.misuse_checks,
    ]


def comparison_tables(result: Comparison, link: Callable[[Compared], tables.Link] | None = None) -> list:
    """The counties' table, then one table per county with its villages (each with its township and state)."""
    counties = tables.Table("counties", _("Counties compared"), _headers(_("County")))
    counties.rows = [_cells(c.total, c.county.name) for c in result.counties]
    counties.footer = _cells(result.total, pgettext("sum row", "Total"))
    counties.note = _(
        "Participation: households with at least one approved entry of the year. Redemption share: points "
        "spent at the supermarket / points issued (approved bonuses). Per resident: the award, or the reward "
        "budget where there is no award, divided by the residents of the households taking part."
    )
    built = [counties]
    for column in result.counties:
        table = tables.Table(
            f"county-{column.county.pk}",
            column.county.name,
            [*_headers(_("Village")), _("Township"), _("State")],
        )
        table.rows = [
            [*_cells(row, link(row) if link else row.name), row.township, row.state]
            for row in column.villages
        ]
        table.footer = [*_cells(column.total, pgettext("sum row", "Total")), "", ""]
        built.append(table)
    return built


def comparison_charts(result: Comparison) -> list:
    villages = [row for column in result.counties for row in column.villages]
    return [
        charts.horizontal_bars(
            [(c.county.name, c.total.participation, None) for c in result.counties],
            title=_("Counties: participation (%)"),
        ),
        charts.horizontal_bars(
            [(c.county.name, c.total.redemption_share, None) for c in result.counties],
            title=_("Counties: redemption share (%)"),
        ),
        charts.horizontal_bars(
            [(row.name, row.participation, None) for row in villages], title=_("Villages: participation (%)")
        ),
        charts.horizontal_bars(
            [(row.name, row.redemption_share, None) for row in villages],
            title=_("Villages: redemption share (%)"),
        ),
        charts.horizontal_bars(
            [(row.name, row.per_resident, None) for row in villages], title=_("Villages: yuan per resident")
        ),
    ]
