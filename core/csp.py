"""Content-Security-Policy: scripts, styles, images and fonts come only from our own origin.

No inline <script>, no inline <style>, no style="" attribute, no on*= handler: behaviour lives in
static/js/jifen.js, looks in static/css/jifen.css. tests/security/test_templates.py fails on any template that
breaks the rule. Only pages get the policy (a PDF shown inline must stay viewable in the browser's viewer); a
response that already carries its own policy (e.g. an evidence download) keeps it. The developer pages under
/api/ (DRF's browsable API, Swagger UI) are third-party templates with inline styles: there, and only there,
inline styles are allowed; scripts stay as strict as everywhere.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = self.render(settings.JIFEN_CSP)
        style = settings.JIFEN_CSP["style-src"]
        self.api_policy = self.render({**settings.JIFEN_CSP, "style-src": f"{style} 'unsafe-inline'"})

    @staticmethod
    def render(directives: dict[str, str]) -> str:
        return "; ".join(f"{name} {value}".strip() for name, value in directives.items())

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if HEADER not in response and response.get("Content-Type", "").startswith("text/html"):
            response[HEADER] = self.api_policy if request.path.startswith("/api/") else self.policy
        return response
