"""Statements bound and prepared by PostgreSQL (issue 19; config/settings/serving.py: prepared): a statement run more
than JIFEN_DB_PREPARE_THRESHOLD times on a connection is parsed and planned there once. The tests run this way too,
so every query of the suite is checked with server-side binding."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Value

from households.models import Township

pytestmark = pytest.mark.django_db

PROBE = (
    "import json, django; django.setup(); from django.conf import settings;"
    "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)


def _prepared(marker: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s AND NOT from_sql",
            [f"%{marker}%"],
        )
        return cursor.fetchone()[0]


def test_a_statement_run_often_is_prepared_on_its_connection_and_answers_as_before():
    options = connection.settings_dict["OPTIONS"]
    assert options["server_side_binding"] is True
    threshold = options["prepare_threshold"]
    assert threshold == 5
    place = Township.objects.create(slug="prepared", name="预备镇")
    # An ORM query of its own shape (its alias names it in pg_prepared_statements).
    query = (
        Township.objects.filter(slug="prepared")
        .annotate(prep_check=Value(1))
        .values_list("name", "prep_check")
    )
    for n in range(threshold + 1):
        assert _prepared("prep_check") == 0, f"prepared after {n} runs"
        assert list(query.all()) == [("预备镇", 1)]
    assert list(query.all()) == [("预备镇", 1)]  # run prepared, same answer
    assert _prepared("prep_check") == 1
    assert Township.objects.get(pk=place.pk).slug == "prepared"


@pytest.mark.parametrize(("value", "expected"), [("none", None), ("2", 2), (None, 5)])
def test_the_threshold_comes_from_the_environment_and_none_turns_preparing_off(value, expected):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    environment.pop("PYTEST_XDIST_WORKER", None)
    environment.pop("JIFEN_DB_PREPARE_THRESHOLD", None)
    if value is not None:
        environment["JIFEN_DB_PREPARE_THRESHOLD"] = value
    result = subprocess.run(  # noqa: S603 — this interpreter, a fixed probe
        [sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])
    assert options["prepare_threshold"] == expected
    assert options["server_side_binding"] is True
