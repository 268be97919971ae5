"""The points the roster's pages show for each household (households.figures): this year's total of each active
scheme, read through the score rule's one statement (selectors.household_scores)."""

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from households.models import Household

from .models import Scheme, SchemeState
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
    schemes = Scheme.objects.filter(state=SchemeState.ACTIVE, year=year).prefetch_related("categories")
    for scheme in schemes.order_by("name", "pk"):
        scores = household_scores(scheme, Household.objects.filter(pk__in=taking_part))
        for household_id, score in scores.items():
            points.setdefault(household_id, []).append(SchemePoints(scheme, score.total))
    return points
