"""Points in templates: 10.00 → "10", 1.50 → "1.5", and signed with a real minus sign: "+1.5", "−2"."""

from decimal import Decimal

from django import template

from scoring.models import format_points

register = template.Library()


@register.filter
def points(value) -> str:
    if value is None or value == "":
        return ""
    return format_points(Decimal(value))


@register.filter
def signed_points(value) -> str:
    if value is None or value == "":
        return ""
    value = Decimal(value)
    if value > 0:
        return f"+{format_points(value)}"
    if value < 0:
        return f"−{format_points(-value)}"
    return "0"
