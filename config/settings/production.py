"""Production: refuses to start without a secret key; secure cookies, HSTS, proxy-aware."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random string of at least 50 characters.")

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
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
