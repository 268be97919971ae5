"""The deployment's shape (issue 18): read from the files, since these machines have no Docker engine. `make test`
also runs `docker compose config` where a Docker client with compose exists."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "documents", "beat")


def test_the_image_leaves_out_secrets_local_state_and_history():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".env", ".venv", "var", ".git", "test-artifacts"} <= ignored


def test_the_production_stage_runs_as_a_user_without_test_packages():
    dockerfile = (ROOT / "Dockerfile").read_text()
    production = dockerfile.split("AS production", 1)[1]
    base = dockerfile.split("AS test", 1)[0]
    assert re.search(r"^USER jifen$", production, re.M)
    for test_only in ("poppler-utils", "libzbar0", "requirements-dev.lock"):
        assert test_only not in base and test_only not in production
    assert "requirements.lock" in base  # dependencies from the lock file


def test_gunicorn_is_pid_1_with_an_access_log_and_a_graceful_timeout():
    cmd = (ROOT / "Dockerfile").read_text().split("AS production", 1)[1].split("CMD", 1)[1]
    assert cmd.strip().startswith('["gunicorn"')  # exec form: no shell in front to swallow SIGTERM
    assert '"-c", "python:config.gunicorn"' in cmd
    from config import gunicorn

    assert gunicorn.accesslog == "-" and gunicorn.graceful_timeout == 30
    # The load benchmark starts gunicorn with the same configuration (bench/load.py).
    assert '"python:config.gunicorn"' in (ROOT / "bench" / "load.py").read_text()
    for name in APP_SERVICES:
        command = SERVICES[name].get("command", [])
        assert not isinstance(command, str) and "sh" not in command[:1], name


def test_migrations_run_once_before_web_workers_and_beat():
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in APP_SERVICES:
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, (
            name
        )


def test_web_workers_and_redis_have_healthchecks():
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    for name in ("worker", "documents"):
        node = f"{name}@%h"
        assert node in SERVICES[name]["command"]
        assert f"inspect ping -d {name}@$$HOSTNAME" in " ".join(SERVICES[name]["healthcheck"]["test"]), name
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_media_and_backups_are_volumes_and_the_public_address_is_set():
    for name in APP_SERVICES:
        assert {"media:/data/media", "backups:/data/backups"} <= set(SERVICES[name]["volumes"])
        environment = SERVICES[name]["environment"]
        assert environment["JIFEN_BACKUP_DIR"] == "/data/backups"
        assert "JIFEN_HOST" in environment["JIFEN_PUBLIC_BASE_URL"]
    assert {"media", "backups", "pgdata"} <= set(COMPOSE["volumes"])


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        for requirement in requirements
    }


def _locked(path: Path) -> set[str]:
    return {
        line.split("==", 1)[0].lower().replace("_", "-")
        for line in path.read_text().splitlines()
        if "==" in line and not line.startswith(("#", " "))
    }


def test_the_lock_files_hold_every_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, dev = _names(project["dependencies"]), _names(project["optional-dependencies"]["dev"])
    assert "pillow" in runtime  # evidence photos are read with Pillow (scoring/evidence.py)
    assert runtime <= _locked(ROOT / "requirements.lock")
    assert runtime | dev <= _locked(ROOT / "requirements-dev.lock")
    assert not {"pytest", "playwright", "hypothesis", "pyzbar"} & _locked(
        ROOT / "requirements.lock"
    )  # no test tools


def _in_a_process_of_its_own(script: str) -> list[int]:
    """The integers `script` prints, run with Django set up in a Python of its own (it changes the garbage
    collector of its process)."""
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=os.environ,
    ).stdout
    return [int(n) for n in out.split()]


def test_gunicorn_workers_freeze_what_they_loaded_and_collect_less_often():
    # config/gunicorn.py's post_worker_init, in a process of its own (it changes the collector of its process).
    script = (
        "import gc; from config import gunicorn; gunicorn.post_worker_init(None); "
        "print(gc.get_threshold()[0], gc.get_freeze_count())"
    )
    threshold, frozen = _in_a_process_of_its_own(script)
    assert threshold == 10_000
    assert frozen > 50_000  # Django, the models and every view module


def test_a_sheet_rendered_by_a_web_worker_leaves_its_freeze_as_it_was():
    # core.pdf._fewer_collections freezes the process for a rendering and unfreezes it after; in a web worker, which
    # froze what it loaded at start (post_worker_init), it neither adds to that freeze nor undoes it.
    script = (
        "import gc; from config import gunicorn; from core.pdf import _fewer_collections\n"
        "gunicorn.post_worker_init(None); frozen = gc.get_freeze_count()\n"
        "with _fewer_collections(): held = [[n] for n in range(1000)]\n"
        "kept = gc.get_freeze_count(); gc.unfreeze()\n"
        "with _fewer_collections(): during = gc.get_freeze_count()\n"
        "print(frozen, kept, during, gc.get_freeze_count())"
    )
    frozen, kept, during, after = _in_a_process_of_its_own(script)
    assert frozen > 0 and kept == frozen  # a worker's freeze: kept whole, nothing added
    assert (
        during > 0 and after == 0
    )  # elsewhere (a documents worker): frozen for the rendering, then unfrozen
