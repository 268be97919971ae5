"""How Jifen is served by many processes and hosts (gunicorn workers): state shared through Redis and database
connections kept open. production.py applies it, and bench.py too, so that the load benchmark measures the server
as production runs it (bench/load.py; the gunicorn side is config/gunicorn.py)."""

# Sessions read from the shared cache, written through to the database: a page costs no session query, and a
# session outlives a Redis restart. Nothing about a role is kept in the session (revocation is immediate), and a
# deactivated user or a reset password is refused from the user's own row.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def redis_cache(url: str) -> dict:
    """Every worker on every host reads the same cache: rate limits, sessions."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "jifen",
            "OPTIONS": {"health_check_interval": 30},
        }
    }


def persistent(database: dict, max_age: int) -> dict:
    """Connections kept open `max_age` seconds and checked before reuse: no new connection (and no login round
    trips) per request."""
    return {**database, "CONN_MAX_AGE": max_age, "CONN_HEALTH_CHECKS": True}


def prepared(database: dict, threshold: int | None) -> dict:
    """Parameters bound by PostgreSQL itself (psycopg 3's server-side binding), and a statement run more than
    `threshold` times on a connection prepared there: parsed and planned once per connection, not once per execution
    (one SELECT of a request: 0.39–0.72 ms before, 0.22–0.32 ms prepared; measured, issue 19). `threshold` None:
    nothing prepared (a transaction-mode connection pooler that keeps no prepared statements).

    An expression with a parameter cannot be repeated in a GROUP BY under server-side binding (PostgreSQL sees two
    different parameters): aggregate it, or group by a column."""
    options = {**database.get("OPTIONS", {}), "server_side_binding": True, "prepare_threshold": threshold}
    return {**database, "OPTIONS": options}
