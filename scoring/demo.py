"""Demo scheme and ledger: the village-2026 template, active, with a season of recorded entries (they count once
their villages' notice batches are approved: review.demo.seed_notices)."""

import datetime
import random

from core.errors import DomainError
from households.models import Household, Membership, Township

from . import services
from .models import Entry, Item, ItemKind, Scheme, SchemeState
from .scheme_templates import load_template

DEMO_YEAR = 2026


def seed_scheme(township: Township) -> tuple[Scheme, bool]:
    """Load and activate the village-2026 template, then record a few entries per household (proposed)."""
    office = Membership.objects.get(user__username="demo-admin", township=township)
    scheme = Scheme.objects.filter(year=DEMO_YEAR, template="village-2026").first()
    created = False
    if scheme is None:
        scheme = load_template(membership=office, township=township, name="village-2026", year=DEMO_YEAR)
        created = True
    if scheme.state == SchemeState.DRAFT:
        services.activate_scheme(membership=office, scheme=scheme)
        created = True
    if Entry.objects.filter(scheme=scheme).exists():
        return scheme, created
    rng = random.Random(140)
    items = list(Item.objects.filter(category__scheme=scheme, by_clerk=True, evidence_required=False))
    bonuses = [i for i in items if i.kind == ItemKind.BONUS]
    penalties = [i for i in items if i.kind == ItemKind.PENALTY and not i.disqualifying]
    for household in Household.objects.taking_part().order_by("id"):
        for _ in range(rng.randint(0, 3)):
            pool = penalties if rng.random() < 0.3 else bonuses
            day = datetime.date(DEMO_YEAR, rng.randint(1, 9), rng.randint(1, 28))
            try:
                services.record_entry(
                    membership=office,
                    household=household,
                    item=rng.choice(pool),
                    occurred_on=day,
                    reason="示例数据",
                )
            except DomainError:  # a cap reached: the demo simply records one entry fewer
                continue
    return scheme, True
