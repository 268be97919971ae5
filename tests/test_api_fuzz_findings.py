"""What the API fuzzer (tests/test_api_fuzz.py) found, each pinned by the test that would have caught it."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api_errors import error

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    token = Token.objects.create(user=world.a.admin)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


def test_an_api_url_that_matches_no_route_answers_json_404(api, world):
    # The routers' ids match [^/.]+, so an id like 1.5 (or 6.5e-267) matched no route and got Django's HTML page.
    for url in [
        "/api/v1/t/town-a/villages/1.5/",
        "/api/v1/t/town-a/households/6.5e-267/move/",
        "/api/v1/nothing/",
    ]:
        response = api.get(url)

        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert response.json() == error("not_found", "未找到。")


def test_a_page_url_that_matches_no_route_still_answers_the_html_page(client, world):
    client.force_login(world.a.admin)

    response = client.get("/t/town-a/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_write_with_a_body_drf_cannot_parse_answers_415_and_the_schema_declares_it(api, world, client):
    # A multipart body without its boundary got a 415 that no operation declared.
    response = api.generic("POST", "/api/v1/t/town-a/villages/", "name=x", content_type="text/plain")
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    assert response.status_code == 415
    assert response.json() == error("unsupported_media_type", "不支持请求中的媒体类型 “text/plain”。")
    villages = paths["/api/v1/t/{township_slug}/villages/"]
    assert "415" in villages["post"]["responses"] and "415" not in villages["get"]["responses"]
    assert "415" in paths["/api/v1/t/{township_slug}/households/{id}/"]["patch"]["responses"]


def test_more_form_fields_than_django_accepts_answers_json_400_in_the_api(api, world, settings):
    # Django refuses the body (TooManyFieldsSent, a SuspiciousOperation) before DRF sees it: its HTML 400 page.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    fields = {f"field{n}": "x" for n in range(11)}

    response = api.post("/api/v1/t/town-a/entries/approve/", fields, format="multipart")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        **error("parse_error", "错误的请求。"),
        "errors": {"non_field_errors": ["错误的请求。"]},
    }


def test_a_page_refusing_too_many_fields_still_answers_the_html_400(client, world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client.force_login(world.a.admin)

    response = client.post("/t/town-a/villages/new/", {f"field{n}": "x" for n in range(11)})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
