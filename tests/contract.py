"""The permission contract (issue 13, item 4): every service that changes state takes the acting membership and
checks its right itself; pages and the API only map its refusal.

Each app lists its services in `tests/<app>/contract_cases.py`:

    CASES = {"scoring.services.record_entry": case, …}   # case(world) -> a call with no arguments
    EXEMPT = {"scoring.services.passbook_rows": "reads only", …}   # why it is not a member's state change

A case builds what the call needs (as the township office, through the services or factories), then returns the
call of the service by a member *without* the right. `tests/test_permission_contract.py` checks that every public
function of every services module is listed, and that each case raises PermissionDenied and writes nothing.
"""

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator

from households.models import Membership

APPS = ["core", "households", "scoring", "review", "rewards", "publicity", "oversight", "demonstration"]
Case = Callable[..., Callable[[], object]]


def member(user) -> Membership:
    """The user's membership (the world's users have one each)."""
    return Membership.objects.get(user=user)


# Service modules named by what they hold rather than `services` (the township office's people).
OTHER_SERVICE_MODULES = ["households.people"]


def services_modules() -> Iterator:
    """Every module named `services`, or inside a `services` package, of the apps, and OTHER_SERVICE_MODULES."""
    for name in OTHER_SERVICE_MODULES:
        yield importlib.import_module(name)
    for app in APPS:
        for info in pkgutil.walk_packages(importlib.import_module(app).__path__, f"{app}."):
            parts = info.name.split(".")
            if "services" in parts and "migrations" not in parts and "tests" not in parts:
                module = importlib.import_module(info.name)
                if not info.ispkg:
                    yield module


def public_services() -> set[str]:
    """ "module.function" for every public function defined in a services module."""
    names = set()
    for module in services_modules():
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and not name.startswith("_"):
                names.add(f"{module.__name__}.{name}")
    return names


def all_cases() -> tuple[dict[str, Case], dict[str, str]]:
    cases: dict[str, Case] = {}
    exempt: dict[str, str] = {}
    for app in APPS:
        try:
            module = importlib.import_module(f"tests.{app}.contract_cases")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"tests.{app}", f"tests.{app}.contract_cases"):  # no tests package (core)
                raise
            continue
        cases.update(getattr(module, "CASES", {}))
        exempt.update(getattr(module, "EXEMPT", {}))
    return cases, exempt
