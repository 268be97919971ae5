"""`{% work_counts %}`: what waits for the member, as counts linking to the filtered lists (review.selectors.counts).
The township home page (households) and 待办 (review) render the same tag, so they always show the same counts."""

from django import template

from ..selectors.counts import work_counts as compute

register = template.Library()


@register.inclusion_tag("review/_work_counts.html", takes_context=True)
def work_counts(context):
    membership = context.get("membership")
    if membership is None:
        return {"work": None}
    work = context.get("work_counts")  # a page that computed them already (待办) passes them on
    if work is None:
        work = compute(membership)
    return {"work": work, "township": context.get("township")}
