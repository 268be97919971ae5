"""What a public notice shows: every household of a review round with its proposed results.

Names are masked unless the township chose full names; ID and phone numbers never appear on a notice.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.vocabulary import OrganisationKind
from households.models import Household, Resident
from households.validators import mask_name
from review.models import ReviewRound, RoundKind, RoundState
from rewards.selectors import proposed_stars
from scoring.models import Account, Category, Entry, EntrySource, EntryState
from scoring.periods import Cadence
from scoring.selectors import account_scores, household_scores

from .selectors import notice_settings


@dataclass
class NoticeRow:
    area: str
    number: str
    head: str
    scores: list[Decimal]
    total: Decimal
    stars: int | None = None  # the proposed stars, on an annual review's notice
    household_id: int | None = None  # the household an objection about this row concerns (none for a unit)


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


def _holder(account: Account, head_name: str | None, full_names: bool) -> tuple[str, str]:
    """(number, name) of an account as a notice shows it: a family's number and head, a villager's household
    number and name (masked like every person's), a unit's name in full (an organisation, not a person)."""
    if account.unit_id is not None:
        return _("Unit"), account.unit.name
    if account.resident_id is not None:
        name = account.resident.name
        return account.resident.household.number, name if full_names else mask_name(name)
    return account.household.number, (head_name or "") if full_names else mask_name(head_name or "")


ACCOUNT_ROWS = ("account__area", "account__household", "account__resident__household", "account__unit")


def _batch_entries(round_: ReviewRound, full_names: bool) -> list[NoticeEntry]:
    head_name = Resident.objects.filter(household=OuterRef("household_id"), is_head=True).values("name")[:1]
    rows = (
        Entry.objects.filter(round_link__round=round_)
        .exclude(state=EntryState.WITHDRAWN)
        .select_related(*ACCOUNT_ROWS)
        .annotate(head_name=Subquery(head_name))
        .order_by(
            "account__area__sort_key", "household__number", "account__kind", "account_id", "occurred_on", "pk"
        )
    )
    return [
        NoticeEntry(
            e.account.area.name if e.account.area_id else "",
            *_holder(e.account, e.head_name, full_names),
            e.occurred_on,
            e.item_name,
            e.points,
            e.source == EntrySource.CORRECTION,
        )
        for e in rows
    ]


def _account_rows(round_: ReviewRound, counting, categories, full_names: bool) -> list[NoticeRow]:
    """A batch's villagers' and units' accounts with the year's scores (the families are the household rows)."""
    accounts = list(
        Account.objects.filter(pk__in=counting.filter(household__isnull=True).values("account_id"))
        .select_related("area", "resident__household", "unit")
        .order_by("area__sort_key", "kind", "id")
    )
    if not accounts:
        return []
    scores = account_scores(
        round_.scheme,
        Account.objects.filter(pk__in=[a.pk for a in accounts]),
        also_counting=counting,
    )
    return [
        NoticeRow(
            account.area.name if account.area_id else "",
            *_holder(account, None, full_names),
            [scores[account.pk].categories[c.pk] for c in categories],
            scores[account.pk].total,
            household_id=account.resident.household_id if account.resident_id is not None else None,
        )
        for account in accounts
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
    households = Household.objects.taking_part().filter(village=round_.village)
    counting = Entry.objects.filter(round_link__round=round_)
    if round_.kind == RoundKind.BATCH:  # a batch posts the households it concerns, not the whole village
        households = households.filter(pk__in=counting.values("household_id"))
    listed = list(
        households.select_related("area")
        .annotate(head_name=Subquery(head_name))
        .order_by("area__sort_key", "number")
    )
    shown = notice_settings(round_.township_id)
    full_names = shown.full_names
    others = _account_rows(round_, counting, categories, full_names) if round_.kind == RoundKind.BATCH else []
    if not listed and not others:
        raise DomainError(
            _("The round's village has no households taking part: there is nothing to post."),
            code="empty_round",
        )
    # The households listed, by id: the scores and stars are of exactly these, whatever changes meanwhile.
    households = Household.objects.filter(pk__in=[h.pk for h in listed])
    quarterly = round_.kind == RoundKind.QUARTERLY
    # The round's proposals count as if approved. A quarter's notice shows its categories, counting its period;
    # the others the whole scheme's year (with the role's change of the base, as on the scores pages).
    scores = household_scores(
        round_.scheme,
        households,
        categories=categories if quarterly else None,
        period=round_.period if quarterly else None,
        also_counting=counting,
    )
    rows = [
        NoticeRow(
            area=h.area.name,
            number=h.number,
            head=(h.head_name or "") if full_names else mask_name(h.head_name or ""),
            scores=[scores[h.pk].categories[c.pk] for c in categories],
            total=scores[h.pk].total,
            household_id=h.pk,
        )
        for h in listed
    ]
    if round_.kind == RoundKind.ANNUAL:
        # The stars the results would give: the rating's own rule, on the proposed totals, vetoes and penalties.
        stars = proposed_stars(round_.scheme, households, also_counting=counting)
        for household, row in zip(listed, rows, strict=True):
            row.stars = stars[household.pk]
    rows += others  # a batch's villagers and units after its families
    entries = _batch_entries(round_, full_names) if round_.kind == RoundKind.BATCH else None
    return Notice(
        round=round_,
        categories=categories,
        rows=rows,
        starts=timezone.localtime(round_.notice_opened_at) if round_.notice_opened_at else None,
        ends=timezone.localtime(round_.notice_ends_at) if round_.notice_ends_at else None,
        url=public_url(round_),
        contact=shown.contact,
        issuer=_("%(village)s class committee") % {"village": round_.village.name}
        if round_.township.kind == OrganisationKind.SCHOOL
        else _("%(village)s villagers' committee") % {"village": round_.village.name},
        issued_on=timezone.localdate(),
        entries=entries,
        first_day=round_.notice_first_day,
        last_day=round_.notice_last_day,
    )
