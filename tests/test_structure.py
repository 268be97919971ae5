"""The shape the structural review asked for (issue 13): small modules, one SQL dialect, services that take the
acting membership. The layers themselves are import-linter's (.importlinter, in `make test`), the types mypy's."""

import inspect
from pathlib import Path

from .contract import APPS, services_modules

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500


def _modules():
    for app in [*APPS, "config"]:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_no_module_is_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, "split these into packages by purpose"


def test_one_sql_dialect():
    """PostgreSQL everywhere: no branch on the database vendor, no SQLite."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in [*_modules(), *(p for app in APPS for p in (ROOT / app / "migrations").glob("*.py"))]
        if path.exists()
        for text in [path.read_text(encoding="utf-8")]
        if "connection.vendor" in text or "sqlite" in text.lower()
    ]
    assert offenders == []


def test_services_take_the_acting_membership_not_a_user():
    """`actor` (a User) is gone from services: the acting member is `membership`, typed."""
    offenders = []
    for module in services_modules():
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_"):
                parameters = inspect.signature(fn).parameters
                if "actor" in parameters:
                    offenders.append(f"{module.__name__}.{name}")
                if (
                    "membership" in parameters
                    and parameters["membership"].annotation is inspect.Parameter.empty
                ):
                    offenders.append(f"{module.__name__}.{name} (untyped membership)")
    assert offenders == []
