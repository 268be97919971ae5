from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.permissions import memberships_of

from ..middleware import MUST_CHANGE_PASSWORD
from ..people import own_password_set
from ..selectors import must_change_password


@login_required
def home(request):
    """One township: go straight there. Several (county viewers, multi-township staff): choose."""
    memberships = list(memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("households:township-home", township_slug=memberships[0].township.slug)
    return render(request, "home.html", {"memberships": memberships})


class LoginView(auth_views.LoginView):
    """Django's login; an account still on its one-time password goes straight to setting its own."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if must_change_password(form.get_user()):
            self.request.session[MUST_CHANGE_PASSWORD] = True
            messages.info(
                self.request,
                _("Welcome. First choose your own password: the one you were given works only once."),
            )
            return redirect("password_change")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        response = super().form_valid(form)
        own_password_set(user=form.user)
        self.request.session.pop(MUST_CHANGE_PASSWORD, None)
        return response
