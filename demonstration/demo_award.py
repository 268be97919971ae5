"""The demo's use of an award (issue 20, item 5): an awarded village's spending, one put right by a reversal, and a
city's spot check of it. Idempotent: an award that already has spending is left as it is.

Call it from the demo seed once the demo call has an awarded application:

    seed_award_use(application, township_membership=office, officer_membership=city_officer)
"""

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from core.tenancy import township_scope
from households.models import Membership

from . import services
from .models import Application, AwardPurpose, AwardSpending, CheckFinding, CheckKind, RegionMembership

# (days before today, purpose, amount, supplier, note)
SPENDING = [
    (40, AwardPurpose.SHOP_GOODS, Decimal("18600.00"), "青山镇惠民超市", "粮油、洗衣液、毛巾等兑换商品"),
    (32, AwardPurpose.FACILITIES, Decimal("9800.00"), "青山建材经营部", "积分超市货架与宣传栏"),
    (25, AwardPurpose.PUBLICITY_TRAINING, Decimal("2400.00"), "青山图文快印", "积分制宣传册与培训资料"),
    (18, AwardPurpose.SHOP_GOODS, Decimal("860.00"), "青山镇惠民超市", "文具"),
]
WRONG = 3  # the last one was recorded twice on paper: reversed


def invoice_pdf(name: str) -> SimpleUploadedFile:
    """A real one-page PDF standing for the scanned invoice (Pillow writes it; no file ships with the demo)."""
    buffer = io.BytesIO()
    Image.new("RGB", (420, 200), "white").save(buffer, format="PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def seed_award_use(
    application: Application, *, township_membership: Membership, officer_membership: RegionMembership
) -> bool:
    """Spending against the award, a reversal and a spot check. Returns whether anything was created."""
    with township_scope(application.township):
        if AwardSpending.objects.filter(application=application).exists():
            return False
    today = timezone.localdate()
    recorded = []
    for days, purpose, amount, supplier, note in SPENDING:
        recorded.append(
            services.record_spending(
                membership=township_membership,
                application=application,
                spent_on=today - datetime.timedelta(days=days),
                purpose=purpose,
                amount=amount,
                supplier=supplier,
                note=note,
                invoice=invoice_pdf(f"发票-{supplier}-{amount}.pdf"),
            )
        )
    services.reverse_spending(
        membership=township_membership,
        spending=recorded[WRONG],
        reason="同一张发票重复录入，冲销后以第一次录入为准",
    )
    services.record_check(
        membership=officer_membership,
        application=application,
        checked_on=today - datetime.timedelta(days=5),
        kind=CheckKind.SPOT_CHECK,
        sampled=recorded[:2],
        finding=CheckFinding.NONE,
        details="抽查超市商品兑换台账和货架实物，发票与入库单一致",
    )
    return True
