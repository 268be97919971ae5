"""The one-command local start (`make run`): DEBUG on; the embedded PostgreSQL unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-not-secret-jifen-development-key")

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
