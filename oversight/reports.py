"""What a dashboard shows — figures, tables and charts — built once for the page, the .xlsx and the yearly PDF.

The yearly report PDFs are slow at township scale (8–9 s for 20,000 households, bench DB), so they are jobs
(`core.jobs`, kind "oversight_report") with progress and the file kept for the township's records.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.jobs import runner
from core.pdf import render_pdf
from core.permissions import sees_household_records, visible_village_ids
from households.models import Membership, Township, Village
from households.selectors import villages_visible_to
from scoring.selectors import alerts_visible_to

from . import charts, selectors, tables
from .selectors import BUCKET, QUARTERS, Dashboard, Figures

MAX_TREND_SERIES = 8


@dataclass
class Report:
    title: str
    dashboard: Dashboard
    tables: list[tables.Table]
    charts: dict = field(default_factory=dict)
    quarter: int | None = None


def quarter_labels() -> list[str]:
    return [_("Q%(quarter)d") % {"quarter": q} for q in QUARTERS]


def dashboard_charts(dashboard: Dashboard, *, whole_name: str, ranking_title: str) -> dict:
    """The four charts of a dashboard, as SVG markup."""
    series = [(whole_name, dashboard.whole.quarter_averages)]
    series += [(row.name, row.quarter_averages) for row in dashboard.rows[: MAX_TREND_SERIES - 1]]
    return {
        "histogram": charts.histogram(
            dashboard.histogram,
            title=_("Distribution of annual totals"),
            width_points=BUCKET,
            axis=_("Annual total (households per band of 10 points)"),
        ),
        "categories": charts.horizontal_bars(
            [
                (c.name, dashboard.whole.scores.category_average(c.pk), c.base_score)
                for c in dashboard.categories
            ],
            title=_("Category averages"),
            legend=(_("Average score"), _("Base score")),
        ),
        "trend": charts.trend(
            series,
            labels=quarter_labels(),
            title=_("Trend by quarter"),
            axis=_("Net points per household"),
        ),
        "ranking": charts.horizontal_bars(
            [(row.name, row.scores.average, None) for row in dashboard.ranking],
            title=ranking_title,
        ),
    }


def township_report(township: Township, membership: Membership, year: int) -> Report:
    """The township dashboard: the villages the member sees (call inside the township scope)."""
    dashboard = selectors.township_dashboard(
        villages_visible_to(membership),
        year,
        name=township.name,
        whole_township=visible_village_ids(membership) is None,
    )

    def link(row: Figures):
        url = reverse("oversight:village", kwargs={"township_slug": township.slug, "pk": row.key})
        return tables.Link(row.name, f"{url}?year={year}")

    built = [
        tables.overview(dashboard, label=_("Village"), link=link),
        tables.categories(dashboard, label=_("Village")),
        tables.quarters(dashboard, label=_("Village")),
        tables.rounds(dashboard, names={row.key: row.name for row in dashboard.rows}),
        tables.distribution(dashboard),
    ]
    if (by_list := tables.lists(dashboard)) is not None:
        built.insert(1, by_list)
    svg = dashboard_charts(
        dashboard, whole_name=township.name, ranking_title=_("Villages ranked by average total")
    )
    return Report(township.name, dashboard, built, svg)


def village_report(village: Village, membership: Membership, year: int, quarter: int) -> Report:
    """One village by area; the clerk's working lists (households by number) only for who may see households."""
    dashboard = selectors.village_dashboard(village, year)
    built = [
        tables.overview(dashboard, label=_("Area"), with_rounds=False),
        tables.categories(dashboard, label=_("Area")),
        tables.quarters(dashboard, label=_("Area")),
        tables.rounds(dashboard, names={village.pk: village.name}),
        tables.distribution(dashboard),
    ]
    if (by_list := tables.lists(dashboard)) is not None:
        built.insert(1, by_list)
    if dashboard.scheme is not None and sees_household_records(membership):
        built.append(
            tables.losers(selectors.households_losing_most(dashboard.scheme, village, quarter), quarter)
        )
        built.append(tables.alerts(selectors.open_alerts(alerts_visible_to(membership), village)))
    svg = dashboard_charts(
        dashboard, whole_name=village.name, ranking_title=_("Areas ranked by average total")
    )
    return Report(f"{village.township.name} {village.name}", dashboard, built, svg, quarter)


def report_pdf(report: Report) -> bytes:
    context = {
        "title": report.title,
        "dashboard": report.dashboard,
        "tables": report.tables,
        "charts": {name: charts.data_uri(markup) for name, markup in report.charts.items()},
        "issued_on": timezone.localdate(),
    }
    return render_pdf("oversight/report_pdf.html", context)


def _report_source(job) -> tuple[str, str]:
    slug = job.township.slug
    if village_id := job.params.get("village_id"):
        village = Village.objects.get(pk=village_id)
        return village.name, reverse("oversight:village", kwargs={"township_slug": slug, "pk": village.pk})
    return job.township.name, reverse("oversight:dashboard", kwargs={"township_slug": slug})


@runner(
    "oversight_report", queue="documents", title=gettext_lazy("Yearly report (PDF)"), source=_report_source
)
def run_report(job, progress) -> tuple[bytes, str]:
    """The yearly report of the township (params: year) or of one village (year, village_id, quarter), as the
    member who asked sees it."""
    membership = Membership.objects.prefetch_related("villages").get(user_id=job.created_by_id)
    year = job.params["year"]
    progress(0, 2, _("Computing the figures"))
    if village_id := job.params.get("village_id"):
        village = villages_visible_to(membership).select_related("township").get(pk=village_id)
        report = village_report(village, membership, year, job.params.get("quarter", 4))
        filename = f"report-village-{village.pk}-{year}.pdf"
    else:
        report = township_report(membership.township, membership, year)
        filename = f"report-{membership.township.slug}-{year}.pdf"
    progress(1, 2, _("Drawing the PDF"))
    return report_pdf(report), filename


def _figures_source(job) -> tuple[str, str]:
    return job.township.name, reverse("oversight:dashboard", kwargs={"township_slug": job.township.slug})


@runner("oversight_workbook", title=gettext_lazy("Figures of the year (Excel)"), source=_figures_source)
def run_workbook(job, progress) -> tuple[bytes, str]:
    """The township's figures of a year (params: year) as an .xlsx, one sheet per table (the dashboard's
    download, as a job: the year-end archive asks for it by kind)."""
    membership = Membership.objects.prefetch_related("villages").get(user_id=job.created_by_id)
    year = job.params["year"]
    progress(0, 1, _("Computing the figures"))
    report = township_report(membership.township, membership, year)
    heading = _("%(township)s: figures of %(year)d") % {"township": membership.township.name, "year": year}
    return tables.workbook(report.tables, heading=heading), f"figures-{membership.township.slug}-{year}.xlsx"
