"""The API's error bodies (README, "API changelog"), spelled once for the tests."""

NON_FIELD = "non_field_errors"


def error(code: str, detail: str, field: str | None = None) -> dict:
    """Every error body: {code, detail, field}."""
    return {"code": code, "detail": detail, "field": field}


def invalid(errors: dict[str, list[str]], *, code: str = "invalid") -> dict:
    """A 400: every message by field in `errors`; `code`, `detail` and `field` describe the first one."""
    field, messages = next(iter(errors.items()))
    return {**error(code, messages[0], None if field == NON_FIELD else field), "errors": errors}


def refusal(code: str, detail: str, field: str | None = None) -> dict:
    """A 400 from a service's DomainError: one message, under its field (or the whole object)."""
    return {**error(code, detail, field), "errors": {field or NON_FIELD: [detail]}}


def fields(response) -> set[str]:
    """The fields a 400 names (`non_field_errors` for the whole object)."""
    return set(response.json()["errors"])
