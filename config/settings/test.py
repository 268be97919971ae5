"""Test settings: the real PostgreSQL and Redis when reachable (default: the local ones).

When one is unreachable the suite says so loudly and falls back (SQLite / no worker), skipping only the tests
that need the missing service. With JIFEN_REQUIRE_SERVICES=1 (set by .ci/run) an unreachable service is an error.
"""

import socket
import sys
from urllib.parse import urlparse

from .base import *  # noqa: F403
from .base import BASE_DIR, env

SECRET_KEY = "test-only-not-secret"
DEBUG = False
REQUIRE_SERVICES = env.bool("JIFEN_REQUIRE_SERVICES", default=False)
TEST_DATABASE_URL = env("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/jifen")
TEST_REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1.5):
            return True
    except OSError:
        return False


def _shout(message: str) -> None:
    bar = "!" * 78
    sys.stderr.write(f"\n{bar}\n!! {message}\n{bar}\n\n")


POSTGRES_AVAILABLE = _reachable(TEST_DATABASE_URL)
REDIS_AVAILABLE = _reachable(TEST_REDIS_URL)
missing = [name for name, ok in (("PostgreSQL", POSTGRES_AVAILABLE), ("Redis", REDIS_AVAILABLE)) if not ok]
if missing and REQUIRE_SERVICES:
    raise SystemExit(
        f"JIFEN_REQUIRE_SERVICES=1 but {' and '.join(missing)} unreachable "
        f"({TEST_DATABASE_URL}, {TEST_REDIS_URL}): refusing to run the suite without them."
    )
if not POSTGRES_AVAILABLE:
    _shout(
        f"PostgreSQL unreachable at {TEST_DATABASE_URL}: running on SQLite, skipping tests marked postgres."
    )
if not REDIS_AVAILABLE:
    _shout(f"Redis unreachable at {TEST_REDIS_URL}: tasks run eagerly, skipping tests marked redis.")

if POSTGRES_AVAILABLE:
    DATABASES = {"default": env.db_url_config(TEST_DATABASE_URL)}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "var" / "test.sqlite3")}
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = True

# Tests run tasks eagerly unless a test starts a real worker (tests/conftest.py: celery_worker_process).
REDIS_URL = TEST_REDIS_URL if REDIS_AVAILABLE else ""
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
AXES_ENABLED = True

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
