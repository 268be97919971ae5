# Jifen's verbs. `make run` and `make test` are the two commands; both start with `make install`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEB_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 poppler-utils chromium gettext libzbar0 postgresql-client
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PO_FILES := $(wildcard locale/*/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 8000
ONLY ?=

.PHONY: install lock debs venv messages run stop worker-start worker-stop test lint format bench backup restore clean

install: debs venv messages

debs:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	$(PYTHON) -c "import ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

venv: $(VENV)/.installed

# The versions come from the lock files (requirements.lock: production; requirements-dev.lock: with the dev tools);
# `make lock` refreshes both from pyproject.toml's ranges (uv, from PyPI), then `make install` installs them.
$(VENV)/.installed: pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Jifen needs Python 3.11 or newer"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

lock:
	@test -x $(BIN)/uv || $(BIN)/pip install -q uv
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 -q -o requirements-dev.lock

messages: $(MO_FILES)

%.mo: %.po
	@msgfmt --check-format -o $@ $<

# Without DATABASE_URL / REDIS_URL: the embedded PostgreSQL (var/postgres/) and Redis (var/redis/) from the wheels
# (config/embedded.py), and always a real Celery worker. Ctrl-C stops what it started, each by its pid file.
run: install
	@mkdir -p var
	@trap '$(MAKE) --no-print-directory -s stop-run' EXIT; \
	eval "$$($(BIN)/python -m config.embedded start)" && \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py seed_demo && \
	$(MAKE) --no-print-directory worker-start && \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# What `make run` started (the worker, then the embedded servers); `make stop` also stops the tests' embedded pair.
stop-run: worker-stop
	@$(BIN)/python -m config.embedded stop run

stop: worker-stop
	@$(BIN)/python -m config.embedded stop all

# A real Celery worker (needs REDIS_URL; `make run` sets it); stopped by its own pidfile, never by name.
worker-start:
	@mkdir -p var
	$(BIN)/celery -A config worker -Q celery,documents --max-tasks-per-child 50 --detach --pidfile=var/celery-worker.pid --logfile=var/celery-worker.log -l info
	@echo "Celery worker started (pid file var/celery-worker.pid; stop it with: make worker-stop)"

worker-stop:
	@if [ -f var/celery-worker.pid ]; then pid="$$(cat var/celery-worker.pid)"; kill "$$pid" 2>/dev/null && \
	  { for _ in $$(seq 100); do kill -0 "$$pid" 2>/dev/null || break; sleep 0.1; done; echo "worker stopped"; }; \
	  rm -f var/celery-worker.pid; fi

# The system PostgreSQL/Redis when they let us log in, else the embedded pair (config/settings/test.py), which is
# stopped when the suite ends. pytest runs on PYTEST_WORKERS parallel pytest-xdist workers (one per core, at most 8;
# each has its own test database, Redis database and media folder: config/settings/test.py), a test file per worker
# at a time (--dist loadfile: module fixtures are built once). `make test PYTEST_WORKERS=0` runs in one process;
# PYTEST_ARGS adds pytest options, e.g. `make test PYTEST_ARGS="tests/scoring -x"`.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 8 ? n : 8 )))
PYTEST_XDIST ?= -n $(PYTEST_WORKERS) --dist loadfile
test: install
	$(BIN)/ruff check .
	@if docker compose version >/dev/null 2>&1; then \
	  DJANGO_SECRET_KEY=compose-config-check docker compose config --quiet && echo "docker compose config: valid"; \
	else echo "docker compose: no Docker client with compose here, so docker-compose.yml was not validated by Docker (tests/test_deployment.py checks its shape)"; fi
	$(BIN)/lint-imports
	$(BIN)/mypy
	@trap '$(BIN)/python -m config.embedded stop test' EXIT; \
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run && \
	$(BIN)/pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run.py $(ONLY)

# Backups of a PostgreSQL deployment (DATABASE_URL): var/backups/jifen-<timestamp>.dump + -media.tar.gz.
# Restore replaces the database's tables (asks first; YES=1 does not ask): make restore FILE=var/backups/….dump
backup:
	$(BIN)/python manage.py backup $(if $(BACKUP_DIR),--dir "$(BACKUP_DIR)")

restore:
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=var/backups/jifen-<timestamp>.dump [YES=1]"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" $(if $(YES),--noinput)

clean:
	rm -rf var/test-media test-artifacts
