"""Settings shared by every environment. The environment is read through one object, `env`."""

import os
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from config import embedded, media_storage
from config.settings.serving import prepared

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "core.admin_site.JifenAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_scopes",
    "axes",
    "simple_history",
    "core",
    "households",
    "scoring",
    "review",
    "rewards",
    "publicity",
    "oversight",
    "demonstration",
]

MIDDLEWARE = [
    "core.health.HealthMiddleware",  # first: /healthz and /readyz answer before any redirect, host check or session
    "core.logs.RequestContextMiddleware",  # the request id and township of every log line; denied pages logged
    "django.middleware.security.SecurityMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "households.middleware.OwnPasswordFirstMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.NoTownshipScopeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "households.context_processors.navigation",
            ],
        },
    },
]

# Form widgets render through the project's templates, so templates/django/forms/ can override one of Django's
# (the "---------" blank choice reads as a translated "Choose…").
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Always PostgreSQL. Without DATABASE_URL: the embedded server under var/postgres/ that `make run` starts
# (config/embedded.py; reading its address starts nothing). Also libpq's socket form `postgresql://u@/db?host=/dir`.
DATABASE_URL = env("DATABASE_URL", default="")
DATABASES = {
    "default": embedded.database_config(DATABASE_URL)
    if DATABASE_URL
    else embedded.postgres_config(embedded.RUN_POSTGRES)
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Server-side binding and prepared statements everywhere (tests included: one way of sending SQL); "none" turns the
# preparing off for a connection pooler in transaction mode (config/settings/serving.py).
_prepare = env("JIFEN_DB_PREPARE_THRESHOLD", default="5")
DB_PREPARE_THRESHOLD = None if _prepare.lower() in ("none", "off", "") else int(_prepare)
DATABASES["default"] = prepared(DATABASES["default"], DB_PREPARE_THRESHOLD)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The tenant and a user's place in it: the roster's models, read by the platform (core) like AUTH_USER_MODEL.
JIFEN_TOWNSHIP_MODEL = "households.Township"
JIFEN_MEMBERSHIP_MODEL = "households.Membership"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("JIFEN_SESSION_SECONDS", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Lockout after repeated failed logins: 5 failures for one username from one address, locked for 30 minutes.
AXES_FAILURE_LIMIT = env.int("JIFEN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# How many proxies append to X-Forwarded-For in front of Jifen (production: 1); 0 trusts only REMOTE_ADDR.
JIFEN_TRUSTED_PROXIES = env.int("JIFEN_TRUSTED_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"

# Content-Security-Policy (core/csp.py): nothing inline, nothing from another origin. Pico's icons are
# data: SVGs, hence img-src data:. Django already sends X-Frame-Options: DENY and X-Content-Type-Options: nosniff.
JIFEN_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# One catalog per part of the project (locale/<part>/zh_Hans/LC_MESSAGES/django.po); msgids are English.
LOCALE_PATHS = sorted(path for path in (BASE_DIR / "locale").glob("*") if path.is_dir())
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("JIFEN_STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("JIFEN_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Where `manage.py backup` writes (the image sets /data/backups, a volume of its own in docker-compose.yml).
JIFEN_BACKUP_DIR = env.path("JIFEN_BACKUP_DIR", default=BASE_DIR / "var" / "backups")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Media on an S3-compatible bucket when JIFEN_MEDIA_S3_BUCKET is set (config/media_storage.py), local files otherwise.
if _s3_media := media_storage.s3_storage(os.environ):
    STORAGES["default"] = _s3_media
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REST_FRAMEWORK = {
    # Token first, as core.api.APIDefaults: an anonymous call gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON, written by orjson (core.renderers.JSONRenderer).
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jifen API",
    "DESCRIPTION": "Village points schemes (积分制管理). Every tenant route lives under /api/v1/t/<township>/.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name for a choice set used by several fields (an account's kind, a scheme's account kinds, a ranking).
    "ENUM_NAME_OVERRIDES": {
        "AccountKindEnum": "scoring.models.accounts.AccountKind.choices",
        "CadenceEnum": "scoring.periods.Cadence.choices",
    },
}

# Without REDIS_URL tasks run in-process (eagerly); with it, a real Celery worker takes them. `make run` without
# REDIS_URL starts the embedded Redis and sets REDIS_URL=redis+socket://…/var/redis/redis.sock for its processes.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE

JIFEN_AREA_SOFT_LIMIT = 100  # seed 1: "每组不超过100户"; above it Jifen warns, it does not refuse
JIFEN_IMPORT_MAX_BYTES = 5 * 1024 * 1024
JIFEN_IMPORT_MAX_ROWS = 20000
JIFEN_IMPORT_RETENTION_DAYS = env.int(
    "JIFEN_IMPORT_RETENTION_DAYS", default=7
)  # full ID numbers kept for an import are masked this long after it ends

# One line per record on stdout with time, level, request id and township slug (core/logs.py); JSON lines when
# JIFEN_LOG_JSON=1. Django's own loggers propagate to the root's one handler, so nothing prints twice.
JIFEN_LOG_LEVEL = env("JIFEN_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.RequestContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s %(township)s] %(name)s: %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "filters": ["context"],
            "formatter": "json" if env.bool("JIFEN_LOG_JSON", default=False) else "text",
        }
    },
    "root": {"handlers": ["console"], "level": JIFEN_LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": JIFEN_LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": JIFEN_LOG_LEVEL, "propagate": True},
    },
}
JIFEN_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
JIFEN_EVIDENCE_MAX_PIXELS = 50_000_000  # a phone photo is ~12-50 megapixels; more is a decompression bomb
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-jobs": {"task": "core.tasks.requeue_stale_jobs", "schedule": 300.0},
    # A worker writes its heartbeat every minute; /readyz fails when it is older than JIFEN_HEARTBEAT_STALE_SECONDS.
    "worker-heartbeat": {"task": "core.tasks.heartbeat", "schedule": 60.0},
}
CELERY_BEAT_SCHEDULE["purge-finished-jobs"] = {
    "task": "core.tasks.purge_finished_jobs",
    "schedule": 24 * 3600.0,
}
CELERY_BEAT_SCHEDULE["purge-old-import-batches"] = {
    "task": "households.tasks.purge_old_import_batches",
    "schedule": 24 * 3600.0,
}
# Finished jobs with their files, and finished import batches, are deleted this many days after they finished.
JIFEN_RETENTION_DAYS = env.int("JIFEN_RETENTION_DAYS", default=30)
# A running job whose worker gave no sign of life this long lost its worker: the sweeper sends it again.
JIFEN_JOB_STALE_MINUTES = env.int("JIFEN_JOB_STALE_MINUTES", default=15)
# Nothing reads task results (jobs keep their state in the database): Celery stores none.
CELERY_TASK_IGNORE_RESULT = True
# Workers log through LOGGING too (time, level, JSON lines), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
JIFEN_HEARTBEAT_STALE_SECONDS = env.int("JIFEN_HEARTBEAT_STALE_SECONDS", default=180)
JIFEN_MIN_FREE_DISK_MB = env.int("JIFEN_MIN_FREE_DISK_MB", default=500)
JIFEN_EXPORT_INLINE_LIMIT = 2000  # larger roster exports run as a job with progress
# The balances kept with the ledger, recomputed from it once a week (issue 19; `manage.py verify_balances`).
CELERY_BEAT_SCHEDULE["verify-balances"] = {
    "task": "rewards.tasks.verify_balances",
    "schedule": 7 * 24 * 3600.0,
}
CELERY_BEAT_SCHEDULE["close-ended-notices"] = {"task": "review.tasks.close_ended_notices", "schedule": 300.0}
JIFEN_PUBLIC_BASE_URL = env("JIFEN_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
JIFEN_OBJECTIONS_PER_HOUR = 5
JIFEN_DOCUMENT_INLINE_ROWS = env.int(
    "JIFEN_DOCUMENT_INLINE_ROWS", default=300
)  # bigger: a job on "documents"
# A notice sheet of more rows renders in parts joined into one PDF (publicity.documents.notice_sheet_pdf)
JIFEN_NOTICE_PART_ROWS = env.int("JIFEN_NOTICE_PART_ROWS", default=600)
CELERY_BEAT_SCHEDULE["purge-import-identities"] = {
    "task": "households.tasks.purge_import_identities",
    "schedule": 3600.0,
}
JIFEN_PENDING_UPLOAD_HOURS = (
    24  # a photo kept across a failed submit waits this long for the form to be saved
)
