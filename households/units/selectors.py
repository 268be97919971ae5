"""What pages, the API and the roster import read of units. Call inside the township scope."""

from django.db.models import Q, QuerySet

from core.permissions import restrict_to_visible

from ..models import Membership, Unit, Village

ACTIVE, ARCHIVED, ALL = "active", "archived", "all"


def units_visible_to(membership: Membership) -> QuerySet[Unit]:
    """The units of the villages the member sees (every village for the township's whole-township roles)."""
    return restrict_to_visible(membership, Unit.objects.all())


def unit_list(
    membership: Membership, *, search: str = "", village: Village | None = None, status: str = ACTIVE
) -> QuerySet[Unit]:
    """Units the member sees, searched by name, contact person or address; one query whatever their number."""
    units = units_visible_to(membership).select_related("village")
    if search := search.strip():
        units = units.filter(
            Q(name__icontains=search) | Q(contact_name__icontains=search) | Q(address__icontains=search)
        )
    if village is not None:
        units = units.filter(village=village)
    if status == ACTIVE:
        units = units.filter(archived_at__isnull=True)
    elif status == ARCHIVED:
        units = units.filter(archived_at__isnull=False)
    return units.order_by("village__sort_key", "name", "pk")
