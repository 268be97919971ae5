from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from core.permissions import memberships_of


@login_required
def home(request):
    """One township: go straight there. Several (county viewers, multi-township staff): choose."""
    memberships = list(memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("households:township-home", township_slug=memberships[0].township.slug)
    return render(request, "home.html", {"memberships": memberships})
