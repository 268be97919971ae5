"""Production: refuses to start without a secret key; secure cookies, HSTS, proxy-aware."""

import ipaddress
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from . import serving
from .base import *  # noqa: F403
from .base import DATABASES, JIFEN_PUBLIC_BASE_URL, REDIS_URL, STORAGES, env
from .serving import persistent, redis_cache

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random string of at least 50 characters.")


def _reachable_from_outside(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or not host
        or host == "localhost"
        or host.endswith(".localhost")
    ):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a name
    return not (address.is_loopback or address.is_unspecified)


# The address printed under every QR code (notices, passbooks): a loopback one would send villagers' phones nowhere.
if not _reachable_from_outside(JIFEN_PUBLIC_BASE_URL):
    raise ImproperlyConfigured(
        f"JIFEN_PUBLIC_BASE_URL is {JIFEN_PUBLIC_BASE_URL!r}: set it to the address villagers' phones reach, "
        "e.g. https://jifen.example.gov.cn (it is printed under the QR codes of notices and passbooks)."
    )

# Behind a TLS-terminating proxy that sets (and overwrites) X-Forwarded-Proto; JIFEN_BEHIND_PROXY=false when
# gunicorn itself faces the clients, so a forged header cannot make plain HTTP look secure.
if env.bool("JIFEN_BEHIND_PROXY", default=True):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The lockout and rate limits count the client's address, the one the proxy appended (core/security.py).
    JIFEN_TRUSTED_PROXIES = env.int("JIFEN_TRUSTED_PROXIES", default=1)
SECURE_SSL_REDIRECT = env.bool("JIFEN_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("JIFEN_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Sessions end after JIFEN_SESSION_SECONDS (8 h, base.py) or when the browser closes, whichever comes first.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Hashed names (cached for a year by browsers), pre-compressed by WhiteNoise; JIFEN_STATIC_COMPRESS=false skips the
# compression (a minute of CPU in collectstatic: the smoke test's choice).
_static = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if env.bool("JIFEN_STATIC_COMPRESS", default=True)
    else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
)
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": _static}}

# Shared state for many processes and hosts (issue 18). Redis is required: the Celery broker, and the cache that
# holds the objection rate limit (and anything else cached) for every gunicorn worker on every host alike.
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"REDIS_URL is {REDIS_URL!r}: production needs a Redis server, e.g. redis://redis:6379/0 (the task queue, and "
        "the cache that keeps rate limits the same across web workers and hosts)."
    )
CACHES = redis_cache(REDIS_URL)
SESSION_ENGINE = serving.SESSION_ENGINE
# Persistent database connections, checked before reuse: no new connection per request (the 1 s progress polls).
DATABASES["default"] = persistent(DATABASES["default"], env.int("JIFEN_DB_CONN_MAX_AGE", default=300))
