"""Model instances from a statement written by hand, as the ORM would have made them.

The few reads that every request makes (a member's memberships, the schemes a page scores) are written out once
instead of being compiled by the ORM on each request (issue 19: 1.2–1.7 ms of compiling for 0.1–0.3 ms of
reading). Their rows become the same model instances (`Model.from_db`), and what they join in is kept as a
`select_related` or `prefetch_related` would keep it, so that the code reading them cannot tell.
"""

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


@functools.cache
def _fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def columns(model: type[models.Model], alias: str) -> str:
    """Every column of the model's table, in the order `instance` reads them: `alias."col", …`."""
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many of a row's values `columns(model, …)` selects."""
    return len(_fields(model))


def instance(model: type[models.Model], values: Sequence[Any]) -> Any:
    """The model instance of `values`, the columns `columns(model, …)` selected, as the ORM makes it."""
    return model.from_db(connection.alias, _fields(model), values)


def keep_prefetched(obj: models.Model, relation: str, rows: list) -> None:
    """`rows` kept as `obj`'s prefetched `relation`, as `prefetch_related(relation)` keeps them: reading
    `obj.<relation>.all()` then asks no query. The rows must be all of the relation's, in its order."""
    kept: Any = getattr(obj, relation).all()  # lazy: no query
    kept._result_cache, kept._prefetch_done = list(rows), True
    prefetched: Any = obj
    cache = getattr(prefetched, "_prefetched_objects_cache", None)
    if cache is None:
        cache = prefetched._prefetched_objects_cache = {}
    cache[relation] = kept
