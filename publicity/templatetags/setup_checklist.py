"""`{% setup_checklist %}`: the township setup checklist on the township office's home page (publicity.setup_checklist)."""

from django import template

from core.permissions import Action, can

from ..setup_checklist import setup_steps

register = template.Library()


@register.inclusion_tag("publicity/_setup_checklist.html", takes_context=True)
def setup_checklist(context):
    township, membership = context.get("township"), context.get("membership")
    if township is None or membership is None or not can(membership, Action.MANAGE_TOWNSHIP):
        return {"steps": []}
    steps = setup_steps(township)
    if all(step.done for step in steps):
        return {"steps": []}  # hidden once everything is done
    return {"steps": steps, "done": sum(step.done for step in steps)}
