"""Log lines an operator can follow (issue 18): each with its time, level, request id and township slug, one line
each, as JSON when JIFEN_LOG_JSON=1; and every denied access on the `jifen.access` logger, with the user, the
township, the route and the reason. Logs go to stderr (the container's or the journal's), which the application
cannot edit."""

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
township_slug: contextvars.ContextVar[str] = contextvars.ContextVar("township_slug", default="-")
access_logger = logging.getLogger("jifen.access")
# A request id from the proxy is kept when it is plain (letters, digits, dashes); anything else gets a new one.
PLAIN_ID = re.compile(r"^[A-Za-z0-9._-]{6,64}$")


class RequestContextFilter(logging.Filter):
    """Adds the request id and the township slug to every record (a worker's records carry "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.township = township_slug.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "township": getattr(record, "township", "-"),
            "message": record.getMessage(),
        }
        for key in ("event", "user", "route", "reason"):
            if hasattr(record, key):
                body[key] = getattr(record, key)
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


def _user(request: Any) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    return f"{user.get_username()}#{user.pk}"


def _route(request: Any) -> str:
    match = getattr(request, "resolver_match", None)
    name = match.view_name if match is not None else "-"
    return f"{request.method} {request.path} ({name})"


def log_denied(request: Any, event: str, reason: str, *, user: str | None = None) -> None:
    """One line per denied access: permission refusals, scope refusals answered with 404, failed logins, lockouts,
    rate limits."""
    who, route = user or _user(request), _route(request) if request is not None else "-"
    access_logger.warning(
        "denied %s: user=%s township=%s route=%s reason=%s",
        event,
        who,
        township_slug.get(),
        route,
        reason,
        extra={"event": event, "user": who, "route": route, "reason": reason},
    )


class RequestContextMiddleware:
    """Gives each request an id (X-Request-ID, kept from a proxy when plain), notes the township of township URLs,
    and logs the pages' permission and scope refusals (the API logs its own: core.api.exception_handler)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        given = request.headers.get("X-Request-ID", "")
        rid = given if PLAIN_ID.match(given) else uuid.uuid4().hex[:16]
        tokens = request_id.set(rid), township_slug.set("-")
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(tokens[0])
            township_slug.reset(tokens[1])
        response["X-Request-ID"] = rid
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]) -> None:
        if slug := kwargs.get("township_slug"):
            township_slug.set(str(slug)[:80])

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            log_denied(request, "permission", str(exception) or "permission denied")
        elif isinstance(exception, Http404):
            log_denied(request, "not_found", "outside the member's scope or no such object")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    attempted = str(credentials.get("username", ""))[:150]
    log_denied(request, "login_failed", "wrong username or password", user=f"{attempted} (attempted)")


def _locked_out(sender: Any, request: Any = None, username: str | None = None, **kwargs: Any) -> None:
    log_denied(request, "lockout", "too many failed logins", user=f"{username or ''} (attempted)")


def connect_axes() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="jifen-lockout-log")
