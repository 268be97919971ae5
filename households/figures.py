"""What higher apps say about households on the roster's pages: their points (scoring) and stars (rewards).

The roster cannot import those apps (.importlinter), so each registers a reader at start-up (its AppConfig.ready):
`reader(households)` takes the households of a page and answers {household id: value} for those it has something
to say about, in a number of queries that does not grow with the households (the list stays constant). The pages
call `attach_figures` and show `household.figures.points` and `household.figures.stars`.
"""

from collections.abc import Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from .models import Household

FigureReader = Callable[[Sequence[Household]], Mapping[int, Any]]

_readers: dict[str, FigureReader] = {}


def register_household_figures(name: str, reader: FigureReader) -> None:
    _readers[name] = reader


def attach_figures(households: Sequence[Household]) -> list[Household]:
    """Sets `figures` on each household: one attribute per registered reader (None when it has nothing)."""
    households = list(households)
    answers = {name: reader(households) if households else {} for name, reader in _readers.items()}
    for household in households:
        household.figures = SimpleNamespace(  # type: ignore[attr-defined]
            **{name: answer.get(household.pk) for name, answer in answers.items()}
        )
    return households
