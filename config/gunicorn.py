"""gunicorn as Jifen is served: the Dockerfile's command, docker-compose's web service and bench/load.py (which
measures exactly this) all start `gunicorn -c python:config.gunicorn`. Command-line options (--bind, log files)
override these.

Threads, a few processes: a request spends a good part of its time waiting on PostgreSQL, when another thread of
the same process can run; processes use the cores. Measured with bench/load.py on 2 cores (README, "Scaling out"):
JIFEN_WEB_WORKERS × JIFEN_WEB_THREADS requests in flight at once. Each thread holds its own persistent database
connection (config/settings/serving.py), so PostgreSQL needs max_connections ≥ workers × threads per web host, plus
the Celery workers'.
"""

import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("JIFEN_WEB_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("JIFEN_WEB_WORKER_CLASS", "gthread")
workers = int(os.environ.get("JIFEN_WEB_WORKERS", "3"))
threads = int(os.environ.get("JIFEN_WEB_THREADS", "4"))
# Browsers and the proxy reuse connections between requests; an idle one costs no thread. Longer than people's
# pauses, so that a connection is not closed just as its next request is sent (measured: resets under load at 5 s).
keepalive = 75
timeout = 120
graceful_timeout = 30  # SIGTERM: the requests in flight are finished first
accesslog = "-"

# Python's cyclic garbage collector, tuned for a worker's life (issue 19). A request makes tens of thousands of
# objects (querysets, model rows, template nodes), so at the default threshold of 700 the collector ran about once
# per request and, every few hundred requests, walked the whole heap: 6.2–6.9% of a request's CPU over the load
# mix, measured in-process with gc.callbacks; 3.1% at 10,000. `gc.freeze()` moves what the worker has loaded
# (Django, the models, the URL configuration) out of the collector's way for good: the full collections that
# remain walk only what the requests make. Garbage without cycles is freed at once by reference counting, as always.
GC_THRESHOLD = (10_000, 10, 10)


def post_worker_init(worker) -> None:
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — the views and what they import, loaded before the freeze
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
