# Jifen's image: one image for web (gunicorn), the Celery workers and beat (docker-compose.yml).
# Stages: `base` (runtime libraries and the application), `test` (adds the test-only tools: poppler, zbar and the
# dev dependencies; `docker build --target test .`), `production` (the default: no test packages, a non-root user).
FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production
# Runtime: Chinese fonts and HarfBuzz's subsetter for the PDFs (PITFALLS: 30x slower without it), Pango for
# WeasyPrint, pg_dump/pg_restore for `manage.py backup`; gettext compiles the catalogues below.
RUN apt-get update && apt-get install -y --no-install-recommends \
      fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, from the lock file, so that a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps . \
    && for po in locale/*/*/LC_MESSAGES/django.po; do msgfmt -o "${po%.po}.mo" "$po"; done \
    && DJANGO_SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
       JIFEN_PUBLIC_BASE_URL=https://build.invalid python manage.py collectstatic --noinput

FROM base AS test
RUN apt-get update && apt-get install -y --no-install-recommends poppler-utils libzbar0 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements-dev.lock ./
RUN pip install --no-cache-dir -r requirements-dev.lock
CMD ["python", "-m", "pytest", "-q"]

FROM base AS production
RUN groupadd --system --gid 10001 jifen \
    && useradd --system --uid 10001 --gid jifen --home-dir /app --no-create-home jifen \
    && mkdir -p /data/media /data/backups \
    && chown -R jifen:jifen /data
USER jifen
ENV JIFEN_MEDIA_ROOT=/data/media JIFEN_BACKUP_DIR=/data/backups
EXPOSE 8000
# gunicorn is PID 1 itself (exec form), so it receives SIGTERM and finishes the requests in flight. Its workers,
# threads, access log and timeouts are config/gunicorn.py's: the configuration bench/load.py measures.
CMD ["gunicorn", "-c", "python:config.gunicorn"]
