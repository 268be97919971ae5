"""The tables of the dashboards, built once from the figures and shown by the page, the .xlsx and the PDF alike."""

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .selectors import QUARTERS, Dashboard, Figures


@dataclass
class Link:
    text: str
    url: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    footer: list | None = None  # the whole township / village, added up
    note: str = ""


def _share(value: Decimal | None):
    return value if value is not None else "–"


def _value(value):
    return "–" if value is None else value


def _rounds_cell(row: Figures) -> str:
    return f"{row.rounds_approved}/{len(row.rounds)}" if row.rounds else "0"


def overview(dashboard: Dashboard, *, label: str, link=None, with_rounds: bool = True) -> Table:
    """Per village (or area): households, taking part and share, average, stars, rounds, objections, rewards."""
    headers = [
        label,
        pgettext("count", "Households"),
        _("Eligible"),
        pgettext("count", "Taking part"),
        _("Share of eligible (%)"),
        _("Average total"),
        _("5 stars"),
        _("4 stars"),
        _("3 stars"),
    ]
    if with_rounds:
        headers.append(_("Rounds approved / opened"))
    headers += [_("Objections filed"), _("Objections upheld")]
    rewards = dashboard.whole.shop is not None or dashboard.whole.budget is not None
    if rewards:
        headers += [
            _("Supermarket: households redeemed (%)"),
            _("Supermarket: residents redeemed (%)"),
            _("Budget funded (yuan)"),
            _("Budget spent (yuan)"),
            _("Budget left (yuan)"),
        ]

    def cells(row: Figures, name) -> list:
        line = [
            name,
            row.counts.households,
            row.counts.eligible,
            row.counts.taking_part,
            _share(row.counts.share),
            _value(row.scores.average),
            row.stars.five,
            row.stars.four,
            row.stars.three,
        ]
        if with_rounds:
            line.append(_rounds_cell(row))
        line += [row.objections.filed, row.objections.upheld]
        if rewards:
            shop, budget = row.shop, row.budget
            line += [
                _value(shop.household_share if shop else None),
                _value(shop.resident_share if shop else None),
                _value(budget.funded if budget else None),
                _value(budget.spent if budget else None),
                _value(budget.left if budget else None),
            ]
        return line

    table = Table("overview", _("Overview"), headers)
    table.rows = [cells(row, link(row) if link else row.name) for row in dashboard.rows]
    table.footer = cells(dashboard.whole, pgettext("sum row", "Total"))
    if dashboard.star_run is not None:
        table.note = (
            _("Stars: the published rating (version %(version)s).")
            if dashboard.star_run_published
            else _("Stars: the proposed rating (version %(version)s), not published yet.")
        ) % {"version": dashboard.star_run.version}
    else:
        table.note = _("Stars: no rating has been run for this year yet.")
    return table


def categories(dashboard: Dashboard, *, label: str) -> Table:
    cats = dashboard.categories
    headers = [
        label,
        *(
            _("%(category)s (base %(base)s)") % {"category": c.name, "base": _number(c.base_score)}
            for c in cats
        ),
        _("Weakest category"),
    ]

    def cells(row: Figures, name) -> list:
        weakest = row.weakest_category(cats)
        return [name, *(_value(v) for v in row.category_averages(cats)), weakest.name if weakest else "–"]

    table = Table("categories", _("Category averages"), headers)
    table.rows = [cells(row, row.name) for row in dashboard.rows]
    table.footer = cells(dashboard.whole, pgettext("sum row", "Total"))
    table.note = _("The average score of each category per household taking part; the weakest category is the "
                   "one furthest below its base.")  # fmt: skip
    return table


def quarters(dashboard: Dashboard, *, label: str) -> Table:
    headers = [label, *(_("Q%(quarter)d") % {"quarter": q} for q in QUARTERS)]
    table = Table("quarters", _("Trend by quarter"), headers)
    table.rows = [[row.name, *(_value(v) for v in row.quarter_averages)] for row in dashboard.rows]
    table.footer = [pgettext("sum row", "Total"), *(_value(v) for v in dashboard.whole.quarter_averages)]
    table.note = _("Net approved points recorded in the quarter, per household taking part.")
    return table


def lists(dashboard: Dashboard) -> Table | None:
    """Families, villagers, party members and units of a scheme that keeps their accounts (none: no table)."""
    if not dashboard.lists:
        return None
    headers = [_("List"), _("Accounts"), _("With points"), _("Points given"), _("Points taken"), _("Net")]
    table = Table("lists", _("Accounts by list"), headers)
    table.rows = [[f.label, f.accounts, f.with_points, f.given, f.taken, f.net] for f in dashboard.lists]
    table.note = _("Approved points of the year. Party members are also counted among the villagers.")
    return table


def rounds(dashboard: Dashboard, *, names: dict[int, str]) -> Table:
    headers = [_("Village"), _("Round"), _("Period"), _("State"), _("Days left on notice")]
    table = Table("rounds", _("Review rounds"), headers)
    table.rows = [
        [names.get(r.village_id, ""), r.kind_label, r.period, r.state_label, _value(r.days_left)]
        for r in dashboard.all_rounds
    ]
    return table


def distribution(dashboard: Dashboard) -> Table:
    from .selectors import BUCKET

    table = Table(
        "distribution", _("Distribution of totals"), [_("Annual total"), pgettext("count", "Households")]
    )
    table.rows = [[f"{_number(low)}–{_number(low + BUCKET)}", count] for low, count in dashboard.histogram]
    table.note = _("A band 130-140 counts the households with 130 <= total < 140.")
    return table


def losers(rows: list[dict], quarter: int) -> Table:
    headers = [_("Household"), _("Head of household"), _("Area"), _("Points deducted"), _("Net change")]
    table = Table(
        "losers", _("Households that lost most points in Q%(quarter)d") % {"quarter": quarter}, headers
    )
    table.rows = [[r["number"], r["head_name"] or "", r["area__name"], r["lost"], r["net"]] for r in rows]
    return table


def alerts(rows: list) -> Table:
    headers = [_("Household"), _("Item"), _("Period"), _("Hits"), _("Consequence"), _("Acknowledged")]
    table = Table("alerts", _("Threshold alerts"), headers)
    table.rows = [
        [
            a.household.number,
            a.item.name,
            a.period,
            a.hits,
            a.item.threshold_consequence or "–",
            _("yes") if a.acknowledged_at else _("no"),
        ]
        for a in rows
    ]
    return table


def _number(value) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# .xlsx: one sheet per table ------------------------------------------------------------------------------------


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28] or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]} {n}", n + 1
    used.add(name)
    return name


def _cell(value):
    if isinstance(value, Link):
        return value.text
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, int | float):
        return value
    return str(value)  # lazy translations (a round's state) and text


def workbook(tables: list[Table], *, heading: str) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheet.append([heading])
        sheet.append([table.title])
        sheet["A1"].font = sheet["A2"].font = bold
        sheet.append([str(h) for h in table.headers])
        for cell in sheet[3]:
            cell.font = bold
        for row in table.rows:
            sheet.append([_cell(v) for v in row])
        if table.footer:
            sheet.append([_cell(v) for v in table.footer])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        for index, header in enumerate(table.headers, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(
                10, min(40, len(str(header)) * 2 + 2)
            )
        sheet.freeze_panes = "B4"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
