"""Oversight pages: the township dashboard, the clerk's village page and the county view, with .xlsx and PDF.

Thin views: the figures come from `oversight.selectors`, the tables from `oversight.tables`, the charts from
`oversight.charts`. County viewers never get a household's own records (households.permissions).
"""

from decimal import Decimal

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from households.errors import DomainError
from households.models import Role, Village
from households.permissions import (
    Action,
    memberships_of,
    sees_household_records,
    villages_visible_to,
    visible_village_ids,
)
from households.tenancy import township_scope
from households.views.base import township_view
from households.views.roster import render_page
from publicity.pdf import render_pdf
from scoring.selectors import alerts_visible_to

from . import charts, selectors, tables
from .selectors import BUCKET, QUARTERS, Dashboard, Figures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_TREND_SERIES = 8


def _year(request) -> int | None:
    """?year= when it is a plausible year, else the default year (None: the township has no scheme yet)."""
    value = request.GET.get("year", "")
    if value.isdigit() and len(value) == 4:
        return int(value)
    return selectors.default_year()


def _quarter_labels() -> list[str]:
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
            labels=_quarter_labels(),
            title=_("Trend by quarter"),
            axis=_("Net points per household"),
        ),
        "ranking": charts.horizontal_bars(
            [(row.name, row.scores.average, None) for row in dashboard.ranking],
            title=ranking_title,
        ),
    }


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    attachment = content_type == XLSX
    response["Content-Disposition"] = content_disposition_header(as_attachment=attachment, filename=filename)
    return response


# Township dashboard --------------------------------------------------------------------------------------------


def _township(request, township, membership):
    year = _year(request)
    if year is None:
        return None, []
    dashboard = selectors.township_dashboard(
        villages_visible_to(membership),
        year,
        name=township.name,
        whole_township=visible_village_ids(membership) is None,
    )
    slug = township.slug

    def link(row: Figures):
        url = reverse("oversight:village", kwargs={"township_slug": slug, "pk": row.key})
        return tables.Link(row.name, f"{url}?year={year}")

    names = {row.key: row.name for row in dashboard.rows}
    built = [
        tables.overview(dashboard, label=_("Village"), link=link),
        tables.categories(dashboard, label=_("Village")),
        tables.quarters(dashboard, label=_("Village")),
        tables.rounds(dashboard, names=names),
        tables.distribution(dashboard),
    ]
    return dashboard, built


@township_view(Action.VIEW)
def township_dashboard(request, township, membership):
    dashboard, built = _township(request, township, membership)
    context = {"dashboard": dashboard, "tables": built, "years": selectors.scheme_years()}
    if dashboard is not None:
        context["charts"] = dashboard_charts(
            dashboard, whole_name=township.name, ranking_title=_("Villages ranked by average total")
        )
    return render_page(request, "oversight/township_dashboard.html", context)


@township_view(Action.VIEW)
def township_xlsx(request, township, membership):
    dashboard, built = _township(request, township, membership)
    if dashboard is None:
        raise Http404
    heading = _("%(township)s: figures of %(year)d") % {"township": township.name, "year": dashboard.year}
    content = tables.workbook(built, heading=heading)
    return _download(content, f"dashboard-{township.slug}-{dashboard.year}.xlsx", XLSX)


@township_view(Action.VIEW)
def township_pdf(request, township, membership):
    dashboard, built = _township(request, township, membership)
    if dashboard is None:
        raise Http404
    svg = dashboard_charts(
        dashboard, whole_name=township.name, ranking_title=_("Villages ranked by average total")
    )
    return _report(
        request, township.name, dashboard, built, svg, f"report-{township.slug}-{dashboard.year}.pdf"
    )


def _report(request, title, dashboard, built, svg, filename):
    context = {
        "title": title,
        "dashboard": dashboard,
        "tables": built,
        "charts": {name: charts.data_uri(markup) for name, markup in svg.items()},
        "issued_on": timezone.localdate(),
    }
    try:
        content = render_pdf("oversight/report_pdf.html", context)
    except DomainError as exc:
        return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)
    return _download(content, filename, "application/pdf")


# The village page ----------------------------------------------------------------------------------------------


def _quarter(request, year: int) -> int:
    value = request.GET.get("quarter", "")
    return int(value) if value in ("1", "2", "3", "4") else selectors.current_quarter(year)


def _village(request, membership, pk):
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    year = _year(request)
    if year is None:
        return village, None, [], None
    dashboard = selectors.village_dashboard(village, year)
    quarter = _quarter(request, year)
    built = [
        tables.overview(dashboard, label=_("Area"), with_rounds=False),
        tables.categories(dashboard, label=_("Area")),
        tables.quarters(dashboard, label=_("Area")),
        tables.rounds(dashboard, names={village.pk: village.name}),
        tables.distribution(dashboard),
    ]
    # Households by name: the clerk's and the township's working lists, never a county viewer's.
    if dashboard.scheme is not None and sees_household_records(membership):
        built.append(
            tables.losers(selectors.households_losing_most(dashboard.scheme, village, quarter), quarter)
        )
        built.append(tables.alerts(selectors.open_alerts(alerts_visible_to(membership), village)))
    return village, dashboard, built, quarter


