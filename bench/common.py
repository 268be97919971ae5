"""Shared set-up for benchmarks: Django on the bench database, a fresh schema, a timer."""

import os
import statistics
import time


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    import django

    django.setup()


def fresh_database() -> None:
    """Drop and re-create the bench database, then migrate it."""
    import psycopg
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    db = settings.DATABASES["default"]
    connections.close_all()
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def best_of(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time of `repeat` runs (after one warm-up), and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def report(name: str, ours: float, baseline: float) -> None:
    print(f"BENCH {name} ours={ours:.4f} baseline={baseline:.4f} ratio={ours / baseline:.2f}", flush=True)


SEED1_CATEGORIES = [
    ("党的建设", "20", "annual"),
    ("民生保障", "20", "annual"),
    ("环境整治", "40", "quarterly"),
    ("文明新风", "40", "quarterly"),
    ("遵纪守法", "20", "annual"),
]


def seed1_scheme(*, actor, township, floor: str | None = "0"):
    """A draft scheme with seed 1's five categories (base 140); call inside the township scope. Returns
    (scheme, categories); the benchmark adds its own items and activates it."""
    from decimal import Decimal

    from scoring import services

    scheme = services.create_scheme(actor=actor, township=township, name="基准", year=2026)
    categories = [
        services.add_category(
            actor=actor,
            scheme=scheme,
            name=name,
            base_score=Decimal(base),
            cadence=cadence,
            floor=None if floor is None else Decimal(floor),
            order=order,
        )
        for order, (name, base, cadence) in enumerate(SEED1_CATEGORIES)
    ]
    return scheme, categories
