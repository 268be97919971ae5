"""`{% inspections_to_do %}`: on a panel member's home, the areas still to inspect in the collecting rounds, each a
link to its inspection list (the same rows as the worklist's), so the phone flow starts on the first screen."""

from django import template

from core.permissions import Action, can

from ..selectors.worklist import _inspections_waiting

register = template.Library()


@register.inclusion_tag("review/_inspections_to_do.html", takes_context=True)
def inspections_to_do(context):
    township, membership = context.get("township"), context.get("membership")
    if township is None or membership is None or not can(membership, Action.PANEL_WORK):
        return {"rows": []}
    return {"rows": _inspections_waiting(membership), "township": township}
