"""Test settings: PostgreSQL and Redis always; the system ones when they let us log in (default: the local ones).

When one does not (down, or asking for a password), the suite says so loudly and starts the embedded one instead
(config/embedded.py: var/test-postgres/, var/test-redis/; processes started by the tests find it running and share
it), so a fresh machine needs no system database. `make test` stops them when it ends; after a bare `pytest` they
keep running for the next run until `make stop`. With JIFEN_REQUIRE_SERVICES=1 (set by .ci/run) the system
services must answer: one that does not is an error.
"""

import sys
from pathlib import Path

from config import embedded

from .base import *  # noqa: F403
from .base import BASE_DIR, env

SECRET_KEY = "test-only-not-secret"
DEBUG = False
REQUIRE_SERVICES = env.bool("JIFEN_REQUIRE_SERVICES", default=False)
TEST_DATABASE_URL = env("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/jifen")
TEST_REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
# Where the embedded fallback lives (a test of this very fallback points it at a temporary folder).
EMBEDDED_DIR = Path(env("JIFEN_TEST_EMBEDDED_DIR", default=str(embedded.VAR)))


def _shout(message: str) -> None:
    bar = "!" * 78
    sys.stderr.write(f"\n{bar}\n!! {message}\n{bar}\n\n")


_database = embedded.database_config(TEST_DATABASE_URL)
POSTGRES_LOGS_IN = embedded.postgres_logs_in(_database)
REDIS_ANSWERS = embedded.redis_answers(TEST_REDIS_URL)
missing = [name for name, ok in (("PostgreSQL", POSTGRES_LOGS_IN), ("Redis", REDIS_ANSWERS)) if not ok]
if missing and REQUIRE_SERVICES:
    raise SystemExit(
        f"JIFEN_REQUIRE_SERVICES=1 but {' and '.join(missing)} unreachable or refusing the login "
        f"({TEST_DATABASE_URL}, {TEST_REDIS_URL}): refusing to run the suite without them."
    )

if not POSTGRES_LOGS_IN:
    _folder = EMBEDDED_DIR / embedded.TEST_POSTGRES.name
    _name = _database["NAME"] or embedded.DATABASE
    embedded.start_postgres(_folder, database=_name)  # the tests' own database is test_<name>, made by Django
    _database = embedded.postgres_config(_folder, _name)
    _shout(f"PostgreSQL does not let us log in at {TEST_DATABASE_URL}: using the embedded one in {_folder}.")
if not REDIS_ANSWERS:
    _folder = EMBEDDED_DIR / embedded.TEST_REDIS.name
    embedded.start_redis(_folder)
    _shout(f"Redis does not answer at {TEST_REDIS_URL}: using the embedded one in {_folder}.")
    TEST_REDIS_URL = embedded.redis_url(_folder)

DATABASES = {"default": {**_database, "ATOMIC_REQUESTS": True}}

# Tests run tasks eagerly unless a test starts a real worker (tests/conftest.py: celery_worker_process).
REDIS_URL = TEST_REDIS_URL
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
AXES_ENABLED = True

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
