from .tenancy import no_township_scope


class NoTownshipScopeMiddleware:
    """Every request starts with no township scope; the township views open it after checking the membership."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with no_township_scope():
            return self.get_response(request)
