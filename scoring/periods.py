"""Periods of a cadence: 2026 (annual), 2026-Q1 (quarterly), 2026-03 (monthly), 2026-W05 (ISO week), "term" (the
whole of a school's term: a scheme is one term, so its items' term caps count within it)."""

import datetime

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
