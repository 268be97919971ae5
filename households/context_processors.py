from django.db import connection

from core.permissions import Action, can, memberships_of

from .models import Role


def navigation(request):
    """The user's townships and, inside one, what the navigation may offer to their role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if connection.needs_rollback:  # an error page (DRF's browsable 404) after a failed transaction
        return {}
    membership = getattr(request, "membership", None)
    context = {"my_memberships": list(memberships_of(user)), "Role": Role}
    if membership is not None:
        context.update(township=request.township, membership=membership)
        context["nav"] = {
            "edit_roster": can(membership, Action.EDIT_ROSTER),
            "manage_township": can(membership, Action.MANAGE_TOWNSHIP),
            "view_history": can(membership, Action.VIEW_HISTORY),
            "record_entry": can(membership, Action.RECORD_ENTRY),
        }
    return context
