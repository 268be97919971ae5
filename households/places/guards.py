"""What a merge of villages or areas means for the rows of higher apps (review panels, open rounds).

The roster cannot import those apps (.importlinter), so each registers a guard at start-up (its AppConfig.ready):
`guard(kind, source, target)` runs inside the merge's transaction, before anything moves. It raises DomainError
to refuse the merge with a message saying what to do first, or moves its own rows along."""

from collections.abc import Callable
from typing import Any, Literal

MergeKind = Literal["village", "area"]
MergeGuard = Callable[[MergeKind, Any, Any], None]

_guards: list[MergeGuard] = []


def register_merge_guard(guard: MergeGuard) -> None:
    if guard not in _guards:
        _guards.append(guard)


def run_merge_guards(kind: MergeKind, source: Any, target: Any) -> None:
    for guard in _guards:
        guard(kind, source, target)
