"""Benchmarks: a PostgreSQL database of their own (BENCH_DATABASE_URL), never the test or local one."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
DATABASES = {
    "default": env.db_url_config(
        env("BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/jifen_bench")
    )
}
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
