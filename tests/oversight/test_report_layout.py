"""The yearly report's tables keep names on one line (issue 17, problem 9: village names broke one character
per line when the table had many columns). A guard: with this small township the names did not break even before
the report's `white-space: nowrap` on body cells, so this test holds the rule rather than reproducing the bug."""

import subprocess
from decimal import Decimal as D

from core.tenancy import township_scope
from households.models import Membership
from oversight.reports import report_pdf, township_report
from scoring import services as scoring


def test_the_yearly_report_keeps_village_names_on_one_line(dash):
    dash.v1.name, dash.v2.name = "青山村民委员会", "绿水村民委员会"
    dash.v1.save(update_fields=["name"])
    dash.v2.save(update_fields=["name"])
    membership = Membership.objects.get(user=dash.admin)
    with township_scope(dash.township):
        for name in ("乡风文明", "平安建设", "美丽庭院", "孝老爱亲", "移风易俗", "遵纪守法"):  # a column each
            scoring.add_category(
                membership=membership, scheme=dash.scheme, name=name, base_score=D("10"), cadence="annual"
            )
        content = report_pdf(township_report(dash.township, membership, 2026))
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()  # noqa: S607

    assert text.count("青山村民委员会") >= 3 and text.count("绿水村民委员会") >= 3
