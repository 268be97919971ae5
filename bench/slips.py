"""Render the reward slips (奖分通知单) of a notice batch of 300 approved claims: two slips to an A4 page.

Prints `BENCH slips seconds=… pages=… peak_mb=…` (seconds: rendering only, after a warm-up). The claims are
recorded, posted, noticed and approved through the services, as a village would (the notice's days are moved into
the past instead of waited for).
"""

import datetime
import resource
import subprocess
import tempfile
import time

from bench.common import fresh_database, setup_django

NAMES = "王李张刘陈杨黄赵吴周"


def _build(claims: int):
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from core.tenancy import township_scope
    from households.models import Area, Household, Membership, Resident, Role, Township, Village
    from review import services as review
    from review.models import ReviewRound
    from scoring import services as scoring

    fresh_database()
    township = Township.objects.create(slug="bench", name="基准镇")
    with township_scope(township):
        admin = get_user_model().objects.create_user("bench-admin", first_name="刘镇长")
        Membership.objects.create(township=township, user=admin, role=Role.TOWNSHIP_ADMIN)
        office = Membership.objects.get(user=admin)
        village = Village.objects.create(township=township, name="基准村")
        areas = [Area.objects.create(township=township, village=village, name=f"{n}组") for n in range(1, 11)]
        households = Household.objects.bulk_create(
            Household(township=township, village=village, area=areas[i % 10], number=f"B-{i:05d}")
            for i in range(claims)
        )
        Resident.objects.bulk_create(
            Resident(
                township=township, household=h, name=f"{NAMES[i % 10]}{NAMES[(i // 10) % 10]}明", is_head=True
            )
            for i, h in enumerate(households)
        )
        scheme = scoring.create_scheme(membership=office, township=township, name="社会治理", year=2026)
        category = scoring.add_category(
            membership=office, scheme=scheme, name="文明新风", base_score=Decimal(40), cadence="annual"
        )
        item = scoring.add_item(
            membership=office, category=category, name="见义勇为", kind="bonus", points=Decimal(5)
        )
        scoring.activate_scheme(membership=office, scheme=scheme)
        for n, household in enumerate(households):
            scoring.record_claim(
                membership=office,
                household=household,
                item=item,
                occurred_on=datetime.date(2026, 3, 1 + n % 28),
                channel="phone",
                cause="在村口河边救起落水儿童，并护送回家。",
                declarer_name="张小明" if n % 3 == 0 else "",
                declarer_relation="邻居" if n % 3 == 0 else "",
                place="村口河边",
            )
        batch = review.post_notice_batch(membership=office, village=village, scheme=scheme)
        now = timezone.now()
        ReviewRound.objects.filter(pk=batch.pk).update(
            notice_opened_at=now - datetime.timedelta(days=5),
            notice_ends_at=now - datetime.timedelta(minutes=1),
        )
        batch.refresh_from_db()
        review.move_round(membership=office, round=batch, move="submit")
        review.move_round(membership=office, round=batch, move="approve")
    return township, office, batch


def _run(claims: int) -> None:
    setup_django()
    from core.tenancy import township_scope
    from publicity.slips import batch_for_slips, batch_slips_pdf

    township, office, batch = _build(claims)
    with township_scope(township):
        _batch, entries = batch_for_slips(office, batch.pk)
        batch_slips_pdf(batch, entries[:2])  # warm-up: fonts and templates loaded once per worker process
        start = time.perf_counter()
        _batch, entries = batch_for_slips(office, batch.pk)
        content, _name = batch_slips_pdf(batch, entries)
        seconds = time.perf_counter() - start
    with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
        pdf.write(content)
        pdf.flush()
        info = subprocess.run(["pdfinfo", pdf.name], capture_output=True, text=True, check=True).stdout  # noqa: S607
    pages = next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"BENCH slips seconds={seconds:.2f} pages={pages} peak_mb={peak_mb:.0f}", flush=True)


def main() -> None:
    _run(300)
