from typing import Any

from django import template

from core.people import display_name

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """`{{ entry.recorded_by|person }}`: a user by display name (core.people)."""
    return display_name(user)
