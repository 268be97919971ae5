"""The OpenAPI schema (/api/schema/) and the Swagger UI (/api/docs/, served from drf-spectacular-sidecar)."""

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db

TOWNSHIP_PREFIX = "/api/v1/t/{township_slug}/"
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yml"

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target)
    )  # raises on any warning

    assert "/api/v1/t/{township_slug}/households/{id}/move/:" in target.read_text(encoding="utf-8")


def test_schema_lists_the_roster_routes_and_no_delete_for_villages_areas_households(schema):
    routes = {(path.removeprefix(TOWNSHIP_PREFIX), method) for path, method, _ in operations(schema)}

    assert routes >= {
        ("villages/", "get"),
        ("villages/", "post"),
        ("villages/{id}/", "patch"),
        ("areas/", "post"),
        ("households/", "get"),
        ("households/{id}/", "put"),
        ("households/{id}/move/", "post"),
        ("residents/", "post"),
        ("residents/{id}/", "delete"),
    }
    assert (
        not {("villages/{id}/", "delete"), ("areas/{id}/", "delete"), ("households/{id}/", "delete")} & routes
    )


def test_every_township_operation_declares_400_403_and_404(schema):
    township_operations = [(p, m, op) for p, m, op in operations(schema) if p.startswith(TOWNSHIP_PREFIX)]

    # Every roster route is there (4 resources × list/create/read/put/patch + the move + removing a resident),
    # and every township operation of every app declares the errors it can answer.
    roster = {"villages", "areas", "households", "residents"}
    roster_operations = [
        (p, m)
        for p, m, _op in township_operations
        if p[len(TOWNSHIP_PREFIX) :].split("/")[0] in roster
        and "passbook" not in p  # the passbook is scoring's
        and "balance" not in p  # the spendable balance is rewards'
    ]
    assert len(roster_operations) == 22
    for path, method, operation in township_operations:
        assert {"400", "403", "404"} <= set(operation["responses"]), (method, path)


def test_move_answers_201_with_the_recorded_move(schema):
    move = schema["paths"][TOWNSHIP_PREFIX + "households/{id}/move/"]["post"]

    assert move["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HouseholdMove"
    }
    assert move["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Move"
    }


def test_household_filters_and_resident_removal_reason_are_documented(schema):
    household_list = schema["paths"][TOWNSHIP_PREFIX + "households/"]["get"]
    resident_delete = schema["paths"][TOWNSHIP_PREFIX + "residents/{id}/"]["delete"]

    names = {parameter["name"] for parameter in household_list["parameters"]}
    assert {"village", "area", "participation", "search", "ordering", "page"} <= names
    assert "reason" in {parameter["name"] for parameter in resident_delete["parameters"]}


def test_members_are_nested_read_only_in_households(schema):
    household = schema["components"]["schemas"]["Household"]

    assert household["properties"]["members"]["readOnly"] is True
    assert household["properties"]["members"]["items"] == {"$ref": "#/components/schemas/Resident"}
    assert household["properties"]["head"]["writeOnly"] is True


def test_docs_page_serves_swagger_ui_from_the_vendored_sidecar(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js") is not None
