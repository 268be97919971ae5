"""The one error type for mistakes a user can cause. Views turn it into a form error, an API 400 or a message."""


class DomainError(Exception):
    def __init__(self, message, *, field: str | None = None, code: str = "invalid"):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code
