"""A stored period as pages name it: {{ alert.period|period }} → 2026年第一季度 (scoring.periods.period_label)."""

from django import template

from scoring.periods import period_label

register = template.Library()


@register.filter
def period(value: str) -> str:
    return period_label(str(value))
