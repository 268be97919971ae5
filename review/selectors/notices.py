"""Directly recorded entries (clerk, grid worker, bulk, agreed transfers) that wait for a notice batch."""

from django.db.models import Count, QuerySet

from households.models import Membership, Village
from households.selectors import villages_visible_to
from scoring.models import Entry, EntryState, Scheme, SchemeState, TransferState


def waiting_for_a_notice(scheme: Scheme | None) -> QuerySet[Entry]:
    """The scheme's (None: every scheme's) entries recorded directly that wait for a notice batch: proposed and on
    no round yet; a claim (积分申报) only once it is checked."""
    undecided = [TransferState.PENDING, TransferState.REFUSED]  # a transfer waits for both villages' consent
    entries = Entry.objects.filter(scheme=scheme) if scheme is not None else Entry.objects.all()
    return (
        entries.filter(state=EntryState.PROPOSED, round_link__isnull=True)
        .exclude(transfer_debit__state__in=undecided)
        .exclude(transfer_credit__state__in=undecided)
        .exclude(claim__isnull=False, claim__checked_at__isnull=True)
    )


def direct_proposals(village: Village, scheme: Scheme) -> QuerySet[Entry]:
    """The village's entries waiting for a notice batch."""
    return waiting_for_a_notice(scheme).filter(village=village)


def villages_with_direct_proposals(membership: Membership, scheme: Scheme) -> list[dict]:
    """Per visible village: how many direct proposals wait for a notice batch (one query)."""
    villages = villages_visible_to(membership)
    rows = (
        waiting_for_a_notice(scheme)
        .filter(village__in=villages)
        .values("village_id", "village__name")
        .annotate(n=Count("id"))
        .order_by("village__sort_key", "village_id")
    )
    return [{"village_id": r["village_id"], "village": r["village__name"], "count": r["n"]} for r in rows]


def direct_proposals_waiting(membership: Membership) -> list[dict]:
    """For every active scheme: the villages whose direct proposals wait for a notice batch."""
    rows = []
    for scheme in Scheme.objects.filter(state=SchemeState.ACTIVE).order_by("-year", "name", "pk"):
        rows += [{"scheme": scheme, **row} for row in villages_with_direct_proposals(membership, scheme)]
    return rows
