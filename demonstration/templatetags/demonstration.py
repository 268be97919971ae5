"""`{% region_links user %}`: the counties and cities where the user acts in the demonstration programme."""

from django import template

from ..selectors import region_memberships_of

register = template.Library()


@register.inclusion_tag("demonstration/_region_links.html")
def region_links(user):
    return {"region_memberships": list(region_memberships_of(user))}
