"""The one error type for mistakes a user can cause. Views turn it into a form error, an API 400 or a message."""

from django.db.models import Model


class DomainError(Exception):
    def __init__(self, message: object, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code


def full_clean_or_raise(instance: Model) -> None:
    """Run the model's validation (fields and constraints) and turn its first problem into a DomainError."""
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(" ".join(messages), field=None if field == "__all__" else field) from exc
