"""The points the roster's pages show for each household (households.figures): this year's total of each active
scheme, read through the score rule's one statement (selectors.household_scores)."""

import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from core.rows import columns, instance, keep_prefetched, width
from households.models import Household

from .models import Category, Scheme, SchemeState
from .selectors import household_scores


class SchemePoints(NamedTuple):
    scheme: Scheme
    total: Decimal


def household_points(
    households: Sequence[Household], *, year: int | None = None
) -> dict[int, list[SchemePoints]]:
    """{household id: [(scheme, total), …]}: this year's total of each active scheme for the households taking part
    among `households` (the roster's pages: `households.figures`). The score rule's one statement per scheme, so the
    number of queries follows the schemes, never the households."""
    year = timezone.localdate().year if year is None else year
    taking_part = [h.pk for h in households if h.takes_part]
    points: dict[int, list[SchemePoints]] = {}
    if not taking_part:
        return points
    for scheme in _active_schemes(households[0].township_id, year):
        scores = household_scores(scheme, Household.objects.filter(pk__in=taking_part))
        for household_id, score in scores.items():
            points.setdefault(household_id, []).append(SchemePoints(scheme, score.total))
    return points


def _active_schemes(township_id: int, year: int) -> list[Scheme]:
    """The township's active schemes of `year`, by name, with their categories in their order in hand, as
    `prefetch_related("categories")` leaves them (`scheme.categories.all()` asks no query). One statement written
    out (`_active_schemes_sql`): every roster page shows the points, and the ORM's two queries cost 1.4 ms to
    build against 0.1 ms of reading (issue 19)."""
    with connection.cursor() as cursor:
        cursor.execute(_active_schemes_sql(), [township_id, SchemeState.ACTIVE, year])
        rows = cursor.fetchall()
    split = width(Scheme)
    schemes: dict[int, tuple[Scheme, list[Category]]] = {}
    for row in rows:  # each model's columns start with its id (its primary key comes first)
        if row[0] not in schemes:
            schemes[row[0]] = (instance(Scheme, row[:split]), [])
        if row[split] is not None:  # a scheme without a category still comes
            schemes[row[0]][1].append(instance(Category, row[split:]))
    for scheme, categories in schemes.values():
        keep_prefetched(scheme, "categories", categories)
    return [scheme for scheme, _categories in schemes.values()]


@functools.cache
def _active_schemes_sql() -> str:
    # Only the models' own column names are written into it; the values are parameters. Categories in their
    # model's order (scheme, order, id).
    return f"""
        SELECT {columns(Scheme, "s")}, {columns(Category, "c")}
        FROM scoring_scheme s LEFT JOIN scoring_category c ON c.scheme_id = s.id AND c.township_id = s.township_id
        WHERE s.township_id = %s AND s.state = %s AND s.year = %s
        ORDER BY s.name, s.id, c."order", c.id
    """  # noqa: S608
