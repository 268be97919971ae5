"""The one route to the ledger's "approved", for tests that need approved entries: a notice batch per village
and scheme, its notice run to the end, submitted and approved by the township office — through the services.

The only shortcut is the clock: the batch's notice dates are moved into the past instead of waiting three days
(tests that are about the notice itself travel in time with time_machine instead).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

from households.models import Membership, Role, Village
from review import services as review
from review.models import ReviewRound, RoundKind
from scoring.models import Entry, EntryState, Scheme


def admin_membership(township_id, actor=None) -> Membership:
    memberships = Membership.objects.filter(township_id=township_id, role=Role.TOWNSHIP_ADMIN)
    if actor is not None and (own := memberships.filter(user=actor).first()) is not None:
        return own
    return memberships.order_by("pk").first()


def run_out(round_: ReviewRound) -> None:
    """The notice's days have passed (opened and ended in the past, as if the clock had moved on)."""
    now = timezone.now()
    days = datetime.timedelta(days=round_.notice_days + 1)
    ReviewRound.objects.filter(pk=round_.pk).update(
        notice_opened_at=now - days - datetime.timedelta(minutes=1),
        notice_ends_at=now - datetime.timedelta(minutes=1),
    )
    round_.refresh_from_db()


def approve_through_notice(
    entries: Iterable[Entry], *, actor=None, membership: Membership | None = None, reason: str = ""
) -> int:
    """Post the given direct proposals on notice batches (one per village and scheme), let the notices end and
    have the township approve them. Returns how many entries were approved (entries no longer proposed are left
    as they are, as approving twice changes nothing). The township office acts: `membership` (a township office
    member), else the office membership of `actor`, else the township's first office member."""
    ids = [entry.pk for entry in entries]
    groups = defaultdict(list)
    rows = Entry.objects.filter(pk__in=ids, state=EntryState.PROPOSED).values_list(
        "pk", "village_id", "scheme_id"
    )
    for pk, village_id, scheme_id in rows:
        groups[(village_id, scheme_id)].append(pk)
    approved = 0
    for (village_id, scheme_id), group in groups.items():
        village, scheme = Village.objects.get(pk=village_id), Scheme.objects.get(pk=scheme_id)
        office = membership
        if office is None or office.township_id != village.township_id:
            office = admin_membership(village.township_id, actor)
        assert office is not None, "the township needs a township office member to approve a batch"
        batch = review.post_notice_batch(membership=office, village=village, scheme=scheme, only=group)
        assert batch.kind == RoundKind.BATCH
        run_out(batch)
        review.move_round(membership=office, round=batch, move="submit")
        review.move_round(membership=office, round=batch, move="approve", comment=reason)
        approved += Entry.objects.filter(pk__in=group, state=EntryState.APPROVED).count()
    return approved
