"""Periods of a cadence: 2026 (annual), 2026-Q1 (quarterly), 2026-03 (monthly), 2026-W05 (ISO week), "term" (the
whole of a school's term: a scheme is one term, so its items' term caps count within it)."""

import datetime
import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    ANNUAL = "annual", _("Annual")
    TERM = "term", _("Per term")


def period_of(cadence: str, day: datetime.date) -> str:
    if cadence == Cadence.WEEKLY:
        iso_year, week, _weekday = day.isocalendar()
        return f"{iso_year}-W{week:02d}"
    if cadence == Cadence.MONTHLY:
        return f"{day.year}-{day.month:02d}"
    if cadence == Cadence.TERM:
        return "term"
    if cadence == Cadence.QUARTERLY:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


def quarter_of(day: datetime.date) -> int:
    return (day.month - 1) // 3 + 1


def period_bounds(cadence: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the period of `day` (a term: any date, the scheme bounds it)."""
    if cadence == Cadence.WEEKLY:
        monday = day - datetime.timedelta(days=day.weekday())
        return monday, monday + datetime.timedelta(days=6)
    if cadence == Cadence.MONTHLY:
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return day.replace(day=1), following - datetime.timedelta(days=1)
    if cadence == Cadence.TERM:
        return datetime.date.min, datetime.date.max
    if cadence == Cadence.QUARTERLY:
        first_month = (quarter_of(day) - 1) * 3 + 1
        start = day.replace(month=first_month, day=1)
        end = period_bounds(Cadence.MONTHLY, day.replace(month=first_month + 2, day=1))[1]
        return start, end
    return day.replace(month=1, day=1), day.replace(month=12, day=31)


def monday_of_week(week: str) -> datetime.date | None:
    """ "2026-W49" → the Monday of that ISO week; None for anything else."""
    year, sep, number = week.partition("-W")
    if not (sep and year.isdigit() and len(year) == 4 and number.isdigit() and len(number) == 2):
        return None
    try:
        return datetime.date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        return None


QUARTERS = (1, 2, 3, 4)
QUARTER_LABELS = {
    1: _("first quarter of %(year)s"),
    2: _("second quarter of %(year)s"),
    3: _("third quarter of %(year)s"),
    4: _("fourth quarter of %(year)s"),
}
_PERIOD = re.compile(
    r"(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|B(?P<batch>\d{2,3})|W(?P<week>\d{2})|(?P<month>\d{2})))?"
)


def period_label(period: str) -> str:
    """How a page names a stored period: "2026-Q1" → 2026年第一季度, "2026" → 2026年度, "2026-B03" → 2026年第3批,
    "2026-03" → 2026年3月, "2026-W05" → 2026年第5周; anything else as stored."""
    if period == "term":
        return str(_("this term"))
    match = _PERIOD.fullmatch(period)
    if match is None:
        return period
    year = match["year"]
    if match["quarter"]:
        return str(QUARTER_LABELS[int(match["quarter"])]) % {"year": year}
    if match["batch"]:
        return _("batch %(number)d of %(year)s") % {"number": int(match["batch"]), "year": year}
    if match["week"]:
        return _("week %(week)d of %(year)s") % {"week": int(match["week"]), "year": year}
    if match["month"]:
        return _("%(month)d/%(year)s") % {"month": int(match["month"]), "year": year}
    return _("the year %(year)s") % {"year": year}


def round_periods(year: int) -> list[tuple[str, str]]:
    """The periods a quarterly or annual review of `year` may cover, as (stored value, label): four quarters, then
    the year."""
    values = [f"{year}-Q{quarter}" for quarter in QUARTERS] + [str(year)]
    return [(value, period_label(value)) for value in values]
