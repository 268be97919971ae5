"""A one-time password set by the township office is replaced at the first sign-in (households.people)."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.api import error_body

# Set by the login view when the account still has its one-time password; cleared when the owner sets their own.
MUST_CHANGE_PASSWORD = "jifen_must_change_password"


class OwnPasswordFirstMiddleware:
    """Until the owner has set their own password, every page leads to the password change (the session flag
    costs no query; a reset while signed in ends the session anyway, since Django ties sessions to the hash)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.session.get(MUST_CHANGE_PASSWORD) and not self._allowed(request.path):
            if request.path.startswith("/api/"):  # an API client gets an answer it can read, not a login page
                detail = _(
                    "Set your own password first: this account still has the one-time password it was given."
                )
                return JsonResponse(error_body("password_change_required", detail), status=403)
            return redirect("password_change")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        allowed = [reverse("password_change"), reverse("logout"), reverse("set_language")]
        return path in allowed or path.startswith(settings.STATIC_URL or "/static/")
