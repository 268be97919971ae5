from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from .tenancy import no_township_scope


class NoTownshipScopeMiddleware:
    """Every request starts with no township scope; the township views open it after checking the membership."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with no_township_scope():
            return self.get_response(request)
