"""奖分通知单 (issue 14, item 5): the reward slip of an approved claim — step 6 of scheme 4's six steps.

One slip is an A5 (landscape) page; a notice batch prints the slips of all its approved claims on A4, two to a
page with a cut line, ordered by village, area and household number. A slip is the holder's own document: it
names the head of the household in full, as the passbook does.

Who may print is answered here, once, for pages, API and jobs: a slip for a claim the member may read
(`review.selectors.claims_visible_to`: the village's staff, the township office, the grid worker of that village
or area), a batch's slips for a batch of the member's villages — only the claims among them the member may read.
Outside that: 404. A claim that is not approved (proposed, withdrawn), or was reversed since (found false,
corrected), gets no slip: a DomainError.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.jobs import runner
from core.pdf import render_pdf
from core.permissions import sees_household_records
from core.views import get_visible
from core.vocabulary import in_language
from households.models import Household, Membership, Resident
from review.models import ReviewRound, RoundKind, RoundMove
from review.selectors import (
    approved_claims_of_batch,
    claims_visible_to,
    person_name,
    reversals,
    rounds_visible_to,
)
from scoring.models import Account, Entry, EntryState, Scheme, format_points
from scoring.selectors import account_scores, household_scores

SLIP_MOVES = ("post_batch", "submit", "approve")
CAUSE_CHARS = 160  # a slip is a fixed half page: a longer cause is cut (the claim page keeps it whole)


# Who may print what ----------------------------------------------------------------------------------------------


def _approved(entry: Entry) -> Entry:
    if entry.state != EntryState.APPROVED:
        raise DomainError(
            _(
                "A reward slip is printed only for an approved claim: this claim is %(state)s. It counts, and "
                "gets its slip, once the township approves its notice batch."
            )
            % {"state": entry.get_state_display()},
            code="not_approved",
        )
    if reversals(entry).exists():
        raise DomainError(
            _("This claim was found false or corrected after its approval: it no longer gets a reward slip."),
            code="reversed",
        )
    return entry


def _for_print(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    head = Resident.objects.filter(household=OuterRef("household_id"), is_head=True).values("name")[:1]
    return entries.select_related(
        "household__area",
        "account__area",
        "account__resident__household",
        "account__unit",
        "scheme",
        "village",
        "township",
        "round_link__round__township",
    ).annotate(head=Subquery(head))


def claim_for_slip(membership: Membership, pk: object) -> Entry:
    """The approved claim `pk` the member may read, or 404 (not theirs) / DomainError (not approved, reversed)."""
    return _approved(get_visible(_for_print(claims_visible_to(membership)), pk))


def batch_for_slips(membership: Membership, pk: object) -> tuple[ReviewRound, list[Entry]]:
    """A notice batch of the member's villages and its approved claims the member may read, in print order;
    404 for another village's batch or a round that is not a batch, DomainError when none is approved."""
    if not sees_household_records(membership):  # the slips name each household and its head
        raise Http404
    batches = rounds_visible_to(membership).filter(kind=RoundKind.BATCH).select_related("village", "scheme")
    batch = get_visible(batches, pk)
    entries = list(
        _for_print(approved_claims_of_batch(membership, batch)).order_by(
            "village__sort_key",
            "account__area__sort_key",
            "household__number",
            "account_id",
            "occurred_on",
            "pk",
        )
    )
    if not entries:
        raise DomainError(
            _("The notice batch %(batch)s has no approved claim: there is no reward slip to print.")
            % {"batch": batch.get_period_display()},
            code="no_approved_claims",
        )
    return batch, entries


# What a slip says -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str
    by: str
    at: datetime.datetime | None
    note: str = ""


def _who(entry: Entry) -> list[tuple[str, str]]:
    """The holder's two labelled fields: a family's number and head, a villager's name and household number, a
    unit's name and contact person (the slip is the holder's own document: names in full)."""
    account = entry.account
    if account.resident_id is not None:
        return [("村民", account.resident.name), ("户号", account.resident.household.number)]
    if account.unit_id is not None:
        return [("单位", account.unit.name), ("联系人", account.unit.contact_name)]
    return [("户号", entry.household.number), ("户主", getattr(entry, "head", None) or "—")]


