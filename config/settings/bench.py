"""Benchmarks: a PostgreSQL database of their own (BENCH_DATABASE_URL), never the test or local one; served as
production serves (config/settings/serving.py: persistent connections, cache and sessions in Redis when REDIS_URL
is set, as bench/load.py sets it for gunicorn)."""

from . import serving
from .base import *  # noqa: F403
from .base import DB_PREPARE_THRESHOLD, REDIS_URL, env
from .serving import persistent, prepared, redis_cache

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
DATABASES = {
    "default": persistent(
        prepared(
            {
                **env.db_url_config(
                    env("BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/jifen_bench")
                ),
                "ATOMIC_REQUESTS": True,  # as base.py: one transaction per request
            },
            DB_PREPARE_THRESHOLD,
        ),
        env.int("JIFEN_DB_CONN_MAX_AGE", default=300),
    )
}
if REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = redis_cache(REDIS_URL)
    SESSION_ENGINE = serving.SESSION_ENGINE
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
