"""The ledger: proposals, their approval or withdrawal, corrections, false declarations and threshold alerts
(the limits' rule is scoring.limits).

Approved entries are never changed: corrections reverse them. Each service checks the acting member's right
itself (the rule is in its docstring); pages and the API map the refusal.
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can, require
from households.models import Household, Membership

from .. import limits
from ..accounts import account_of
from ..closing import late_reason, posting_of
from ..evidence import check_evidence_file
from ..models import (
    Account,
    Entry,
    EntrySource,
    EntryState,
    Evidence,
    Item,
    ItemKind,
    RoleAssignment,
    Scheme,
    SchemeState,
    ThresholdAlert,
    format_points,
)
from ..periods import period_bounds, period_label, period_of

SOURCE_RECORDER: dict[str, str] = {
    EntrySource.INSPECTION: "by_inspection",
    EntrySource.DECLARATION: "by_declaration",
    EntrySource.CLERK: "by_clerk",
}
# Entries a review step proposes: the panel records them as well as the clerk (inspections, declarations).
REVIEW_SOURCES = {EntrySource.INSPECTION, EntrySource.DECLARATION}
NOTICE_REQUIRED = "entry_counts_after_notice"  # the database's rule (review migration 0004)


def _require_any(membership: Membership, obj: object, *actions: Action, message: str | None = None) -> None:
    """`require` for an act that one of several rights allows."""
    allowed = next((action for action in actions if can(membership, action, obj)), actions[0])
    require(membership, allowed, obj, message=message)


def _require_recorder(membership: Membership, household: Household, source: str) -> None:
    if source in REVIEW_SOURCES:
        _require_any(membership, household, Action.RECORD_ENTRY, Action.PANEL_WORK)
    else:
        require(membership, Action.RECORD_ENTRY, household)


def record_entry(
    *,
    membership: Membership,
    household: Household,
    item: Item,
    occurred_on: datetime.date,
    source: str = EntrySource.CLERK,
    reason: str = "",
    evidence: Sequence[UploadedFile] = (),
    idempotency_key: str = "",
) -> Entry:
    """Propose one entry. With an idempotency key a retried submission returns the first entry.

    Right: RECORD_ENTRY on the household; for an entry of a review step (source inspection or declaration)
    PANEL_WORK on the household will also do (the panel inspects and takes declarations in a round)."""
    _require_recorder(membership, household, source)
    if idempotency_key and (existing := Entry.objects.filter(idempotency_key=idempotency_key).first()):
        if (existing.household_id, existing.item_id) != (household.pk, item.pk):
            raise DomainError(_("This submission key was already used for another entry; reload the form."))
        return existing
    try:
        with transaction.atomic():
            entry = _record(
                membership, household, item, occurred_on, source, reason, evidence, idempotency_key
            )
    except IntegrityError:
        if idempotency_key and (existing := Entry.objects.filter(idempotency_key=idempotency_key).first()):
            return existing  # a concurrent retry won the race
        raise
    return entry


def record_bulk(
    *,
    membership: Membership,
    households: Iterable[Household],
    item: Item,
    occurred_on: datetime.date,
    reason: str = "",
    idempotency_key: str = "",
) -> list[Entry]:
    """One item for many households (e.g. everyone at a village clean-up): all recorded, or none.

    Right: RECORD_ENTRY on every household (checked for all of them before anything is written)."""
    households = list(households)
    for household in households:
        require(membership, Action.RECORD_ENTRY, household)
    if not households:
        raise DomainError(_("Choose at least one household."), field="households")
    with transaction.atomic():
        entries = []
        for household in households:
            try:
                entries.append(
                    record_entry(
                        membership=membership,
                        household=household,
                        item=item,
                        occurred_on=occurred_on,
                        reason=reason,
                        idempotency_key=f"{idempotency_key}:{household.pk}" if idempotency_key else "",
                    )
                )
            except DomainError as exc:  # say which household stopped the whole batch
                raise DomainError(
                    _("Household %(number)s: %(problem)s Nothing was recorded.")
                    % {"number": household.number, "problem": exc.message},
                    field=exc.field,
                ) from exc
        return entries


def _record(
    membership: Membership,
    holder: Household | Account,
    item: Item,
    occurred_on: datetime.date,
    source: str,
    reason: str,
    evidence: Sequence[UploadedFile],
    idempotency_key: str,
) -> Entry:
    """The one writer of a proposal, for any account (a household passed for its own account)."""
    account = holder if isinstance(holder, Account) else account_of(holder)
    household = account.household
    category = item.category
    scheme = category.scheme
    if item.township_id != account.township_id:
        raise DomainError(_("This item belongs to another township's scheme."), field="item")
    if scheme.state != SchemeState.ACTIVE:
        raise DomainError(
            _("The scheme %(scheme)s is not active: it takes no entries.") % {"scheme": scheme}, field="item"
        )
    if not item.active:
        raise DomainError(_("The item %(item)s is retired.") % {"item": item.name}, field="item")
    if account.kind not in scheme.account_kinds:
        raise DomainError(
            _("The scheme %(scheme)s keeps no accounts of %(kind)s: record points for its own account kinds.")
            % {"scheme": scheme, "kind": account.get_kind_display()},
            field="account",
        )
    if household is not None and not household.is_open:
        raise DomainError(
            _("Household %(number)s has ended (%(status)s): it receives no entries.")
            % {"number": household.number, "status": household.get_status_display()},
            field="household",
        )
    if household is not None and not household.takes_part:
        raise DomainError(
            _("Household %(number)s does not take part in the scheme (%(status)s).")
            % {"number": household.number, "status": household.get_participation_display()},
            field="household",
        )
    if account.unit is not None and account.unit.is_archived:
        raise DomainError(
            _("The unit %(name)s is archived: restore it before recording points.") % {"name": account.unit},
            field="account",
        )
    if not scheme.covers(occurred_on):
        raise DomainError(_dates_refusal(scheme), field="occurred_on")
    if occurred_on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="occurred_on")
    recorder = SOURCE_RECORDER.get(source)
    if recorder and not getattr(item, recorder):
        raise DomainError(
            _("The item %(item)s is not recorded this way (%(source)s).")
            % {"item": item.name, "source": EntrySource(source).label},
            field="source",
        )
    files = list(evidence)
    if item.evidence_required and not files:
        raise DomainError(
            _("The item %(item)s needs evidence (a photo or a document).") % {"item": item.name},
            field="evidence",
        )
    content_types = [check_evidence_file(f) for f in files]

    multiplier = Decimal("1")
    if item.kind == ItemKind.PENALTY and item.role_multiplier_applies and household is not None:
        role = (
            RoleAssignment.objects.filter(scheme=scheme, household=household).select_related("role").first()
        )
        if role is not None:
            multiplier = role.role.penalty_multiplier
    points = (item.signed_points * multiplier).quantize(Decimal("0.01"))
    period = period_of(category.cadence, occurred_on)

    # Caps and limits count every entry that is not withdrawn, in the item's own period (its category's unless it
    # has its own); lock the account's row so two clerks at once cannot both slip under a cap.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    if (closed := limits.closed_period_message(household, item, occurred_on)) is not None:
        raise DomainError(closed, field="occurred_on")
    cap_period = period_of(item.counting_cadence, occurred_on)
    hits, total = _counted_towards_caps(account, item, occurred_on)
    if item.cap_count is not None and hits + 1 > item.cap_count:
        raise DomainError(
            _(
                "Cap reached: %(item)s counts at most %(cap)d times per period (%(period)s) and is already recorded %(hits)d times."
            )
            % {"item": item.name, "cap": item.cap_count, "period": period_label(cap_period), "hits": hits},
            field="item",
        )
    if item.cap_points is not None and total + abs(points) > item.cap_points:
        raise DomainError(
            _(
                "Cap reached: %(item)s gives at most %(cap)s points per period (%(period)s); %(total)s already recorded."
            )
            % {
                "item": item.name,
                "cap": format_points(item.cap_points),
                "period": period_label(cap_period),
                "total": format_points(total),
            },
            field="item",
        )

    entry = Entry(
        township_id=account.township_id,
        account=account,
        household=household,
        village_id=account.village_id,
        scheme=scheme,
        category=category,
        item=item,
        category_name=category.name,
        item_name=item.name,
        item_kind=item.kind,
        item_points=item.points,
        multiplier=multiplier,
        points=points,
        year=occurred_on.year if scheme.points_carry_forward else scheme.year,
        period=period,
        occurred_on=occurred_on,
        source=source,
        reason=reason.strip(),
        idempotency_key=idempotency_key,
        recorded_by=membership.user,
    )
    entry.save()
    # A new entry is no claim yet (record_claim's ClaimDetail(entry=…) sets it): its answer asks no query for one.
    Entry._meta.get_field("claim").set_cached_value(entry, None)
    for upload, content_type in zip(files, content_types, strict=True):
        Evidence.objects.create(
            township_id=entry.township_id,
            entry=entry,
            file=upload,
            original_name=(upload.name or "")[:200],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=membership.user,
        )
    limits.raise_alert(entry)
    return entry


def _counted_towards_caps(account: Account, item: Item, occurred_on: datetime.date) -> tuple[int, Decimal]:
    """How many times and how many points (unsigned) the item already counts for the account in its period; an
    item without a cap reads nothing (most items: issue 19)."""
    if item.cap_count is None and item.cap_points is None:
        return 0, Decimal("0")
    so_far = (
        Entry.objects.counting_towards_caps()
        .filter(
            account=account, item=item, occurred_on__range=period_bounds(item.counting_cadence, occurred_on)
        )
        .aggregate(hits=Count("id"), total=Sum("points"))
    )
    return so_far["hits"], abs(so_far["total"] or Decimal("0"))


def _dates_refusal(scheme: Scheme) -> str:
    """Why a date is refused: the dates the scheme covers, as its users know them (a year, or a term)."""
    if scheme.ends_on is None:
        if scheme.starts_on == datetime.date(scheme.year, 1, 1):
            return _("The date must fall in the scheme's years, from %(year)d on.") % {"year": scheme.year}
        return _("The date must fall in the scheme's years, from %(start)s on.") % {"start": scheme.starts_on}
    if scheme.starts_on == datetime.date(scheme.year, 1, 1) and scheme.ends_on == datetime.date(
        scheme.year, 12, 31
    ):
        return _("The date must fall in the scheme's year %(year)d.") % {"year": scheme.year}
    return _("The date must fall in the scheme's term, from %(start)s to %(end)s.") % {
        "start": scheme.starts_on,
        "end": scheme.ends_on,
    }


def approve_entries(
    *, membership: Membership, entries: Iterable[Entry] | QuerySet[Entry], reason: str = ""
) -> int:
    """Make proposed entries count. Safe to run twice: entries already approved are left as they are.

    No point counts unseen: the database refuses unless every entry was posted with a round or notice batch that
    is being approved after its notice closed (review.services.move_round is the one caller that can succeed).
    The refusal leaves every entry as it was.

    Right, on every entry: APPROVE_ENTRY (the township office); or, for entries under review in a round or notice
    batch, the right to move that round at the end of its notice — RUN_ROUND (the clerk's finish, also the beat
    finishing in the clerk's name) or APPROVE_ROUND (the township's approval).

    `entries` may be a queryset (a round's thousand proposals: approved by one UPDATE over it, no list of ids).
    """
    if not isinstance(entries, QuerySet):
        entries = Entry.objects.filter(pk__in=[e.pk for e in entries])
    _require_approver(membership, entries)
    try:
        with transaction.atomic():
            return entries.filter(state=EntryState.PROPOSED).update(
                state=EntryState.APPROVED,
                approved_by=membership.user,
                approved_at=timezone.now(),
                decided_reason=reason[:300],
            )
    except IntegrityError as exc:
        if (
            NOTICE_REQUIRED not in str(exc)
            and getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != NOTICE_REQUIRED
        ):
            raise
        raise DomainError(
            _(
                "Entries count only after their public notice: post them on a notice batch of their village "
                "(公示批次) or let their review round run its notice; the township approves the batch or round "
                "after the notice ends. Nothing was approved."
            ),
            code="notice_required",
        ) from exc


def _under_review(entries: list[Entry]) -> bool:
    """All posted with a review round or notice batch (review's RoundEntry, reached by its related name: the
    ledger does not import review)."""
    return not Entry.objects.filter(pk__in=[e.pk for e in entries], round_link__isnull=True).exists()


# What the permission check reads of each entry (core.permissions.can_see: its township, village, household and
# area): a round of a thousand entries is checked without building a thousand full rows.
_SEEN_FIELDS = ("id", "township_id", "village_id", "household_id", "account_id")


def _require_approver(membership: Membership, entries: QuerySet[Entry]) -> None:
    rows = list(
        entries.select_related("account").only(*_SEEN_FIELDS, "account__area_id", "account__village_id")
    )
    if all(can(membership, Action.APPROVE_ENTRY, entry) for entry in rows):
        return
    under_review = not entries.filter(round_link__isnull=True).exists()
    if under_review and all(
        can(membership, Action.RUN_ROUND, entry) or can(membership, Action.APPROVE_ROUND, entry)
        for entry in rows
    ):
        return
    refused = next(entry for entry in rows if not can(membership, Action.APPROVE_ENTRY, entry))
    require(membership, Action.APPROVE_ENTRY, refused)


def _require_withdrawer(membership: Membership, entry: Entry) -> None:
    if can(membership, Action.APPROVE_ENTRY, entry):
        return
    if entry.recorded_by_id == membership.user_id and can(membership, Action.RECORD_ENTRY, entry):
        return
    if _under_review([entry]) and (
        can(membership, Action.RUN_ROUND, entry) or can(membership, Action.PANEL_WORK, entry)
    ):
        return
    if (
        entry.source == EntrySource.CLAIM
        and not _under_review([entry])
        and can(membership, Action.CHECK_CLAIM, entry)
    ):
        return  # a claim not yet posted: whoever checks claims of its village may drop it
    require(
        membership,
        Action.APPROVE_ENTRY,
        entry,
        message=_("Only the township office or the person who recorded it can withdraw a proposal."),
    )


def withdraw_entry(*, membership: Membership, entry: Entry, reason: str) -> Entry:
    """A proposal that will not count (rejected or entered by mistake). It stays visible in the history.

    Right: APPROVE_ENTRY on the entry (the township office); or RECORD_ENTRY for the member who recorded it (a
    mistake of one's own); or, for a proposal under review in a round or notice batch, RUN_ROUND or PANEL_WORK
    on it (the round's decisions: meeting changes, objection outcomes, rejected declarations)."""
    _require_withdrawer(membership, entry)
    if not reason.strip():
        raise DomainError(_("Say why the proposal is withdrawn."), field="reason")
    updated = Entry.objects.filter(pk=entry.pk, state=EntryState.PROPOSED).update(
        state=EntryState.WITHDRAWN,
        approved_by=membership.user,
        approved_at=timezone.now(),
        decided_reason=reason.strip()[:300],
    )
    if not updated:
        raise DomainError(_("Only a proposed entry can be withdrawn; an approved one needs a correction."))
    entry.refresh_from_db()
    return entry


def correct_entry(*, membership: Membership, entry: Entry, reason: str, idempotency_key: str = "") -> Entry:
    """Reverse an approved entry with a new approved entry of the opposite sign. Both stay visible.

    Right: APPROVE_ENTRY on the entry — only the township office corrects, with a reason; the correction counts
    at once and the village's next notice lists it (review.services._show_corrections)."""
    entry = Entry.objects.get(pk=entry.pk)  # the stored state, not a stale copy
    require(
        membership,
        Action.APPROVE_ENTRY,
        entry,
        message=_("Only the township office corrects approved entries."),
    )
    if not reason.strip():
        raise DomainError(_("Say why the entry is corrected."), field="reason")
    if entry.state != EntryState.APPROVED:
        raise DomainError(_("Only an approved entry needs a correction; withdraw a proposal instead."))
    if entry.source == EntrySource.CORRECTION:
        raise DomainError(_("A correction cannot itself be corrected; record the right entry instead."))
    with transaction.atomic():
        if Entry.objects.filter(corrects=entry).exclude(state=EntryState.WITHDRAWN).exists():
            raise DomainError(_("This entry has already been corrected."))
        now = timezone.now()
        posting = posting_of(entry)  # a closed year's correction posts to the next year
        return Entry.objects.create(
            township_id=entry.township_id,
            account=entry.account,
            household=entry.household,
            village_id=entry.account.village_id,
            **posting,
            category_name=entry.category_name,
            item_name=entry.item_name,
            item_kind=entry.item_kind,
            item_points=entry.item_points,
            multiplier=entry.multiplier,
            points=-entry.points,
            source=EntrySource.CORRECTION,
            reason=late_reason(entry, posting, reason.strip()),
            corrects=entry,
            idempotency_key=idempotency_key,
            recorded_by=membership.user,
            state=EntryState.APPROVED,
            approved_by=membership.user,
            approved_at=now,
            decided_reason=reason.strip()[:300],
        )


def acknowledge_alert(*, membership: Membership, alert: ThresholdAlert) -> ThresholdAlert:
    """Right: RECORD_ENTRY on the alert's household (the clerk who keeps its village, the township office)."""
    require(membership, Action.RECORD_ENTRY, alert)
    ThresholdAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=membership.user, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert
