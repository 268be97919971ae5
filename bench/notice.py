"""Render the notice sheet (A4) for a village of 300, 1,000 and 3,000 households: seconds, pages, peak memory.

Targets (issue 19): 300 households under 1.5 s; 3,000 in at most 10 × that, peak memory ≤ 400 MB (a sheet that big
renders in parts joined into one PDF, publicity.documents.notice_sheet_pdf). The data is built in this process; the
sheet is rendered in a fresh process of its own (warmed up by rendering its first 40 rows: fonts, templates,
WeasyPrint), so its peak memory (ru_maxrss) is the rendering's, as a documents worker's would be.
"""

import os
import subprocess
import sys
import tempfile

from bench.common import fresh_database, setup_django


def _build(households: int):
    import datetime
    from decimal import Decimal

    from django.contrib.auth import get_user_model

    from core.tenancy import township_scope
    from households.models import Area, Household, Membership, Resident, Role, Township, Village
    from review import services as review
    from review.models import PanelMember, ReviewPanel
    from scoring import services as scoring

    fresh_database()
    users = get_user_model().objects
    township = Township.objects.create(slug="bench", name="基准镇")
    with township_scope(township):
        admin = users.create_user("bench-admin")
        Membership.objects.create(township=township, user=admin, role=Role.TOWNSHIP_ADMIN)
        membership = Membership.objects.get(user=admin)
        village = Village.objects.create(township=township, name="基准村")
        areas = [Area.objects.create(township=township, village=village, name=f"{n}组") for n in range(1, 11)]
        created = Household.objects.bulk_create(
            Household(township=township, village=village, area=areas[i % 10], number=f"B-{i:05d}")
            for i in range(households)
        )
        names = "王李张刘陈杨黄赵吴周"
        Resident.objects.bulk_create(
            Resident(
                township=township, household=h, name=f"{names[i % 10]}{names[(i // 10) % 10]}明", is_head=True
            )
            for i, h in enumerate(created)
        )
        scheme = scoring.create_scheme(membership=membership, township=township, name="基准", year=2026)
        for order, (name, base, cadence) in enumerate(
            [
                ("党的建设", 20, "annual"),
                ("民生保障", 20, "annual"),
                ("环境整治", 40, "quarterly"),
                ("文明新风", 40, "quarterly"),
                ("遵纪守法", 20, "annual"),
            ]
        ):
            scoring.add_category(
                membership=membership,
                scheme=scheme,
                name=name,
                base_score=Decimal(base),
                cadence=cadence,
                order=order,
            )
        scoring.activate_scheme(membership=membership, scheme=scheme)
        panels = []
        for n in (0, 1):
            panel = ReviewPanel.objects.create(
                township=township, village=village, name=f"评议小组{n}", home_area=areas[n]
            )
            for k in range(5):
                user = users.create_user(f"bench-panel-{n}-{k}")
                PanelMember.objects.create(township=township, panel=panel, user=user, kind="committee")
            panels.append(panel)
        round_ = review.create_round(
            membership=membership, village=village, scheme=scheme, kind="annual", period="2026"
        )
        review.apply_rotation(membership=membership, round=round_)
        review.move_round(membership=membership, round=round_, move="open")
        review.move_round(membership=membership, round=round_, move="start_panel_review")
        for panel in panels:
            review.record_panel_meeting(
                membership=membership,
                round=round_,
                panel=panel,
                held_on=datetime.date(2026, 6, 1),
                attendees=[m.user for m in panel.members.all()],
            )
        review.move_round(membership=membership, round=round_, move="to_representatives")
        review.record_representatives_meeting(
            membership=membership,
            round=round_,
            held_on=datetime.date(2026, 6, 2),
            attendee_names="代表",
            township_staff="镇干部",
        )
        review.move_round(membership=membership, round=round_, move="open_notice")
    return township, round_


RENDER = """
import resource, sys, time
from bench.common import setup_django
setup_django()
from core.pdf import render_pdf
from core.tenancy import township_scope
from households.models import Township
from publicity.documents import notice_sheet_pdf
from publicity.notice import build_notice
from review.models import ReviewRound

township = Township.objects.get(slug="bench")
with township_scope(township):
    round_ = ReviewRound.objects.get()
    # Warm-up, as a documents worker is after its first sheet: fonts, templates, WeasyPrint (a page of the sheet).
    notice = build_notice(round_)
    render_pdf(
        "publicity/notice_sheet.html",
        {"notice": notice, "rows": notice.rows[:40], "part": "whole", "first": True, "last": True},
    )
    start, cpu = time.perf_counter(), time.process_time()
    content, _name = notice_sheet_pdf(round_)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
with open(sys.argv[1], "wb") as pdf:
    pdf.write(content)
print(seconds, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _run(households: int) -> None:
    setup_django()
    from django.db import connections

    _build(households)
    connections.close_all()
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        rendered = subprocess.run(  # noqa: S603 — this interpreter, a fixed script
            [sys.executable, "-c", RENDER, pdf.name],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        ).stdout
        info = subprocess.run(["pdfinfo", pdf.name], capture_output=True, text=True, check=True).stdout  # noqa: S607
    seconds, cpu, peak_mb = (float(figure) for figure in rendered.split()[-3:])
    pages = next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1]
    # The machine is shared: the process's CPU seconds beside the wall seconds tell its own cost from the wait.
    print(
        f"BENCH notice-{households} seconds={seconds:.2f} pages={pages} peak_mb={peak_mb:.0f} cpu_seconds={cpu:.2f}",
        flush=True,
    )


BENCHMARKS = {
    "notice-300": lambda: _run(300),
    "notice-1000": lambda: _run(1000),
    "notice-3000": lambda: _run(3000),
}
