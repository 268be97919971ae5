"""Start-up checks of the platform's contracts."""

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model


@checks.register()
def village_paths(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """Every township-owned model declares how it reaches its village (core.permissions), and the path exists."""
    from .models import TownshipOwned

    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not issubclass(model, TownshipOwned):
            continue
        if not hasattr(model, "village_path"):
            errors.append(
                checks.Error(
                    f"{model._meta.label} declares no village_path",
                    hint='Say how it reaches its village: "village", "household__village", "" or None.',
                    obj=model,
                    id="core.E001",
                )
            )
            continue
        path = getattr(model, "village_path")  # noqa: B009 — declared by each concrete model
        if not path:
            continue
        current: type[Model] | None = model
        try:
            for step in path.split("__"):
                assert current is not None
                field = current._meta.get_field(step)
                current = field.related_model
        except (FieldDoesNotExist, AttributeError):
            current = None
        if current is None or current._meta.label != "households.Village":
            errors.append(
                checks.Error(
                    f"{model._meta.label}.village_path {path!r} does not lead to a village",
                    obj=model,
                    id="core.E002",
                )
            )
    return errors
