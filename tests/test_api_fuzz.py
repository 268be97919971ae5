"""API fuzzing (issue 8.1): schemathesis against Jifen's own OpenAPI schema, as each role of township A.

Every operation of /api/schema/ gets generated requests (valid and invalid data) sent through the WSGI app in
process, authenticated by the role's token. Checks: no 5xx, a status code the schema declares, the declared
content type and a body that conforms to the declared schema. Path ids are mostly real objects of township A
(tests/full_township.py seeds one of every kind), so requests reach the handlers instead of stopping at a 404.

Bounded and deterministic: a fixed number of examples per operation, derandomized, no example database; the seed
is built once per module inside a transaction that is rolled back, and each operation runs in its own savepoint.
The schema is loaded at module level (PITFALLS: `from_fixture` breaks with pytest 9.2).
"""

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from households.tenancy import dangerously_all_townships
from tests.full_township import objects_of_segment, seed_two_townships

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROLES = ["admin", "clerk", "panel", "supervisor", "county"]
WRITERS = {"admin", "clerk"}  # the roles whose writes get past the 403: they get more examples
EXAMPLES = {"writer": 12, "reader": 4}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"deterministic": True, "database": "none"},
        # The coverage phase enumerates every boundary of every field: far too many requests for CI.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)


def _openapi() -> dict:
    """The schema /api/schema/ serves, generated in process (the view itself would open a database transaction)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


schema = schemathesis.openapi.from_dict(_openapi(), config=CONFIG)
schema.app = get_wsgi_application()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    for world in seed_two_townships(django_db_blocker):
        with dangerously_all_townships():
            tokens = {role: Token.objects.create(user=getattr(world.a, role)).key for role in ROLES}
        yield world, tokens


def real_path_parameters(case, township) -> None:
    """Township A's slug; an id drawn among A's objects of the route's kind (one time in four: the raw value)."""
    parameters = case.path_parameters or {}
    if "township_slug" in parameters:
        parameters["township_slug"] = township.slug
    segments = [s for s in case.operation.path.split("/") if s]
    for name, value in list(parameters.items()):
        if name == "township_slug" or not isinstance(value, int) or value % 4 == 3:
            continue
        segment = segments[segments.index(f"{{{name}}}") - 1]
        with dangerously_all_townships():
            ids = sorted(objects_of_segment(segment, township).values_list("pk", flat=True))
        if ids:
            parameters[name] = ids[value % len(ids)]


def run_case(case, role, seeded):
    world, tokens = seeded
    real_path_parameters(case, world.a.township)
    case.call_and_validate(headers={"Authorization": f"Token {tokens[role]}"}, checks=CHECKS)


_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "print_blob": False,
}


@pytest.mark.parametrize("role", sorted(WRITERS))
@schema.parametrize()
@settings(max_examples=EXAMPLES["writer"], **_SETTINGS)
def test_api_as_a_writer(case, role, seeded):
    run_case(case, role, seeded)


@pytest.mark.parametrize("role", sorted(set(ROLES) - WRITERS))
@schema.parametrize()
@settings(max_examples=EXAMPLES["reader"], **_SETTINGS)
def test_api_as_a_reader(case, role, seeded):
    run_case(case, role, seeded)
