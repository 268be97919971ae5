"""Oversight pages: the township dashboard, the clerk's village page and the county view, with .xlsx and PDF.

Thin views: the figures come from `oversight.selectors`, the tables from `oversight.tables`, the charts from
`oversight.charts`. County viewers never get a household's own records (core.permissions).
"""

from decimal import Decimal

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from core import jobs
from core.errors import DomainError
from core.pdf import require_cjk_font
from core.permissions import Action, memberships_of
from core.tenancy import township_scope
from core.views import township_view
from households.models import Role, Village
from households.selectors import villages_visible_to
from households.views.roster import render_page

from . import charts, reports, selectors, tables
from .reports import MAX_TREND_SERIES, Report
from .selectors import BUCKET, QUARTERS, Dashboard, Figures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request) -> int | None:
    """?year= when it is a plausible year, else the default year (None: the township has no scheme yet)."""
    value = request.GET.get("year", "")
    if value.isdigit() and len(value) == 4:
        return int(value)
    return selectors.default_year()


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    attachment = content_type == XLSX
    response["Content-Disposition"] = content_disposition_header(as_attachment=attachment, filename=filename)
    return response


def _start_report(request, township, params: dict):
    """The yearly report PDF is a job (slow at township scale): say now if the font is missing, then queue it."""
    try:
        require_cjk_font()
    except DomainError as exc:
        return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)
    job = jobs.start_job(membership=request.membership, kind="oversight_report", params=params)
    return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)


# Township dashboard --------------------------------------------------------------------------------------------


def _township(request, township, membership) -> Report | None:
    year = _year(request)
    return None if year is None else reports.township_report(township, membership, year)


@township_view(Action.VIEW)
def township_dashboard(request, township, membership):
    report = _township(request, township, membership)
    context = {"years": selectors.scheme_years()}
    if report is not None:
        context.update(dashboard=report.dashboard, tables=report.tables, charts=report.charts)
    return render_page(request, "oversight/township_dashboard.html", context)


@township_view(Action.VIEW)
def township_xlsx(request, township, membership):
    report = _township(request, township, membership)
    if report is None:
        raise Http404
    year = report.dashboard.year
    heading = _("%(township)s: figures of %(year)d") % {"township": township.name, "year": year}
    return _download(
        tables.workbook(report.tables, heading=heading), f"dashboard-{township.slug}-{year}.xlsx", XLSX
    )


@township_view(Action.VIEW)
@require_POST  # inside the township check: an outsider gets 404 whatever the method
def township_pdf(request, township, membership):
    year = _year(request)
    if year is None:
        raise Http404
    return _start_report(request, township, {"year": year})


# The village page ----------------------------------------------------------------------------------------------


def _quarter(request, year: int) -> int:
    value = request.GET.get("quarter", "")
    return int(value) if value in ("1", "2", "3", "4") else selectors.current_quarter(year)


def _village(request, membership, pk) -> tuple[Village, Report | None]:
    village = get_object_or_404(villages_visible_to(membership).select_related("township"), pk=pk)
    year = _year(request)
    if year is None:
        return village, None
    return village, reports.village_report(village, membership, year, _quarter(request, year))


@township_view(Action.VIEW)
def village_page(request, township, membership, pk):
    village, report = _village(request, membership, pk)
    context = {"village": village, "quarters": QUARTERS, "years": selectors.scheme_years()}
    if report is not None:
        context.update(
            dashboard=report.dashboard, tables=report.tables, charts=report.charts, quarter=report.quarter
        )
    return render_page(request, "oversight/village_page.html", context)


@township_view(Action.VIEW)
def village_xlsx(request, township, membership, pk):
    village, report = _village(request, membership, pk)
    if report is None:
        raise Http404
    year = report.dashboard.year
    heading = _("%(village)s: figures of %(year)d") % {"village": village.name, "year": year}
    filename = f"dashboard-village-{village.pk}-{year}.xlsx"
    return _download(tables.workbook(report.tables, heading=heading), filename, XLSX)


@township_view(Action.VIEW)
@require_POST  # inside the township check: an outsider gets 404 whatever the method
def village_pdf(request, township, membership, pk):
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    year = _year(request)
    if year is None:
        raise Http404
    quarter = _quarter(request, year)
    return _start_report(request, township, {"year": year, "village_id": village.pk, "quarter": quarter})


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
        [
            _("Township"),
            _("Village"),
            pgettext("count", "Taking part"),
            _("Share of eligible (%)"),
            _("Average total"),
        ],
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
            labels=reports.quarter_labels(),
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
