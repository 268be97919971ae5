"""The client's address, for the login lockout and rate limits, that a client cannot forge.

Behind `JIFEN_TRUSTED_PROXIES` proxies, each appending the address it saw to X-Forwarded-For, the client is the
entry that many places from the right; anything further left was written by the client and is ignored. Without a
proxy (0) the header is ignored and REMOTE_ADDR is the client. Without this, behind a proxy every client would
share the proxy's address: one person's failed logins would lock everybody out of that account.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from core.logs import log_denied


def client_ip(request: HttpRequest) -> str | None:
    proxies = settings.JIFEN_TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def over_objection_limit(request: HttpRequest) -> bool:
    """At most `JIFEN_OBJECTIONS_PER_HOUR` objections from one address per hour, on every public notice page (the
    shared cache counts them, so the limit holds across workers); a refusal is logged."""
    key = f"objections:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) <= settings.JIFEN_OBJECTIONS_PER_HOUR:
        return False
    log_denied(request, "rate_limited", f"more than {settings.JIFEN_OBJECTIONS_PER_HOUR} objections an hour")
    return True
