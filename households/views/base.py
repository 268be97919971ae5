"""The one way a page enters a township: fetch-and-check the membership, then run inside the township scope."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from ..permissions import Action, can, enter_township
from ..tenancy import render_in_scope, township_scope


def _enter(request, slug: str, action: Action | None):
    township, membership = enter_township(request.user, slug)
    request.township, request.membership = township, membership
    if action is not None and not can(membership, action):
        raise PermissionDenied(_("Your role does not allow this."))
    return township, membership


class TownshipMixin:
    """For class-based views under /t/<township_slug>/. `required_action` is checked before anything else runs."""

    required_action: Action | None = Action.VIEW

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.township, self.membership = _enter(request, kwargs["township_slug"], self.required_action)
        with township_scope(self.township):
            return render_in_scope(super().dispatch(request, *args, **kwargs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(township=self.township, membership=self.membership)
        return context


def township_view(action: Action | None = Action.VIEW):
    """The same for function views: `view(request, township, membership, **kwargs)`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, township_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            township, membership = _enter(request, township_slug, action)
            with township_scope(township):
                return render_in_scope(view(request, township, membership, *args, **kwargs))

        return wrapper

    return decorator
