"""What a public notice shows: every household of a review round with its proposed results.

Names are masked unless the township chose full names; ID and phone numbers never appear on a notice.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, Subquery, Sum
from django.db.models.functions import Abs
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from households.models import Household, Resident
from households.validators import mask_name
from review.models import ReviewRound, RoundKind, RoundState
from rewards.selectors import StarInput, disqualifying_entries, penalty_points
from rewards.services import bands_of, rank_households, tie_break_of
from scoring.models import Category, Entry, EntrySource, EntryState, ItemKind
from scoring.periods import Cadence
from scoring.selectors import category_key, with_scores

from .selectors import notice_settings


@dataclass
class NoticeRow:
    area: str
    number: str
    head: str
    scores: list[Decimal]
    total: Decimal
    stars: int | None = None  # the proposed stars, on an annual review's notice


@dataclass
class NoticeEntry:
    """One entry on a notice batch (公示批次): what was recorded for whom, and why it is listed."""

    area: str
    number: str
    head: str
    occurred_on: object
    item: str
    points: Decimal
    correction: bool


@dataclass
class Notice:
    round: ReviewRound
    categories: list[Category]
    rows: list[NoticeRow]
    starts: object
    ends: object
    url: str
    contact: str
    issuer: str
    issued_on: object
    entries: list[NoticeEntry] | None = None  # a notice batch lists its entries above the totals
    first_day: object = None  # the day it was posted and its last whole day, in the township's time zone
    last_day: object = None

    @property
    def title(self) -> str:
        return _("Results of the points review, on public notice")


def round_categories(round_: ReviewRound):
    categories = Category.objects.filter(scheme=round_.scheme).order_by("order", "id")
    if round_.kind == RoundKind.QUARTERLY:
        categories = categories.filter(cadence=Cadence.QUARTERLY)
    return categories


def public_url(round_: ReviewRound) -> str:
    return settings.JIFEN_PUBLIC_BASE_URL.rstrip("/") + reverse(
        "publicity:public-notice", kwargs={"token": round_.notice_token}
    )


def _propose_stars(round_: ReviewRound, scored, rows: list[NoticeRow]) -> None:
    """An annual notice shows the stars the results would give (the star-rating rule of rewards, with the
    scheme's tie-breakers, on the proposed totals): a veto or a penalty counts whether approved already or proposed
    in this round."""
    scheme = round_.scheme
    proposed = Entry.objects.filter(round_link__round=round_, state=EntryState.PROPOSED)
    vetoed = set(disqualifying_entries(scheme).values_list("household_id", flat=True)) | set(
        proposed.filter(item__disqualifying=True).values_list("household_id", flat=True)
    )
    penalties: dict[int, Decimal] = defaultdict(Decimal)
    for household_id, points in penalty_points(scheme).values_list("household_id", "penalties"):
        penalties[household_id] += points
    for household_id, points in (
        proposed.filter(item_kind=ItemKind.PENALTY)
        .order_by()
        .values("household_id")
        .annotate(points=Sum(Abs("points")))
        .values_list("household_id", "points")
    ):
        penalties[household_id] += points
    tie_break = tie_break_of(scheme)
    tie_key = f"category_{tie_break.category_id}" if tie_break.category_id else None
    inputs = [
        StarInput(
            h.pk,
            h.village_id,
            h.total,
            h.pk in vetoed,
            penalties[h.pk],
            getattr(h, tie_key, None) if tie_key else None,
        )
        for h in scored
    ]
    ranked = rank_households(inputs, bands_of(scheme), tie_break)
    stars = {r.household_id: r.stars for r in ranked}
    for household, row in zip(scored, rows, strict=True):
        row.stars = stars[household.pk]


def _batch_entries(round_: ReviewRound, full_names: bool) -> list[NoticeEntry]:
    head_name = Resident.objects.filter(household=OuterRef("household_id"), is_head=True).values("name")[:1]
    rows = (
        Entry.objects.filter(round_link__round=round_)
        .exclude(state=EntryState.WITHDRAWN)
        .select_related("household", "household__area")
        .annotate(head_name=Subquery(head_name))
        .order_by("household__area__name", "household__number", "occurred_on", "pk")
    )
    return [
        NoticeEntry(
            area=e.household.area.name,
            number=e.household.number,
            head=(e.head_name or "") if full_names else mask_name(e.head_name or ""),
            occurred_on=e.occurred_on,
            item=e.item_name,
            points=e.points,
            correction=e.source == EntrySource.CORRECTION,
        )
        for e in rows
    ]


def build_notice(round_: ReviewRound, *, require_on_notice: bool = True) -> Notice:
    """The notice's content, in a constant number of queries whatever the number of households."""
    if require_on_notice and round_.state != RoundState.ON_NOTICE:
        raise DomainError(
            _("The round is %(state)s, not on notice: open the notice before printing it.")
            % {"state": round_.get_state_display()},
            code="not_on_notice",
        )
    categories = list(round_categories(round_))
    head_name = Resident.objects.filter(household=OuterRef("pk"), is_head=True).values("name")[:1]
    households = (
        Household.objects.taking_part()
        .filter(village=round_.village)
        .select_related("area")
        .annotate(head_name=Subquery(head_name))
    )
    scored = with_scores(
        households,
        round_.scheme,
        period=round_.period if round_.kind == RoundKind.QUARTERLY else None,
        categories=categories,
        also_counting=Entry.objects.filter(round_link__round=round_),
    ).order_by("area__name", "number")
    if round_.kind == RoundKind.BATCH:  # a batch posts the households it concerns, not the whole village
        scored = scored.filter(pk__in=Entry.objects.filter(round_link__round=round_).values("household_id"))
    shown = notice_settings(round_.township_id)
    full_names = shown.full_names
    scored = list(scored)
    rows = [
        NoticeRow(
            area=h.area.name,
            number=h.number,
            head=(h.head_name or "") if full_names else mask_name(h.head_name or ""),
            scores=[getattr(h, category_key(c)) for c in categories],
            total=h.total,
        )
        for h in scored
    ]
    if not rows:
        raise DomainError(
            _("The round's village has no households taking part: there is nothing to post."),
            code="empty_round",
        )
    if round_.kind == RoundKind.ANNUAL:
        _propose_stars(round_, scored, rows)
    entries = _batch_entries(round_, full_names) if round_.kind == RoundKind.BATCH else None
    return Notice(
        round=round_,
        categories=categories,
        rows=rows,
        starts=timezone.localtime(round_.notice_opened_at) if round_.notice_opened_at else None,
        ends=timezone.localtime(round_.notice_ends_at) if round_.notice_ends_at else None,
        url=public_url(round_),
        contact=shown.contact,
        issuer=_("%(village)s villagers' committee") % {"village": round_.village.name},
        issued_on=timezone.localdate(),
        entries=entries,
        first_day=round_.notice_first_day,
        last_day=round_.notice_last_day,
    )
