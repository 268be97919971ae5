"""Who and why, for django-simple-history: the acting member's user and the reason, set on the instance before it
is saved (never read from a thread-local request)."""

from django.db import models

from .models import Membership


def stamp(instance: models.Model, membership: Membership, reason: str = "") -> None:
    instance._history_user = membership.user  # type: ignore[attr-defined]
    # simple-history keeps at most 100 characters
    instance._change_reason = (reason or "")[:100] or None  # type: ignore[attr-defined]
