"""The printed passbook names who recorded and approved each entry by name, never by login (issue 17, problem 10)."""

import datetime
import subprocess

import pytest
from django.urls import reverse

from scoring import services as scoring
from tests.contract import member
from tests.notices import approve_through_notice

pytestmark = pytest.mark.django_db


def test_the_printed_passbook_names_the_recorder_and_approver_by_their_names(login, rw, world):
    rw.clerk.first_name, rw.admin.first_name = "李秀梅", "王建国"
    rw.clerk.save(update_fields=["first_name"])
    rw.admin.save(update_fields=["first_name"])
    entry = scoring.record_entry(
        membership=member(rw.clerk), household=rw.h1, item=rw.clean, occurred_on=datetime.date(2026, 3, 2)
    )
    approve_through_notice([entry], membership=member(rw.admin))

    url = reverse("publicity:passbook-print", kwargs={"township_slug": rw.township.slug, "pk": rw.h1.pk})
    response = login(world.a.clerk).get(url)

    assert response.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout
    text = text.decode()
    assert "李秀梅" in text and "王建国" in text
    assert rw.clerk.username not in text and rw.admin.username not in text
