# Production-shaped image: gunicorn for web, the same image for the Celery worker and beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends \
      fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils gettext libzbar0 \
      postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY households households
COPY scoring scoring
COPY review review
COPY rewards rewards
COPY publicity publicity
RUN pip install --no-cache-dir .
COPY . .
RUN for po in locale/*/*/LC_MESSAGES/django.po; do msgfmt -o "${po%.po}.mo" "$po"; done \
    && DJANGO_SECRET_KEY=build-only-build-only-build-only-build-only-build-only python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
