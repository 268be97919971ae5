"""Test settings: PostgreSQL and Redis always; the system ones when they let us log in (default: the local ones).

When one does not (down, or asking for a password), the suite says so loudly and starts the embedded one instead
(config/embedded.py: var/test-postgres/, var/test-redis/; processes started by the tests find it running and share
it), so a fresh machine needs no system database. `make test` stops them when it ends; after a bare `pytest` they
keep running for the next run until `make stop`. With JIFEN_REQUIRE_SERVICES=1 (set by .ci/run) the system
services must answer: one that does not is an error.

Parallel runs (`make test` runs pytest-xdist's workers gw0, gw1, …; PYTEST_XDIST_WORKER names the worker): each
worker has its own
- database: pytest-django suffixes the test database per worker (test_jifen_gw0, test_jifen_gw1, …);
- Redis database: worker gwN uses the database number of TEST_REDIS_URL *minus N* (default 15: gw0 on 15, gw1 on 14,
  …; a run without xdist on 15 itself), on the system Redis or the embedded one alike. Celery's broker and result
  backend, purges and pings are all in that database, so one worker's Celery worker never takes another's tasks.
  Give a TEST_REDIS_URL whose number leaves room below it for every worker (a run on 15 with at most 8 workers
  uses 15 to 8); a number too low is an error, never a wrap-around into someone else's database;
- MEDIA_ROOT: var/test-media/gwN (var/test-media without xdist).
A real Celery worker started by a test (tests/conftest.py: celery_worker) is not an xdist worker: it is handed the
exact database, Redis and media folder of the test that starts it (TEST_DATABASE_URL, TEST_REDIS_URL,
JIFEN_TEST_MEDIA_ROOT). The embedded servers are shared by the workers (each starts them under a lock).
"""

import sys
from pathlib import Path

from config import embedded

from .base import *  # noqa: F403
from .base import BASE_DIR, DB_PREPARE_THRESHOLD, env
from .serving import prepared

SECRET_KEY = "test-only-not-secret"
DEBUG = False
REQUIRE_SERVICES = env.bool("JIFEN_REQUIRE_SERVICES", default=False)
TEST_DATABASE_URL = env("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/jifen")
TEST_REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
# Where the embedded fallback lives (a test of this very fallback points it at a temporary folder).
EMBEDDED_DIR = Path(env("JIFEN_TEST_EMBEDDED_DIR", default=str(embedded.VAR)))
# The pytest-xdist worker this process is ("gw0", "gw1", …), or "" outside xdist (module docstring).
XDIST_WORKER = env("PYTEST_XDIST_WORKER", default="")
_worker_index = int(XDIST_WORKER.removeprefix("gw") or 0)
_base_db = embedded.redis_db(TEST_REDIS_URL)
if _base_db - _worker_index < 0:
    raise SystemExit(
        f"pytest-xdist worker {XDIST_WORKER} would use Redis database {_base_db - _worker_index} "
        f"(TEST_REDIS_URL {TEST_REDIS_URL} minus {_worker_index}): give TEST_REDIS_URL a higher database number "
        "or run fewer workers (make test PYTEST_WORKERS=…)."
    )
REDIS_DB = _base_db - _worker_index
TEST_REDIS_URL = embedded.with_redis_db(TEST_REDIS_URL, REDIS_DB)


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
    TEST_REDIS_URL = embedded.redis_url(_folder, db=REDIS_DB)

DATABASES = {"default": prepared({**_database, "ATOMIC_REQUESTS": True}, DB_PREPARE_THRESHOLD)}

# Tests run tasks eagerly unless a test starts a real worker (tests/conftest.py: celery_worker_process).
REDIS_URL = TEST_REDIS_URL
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(env("JIFEN_TEST_MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media" / XDIST_WORKER)))
AXES_ENABLED = True

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
