"""The yearly report's tables keep names on one line (issue 17, problem 9: village names broke one character
per line when the table had many columns)."""

import subprocess

from core.tenancy import township_scope
from households.models import Membership
from oversight.reports import report_pdf, township_report


def test_the_yearly_report_keeps_village_names_on_one_line(dash):
    dash.v1.name, dash.v2.name = "青山村民委员会", "绿水村民委员会"
    dash.v1.save(update_fields=["name"])
    dash.v2.save(update_fields=["name"])
    membership = Membership.objects.get(user=dash.admin)
    with township_scope(dash.township):
        content = report_pdf(township_report(dash.township, membership, 2026))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()  # noqa: S607

    assert text.count("青山村民委员会") >= 3 and text.count("绿水村民委员会") >= 3
