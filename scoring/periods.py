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
