"""The roster's small pieces of markup, rendered in Python where a page repeats them by the row."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.simple_tag
def stars(count: int | None) -> str:
    """A household's latest published stars: "—" when it has no rating, "No star" when rated none. A tag, not an
    included template: the household list shows it on each of its 50 rows (an include costs four times more)."""
    if count is None:
        return "—"
    if not count:
        return format_html('<span class="muted">{}</span>', gettext("No star"))
    label = ngettext("%(counter)s star", "%(counter)s stars", count) % {"counter": count}
    return format_html('<span class="stars" title="{}">{}</span>', label, label)
