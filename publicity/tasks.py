"""Publicity's job runners are registered when the worker imports this module (Celery autodiscovery)."""

from . import documents, month_reports, slips  # noqa: F401