def _slip(entry: Entry, moves: dict[str, RoundMove], total: Any) -> dict:
    claim = entry.claim
    batch = entry.round_link.round
    declarer = (
        _("%(name)s (%(relation)s, on the holder's behalf)")
        % {"name": claim.declarer_name, "relation": claim.declarer_relation}
        if claim.declarer_name
        else _("The holder")
    )
    notice = (
        _("Notice no. %(number)s, %(first)s to %(last)s")
        % {
            "number": batch.notice_number or "—",
            "first": batch.notice_first_day or "—",
            "last": batch.notice_last_day or "—",
        }
        if batch.notice_opened_at
        else ""
    )
    posted, submitted = moves.get("post_batch"), moves.get("submit")
    steps = [
        Step(_("Declared"), declarer, None, claim.get_channel_display()),
        Step(_("Collected and recorded"), person_name(entry.recorded_by), entry.recorded_at),
        Step(_("Checked first"), person_name(claim.checked_by), claim.checked_at),
        Step(
            _("Posted on notice batch %(batch)s") % {"batch": batch.get_period_display()},
            person_name(posted.actor) if posted else "",
            posted.at if posted else None,
            notice,
        ),
        Step(
            _("Submitted by the village"),
            person_name(submitted.actor) if submitted else "",
            submitted.at if submitted else None,
        ),
        Step(_("Approved by the township (counts)"), person_name(entry.approved_by), entry.approved_at),
    ]
    return {
        "number": f"{entry.year}-{entry.pk:06d}",
        "township": entry.township.name,
        "village": entry.village.name,
        "area": entry.account.area.name if entry.account.area_id else "",
        "who": _who(entry),
        "category": entry.category_name,
        "item": entry.item_name,
        "points": ("+" if entry.points > 0 else "") + format_points(entry.points),
        "occurred_on": entry.occurred_on,
        "happened_at": claim.happened_at,
        "place": claim.place,
        "cause": claim.cause,
        "channel": claim.get_channel_display(),
        "declarer": declarer,
        "steps": steps,
        "total": format_points(total) if total is not None else "—",
        "year": entry.year,
        "cumulative": entry.scheme.points_carry_forward,
    }


def slip_data(entries: list[Entry]) -> list[dict]:
    """The slips of `entries` (from `claim_for_slip` / `batch_for_slips`) in their order, in a fixed number of
    queries: the batches' moves in one, each scheme's totals in one statement of the score rule."""
    round_ids = {e.round_link.round_id for e in entries}
    moves: dict[int, dict[str, RoundMove]] = defaultdict(dict)
    for move in (
        RoundMove.objects.filter(round_id__in=round_ids, move__in=SLIP_MOVES)
        .select_related("actor")
        .order_by("at", "pk")
    ):
        moves[move.round_id][move.move] = (
            move  # the latest of each kind (a returned batch is submitted again)
        )
    # Each scheme's totals: families' with their household's role (household_scores), the other accounts' by
    # account — one statement each, keyed by account.
    totals: dict[int, dict[int, Any]] = defaultdict(dict)
    families: dict[int, dict[int, int]] = defaultdict(dict)  # scheme → household → account
    others: dict[int, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.household_id is not None:
            families[entry.scheme_id][entry.household_id] = entry.account_id
        else:
            others[entry.scheme_id].add(entry.account_id)
    for scheme in Scheme.objects.filter(pk__in={*families, *others}):
        if families[scheme.pk]:
            scores = household_scores(scheme, Household.objects.filter(pk__in=families[scheme.pk]))
            totals[scheme.pk].update({families[scheme.pk][pk]: s.total for pk, s in scores.items()})
        if others[scheme.pk]:
            scores = account_scores(scheme, Account.objects.filter(pk__in=others[scheme.pk]))
            totals[scheme.pk].update({pk: s.total for pk, s in scores.items()})
    return [
        _slip(entry, moves[entry.round_link.round_id], totals[entry.scheme_id].get(entry.account_id))
        for entry in entries
    ]


# The documents --------------------------------------------------------------------------------------------------


def slips_pdf(entries: list[Entry], *, sheet: str) -> bytes:
    """`sheet` "a5": one slip a page (A5 landscape); "a4": two slips to an A4 page with a cut line."""
    slips = slip_data(entries)
    pages = [slips[i : i + 2] for i in range(0, len(slips), 2)] if sheet == "a4" else [[s] for s in slips]
    with in_language("zh-hans"):  # handed to a Chinese household
        return render_pdf(
            "publicity/slips.html",
            {
                "pages": pages,
                "sheet": sheet,
                "cause_chars": CAUSE_CHARS,
                "printed_on": timezone.localdate(),
            },
        )


def claim_slip_pdf(entry: Entry) -> tuple[bytes, str]:
    return slips_pdf([entry], sheet="a5"), f"奖分通知单-{entry.holder}-{entry.pk}.pdf"


def batch_slips_pdf(batch: ReviewRound, entries: list[Entry]) -> tuple[bytes, str]:
    return slips_pdf(entries, sheet="a4"), f"奖分通知单-{batch.village.name}-{batch.period}.pdf"


# Big batches: a job on the "documents" queue ------------------------------------------------------------------

SLIPS_INLINE = 30  # slips (15 A4 pages, ~2 s) rendered in the request; more run as a job with the file kept


def _batch_source(job) -> tuple[str, str]:
    batch = ReviewRound.objects.select_related("village").get(pk=job.params["round_id"])
    url = reverse("review:round-detail", kwargs={"township_slug": job.township.slug, "pk": batch.pk})
    return str(batch), url


@runner("batch_slips", queue="documents", title=gettext_lazy("Reward slips (PDF)"), source=_batch_source)
def run_batch_slips(job, progress) -> tuple[bytes, str]:
    # The starter's membership now (revoked since: nothing), so the job prints what they may read — no more.
    membership = Membership.objects.filter(user=job.created_by, township_id=job.township_id).first()
    if membership is None:
        raise Http404
    batch, entries = batch_for_slips(membership, job.params["round_id"])
    progress(0, len(entries))
    return batch_slips_pdf(batch, entries)