@township_view(Action.VIEW)
def village_page(request, township, membership, pk):
    village, dashboard, built, quarter = _village(request, membership, pk)
    context = {
        "village": village,
        "dashboard": dashboard,
        "tables": built,
        "quarter": quarter,
        "quarters": QUARTERS,
        "years": selectors.scheme_years(),
    }
    if dashboard is not None:
        context["charts"] = dashboard_charts(
            dashboard, whole_name=village.name, ranking_title=_("Areas ranked by average total")
        )
    return render_page(request, "oversight/village_page.html", context)


@township_view(Action.VIEW)
def village_xlsx(request, township, membership, pk):
    village, dashboard, built, _quarter_ = _village(request, membership, pk)
    if dashboard is None:
        raise Http404
    heading = _("%(village)s: figures of %(year)d") % {"village": village.name, "year": dashboard.year}
    return _download(
        tables.workbook(built, heading=heading), f"dashboard-village-{village.pk}-{dashboard.year}.xlsx", XLSX
    )


@township_view(Action.VIEW)
def village_pdf(request, township, membership, pk):
    village, dashboard, built, _quarter_ = _village(request, membership, pk)
    if dashboard is None:
        raise Http404
    svg = dashboard_charts(
        dashboard, whole_name=village.name, ranking_title=_("Areas ranked by average total")
    )
    title = f"{township.name} {village.name}"
    return _report(request, title, dashboard, built, svg, f"report-village-{village.pk}-{dashboard.year}.pdf")


# The county view -----------------------------------------------------------------------------------------------


def county_townships(user) -> list:
    """The townships a county viewer oversees: those where the user holds the county viewer role."""
    return [m.township for m in memberships_of(user) if m.role == Role.COUNTY_VIEWER]


def county_dashboard(user, year: int) -> tuple[Dashboard, list[tuple[str, Figures]]]:
    """Per township (one row each, in its own scope) and every village of them, compared; no household rows."""
    rows, villages = [], []
    notes, categories = [], []
    for township in county_townships(user):
        with township_scope(township):
            dashboard = selectors.township_dashboard(
                Village.objects.all(), year, name=township.name, whole_township=True
            )
        whole = dashboard.whole
        whole.key = township.pk
        rows.append(whole)
        villages += [(township.name, row) for row in dashboard.rows]
        weakest = whole.weakest_category(dashboard.categories)
        categories += [
            [township.name, c.name, c.base_score, average, _("yes") if c == weakest else ""]
            for c, average in zip(
                dashboard.categories, whole.category_averages(dashboard.categories), strict=True
            )
        ]
        if dashboard.star_run is None:
            notes.append(_("%(township)s: no star rating yet") % {"township": township.name})
        elif dashboard.star_run_published:
            notes.append(_("%(township)s: published star rating") % {"township": township.name})
        else:
            notes.append(_("%(township)s: proposed star rating, not published") % {"township": township.name})
    county = Dashboard(year, None, [], Decimal("0"), None, rows, selectors.sum_rows(rows, _("All townships")))
    county.notes, county.category_rows = notes, categories
    return county, villages


def _county(request):
    townships = county_townships(request.user)
    if not townships:
        raise Http404
    value = request.GET.get("year", "")
    year = int(value) if value.isdigit() and len(value) == 4 else timezone.localdate().year
    county, villages = county_dashboard(request.user, year)
    overview = tables.overview(county, label=_("Township"))
    overview.note = "; ".join(county.notes)
    ranking = tables.Table(
        "villages",
        _("Villages ranked by average total"),
        [_("Township"), _("Village"), _("Taking part"), _("Share of eligible (%)"), _("Average total")],
    )
    ranked = sorted(
        (v for v in villages if v[1].scores.n), key=lambda v: (-v[1].scores.average, v[0], v[1].name)
    )
    ranking.rows = [
        [township, row.name, row.counts.taking_part, row.counts.share or "–", row.scores.average]
        for township, row in ranked
    ]
    by_category = tables.Table(
        "categories",
        _("Category averages"),
        [_("Township"), _("Category"), _("Base score"), _("Average score"), _("Weakest category")],
        rows=[[cell if cell is not None else "–" for cell in row] for row in county.category_rows],
    )
    built = [
        overview,
        by_category,
        tables.quarters(county, label=_("Township")),
        ranking,
        tables.distribution(county),
    ]
    return year, county, villages, ranked, built


def county_view(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    year, county, villages, ranked, built = _county(request)
    svg = {
        "histogram": charts.histogram(
            county.histogram,
            title=_("Distribution of annual totals"),
            width_points=BUCKET,
            axis=_("Annual total (households per band of 10 points)"),
        ),
        "trend": charts.trend(
            [(row.name, row.quarter_averages) for row in county.rows[:MAX_TREND_SERIES]],
            labels=_quarter_labels(),
            title=_("Trend by quarter"),
            axis=_("Net points per household"),
        ),
        "ranking": charts.horizontal_bars(
            [(row.name, row.scores.average, None) for row in county.ranking],
            title=_("Townships ranked by average total"),
        ),
        "villages": charts.horizontal_bars(
            [(f"{t} {row.name}", row.scores.average, None) for t, row in ranked[:20]],
            title=_("Villages ranked by average total"),
        ),
    }
    context = {"year": year, "county": county, "tables": built, "charts": svg}
    return render(request, "oversight/county.html", context)


def county_xlsx(request):
    if not request.user.is_authenticated:
        raise Http404
    year, county, villages, ranked, built = _county(request)
    content = tables.workbook(built, heading=_("Townships compared, %(year)d") % {"year": year})
    return _download(content, f"county-{year}.xlsx", XLSX)
