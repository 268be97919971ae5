"""Every change to schemes and to the ledger. Approved entries are never changed: corrections reverse them."""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from households.models import Household, Township
from households.permissions import Action, require_action

from .evidence import check_evidence_file
from .models import (
    Category,
    Entry,
    EntrySource,
    EntryState,
    Evidence,
    Item,
    ItemKind,
    RoleAssignment,
    RoleRule,
    Scheme,
    SchemeState,
    ThresholdAlert,
    Transfer,
    TransferState,
    format_points,
)
from .periods import period_of

SOURCE_RECORDER = {
    EntrySource.INSPECTION: "by_inspection",
    EntrySource.DECLARATION: "by_declaration",
    EntrySource.CLERK: "by_clerk",
}


def _require_two_decimals(value: Decimal, field: str) -> Decimal:
    value = Decimal(value)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError(_("Points have at most two decimals (e.g. 0.5 or 1.25)."), field=field)
    return value


# Schemes ---------------------------------------------------------------------------------------------------------


def create_scheme(*, actor, township: Township, name: str, year: int, **options) -> Scheme:
    scheme = Scheme(township=township, name=name.strip(), year=year, **options)
    full_clean_or_raise(scheme)
    scheme.save()
    return scheme


def activate_scheme(*, actor, scheme: Scheme) -> Scheme:
    if scheme.state != SchemeState.DRAFT:
        raise DomainError(_("Only a draft scheme can be activated."))
    if not scheme.categories.exists():
        raise DomainError(_("Add at least one category before activating the scheme."))
    scheme.state = SchemeState.ACTIVE
    scheme.save(update_fields=["state"])
    return scheme


def close_scheme(*, actor, scheme: Scheme) -> Scheme:
    if scheme.state != SchemeState.ACTIVE:
        raise DomainError(_("Only an active scheme can be closed."))
    scheme.state = SchemeState.CLOSED
    scheme.save(update_fields=["state"])
    return scheme


def add_category(
    *, actor, scheme: Scheme, name: str, base_score, cadence: str, floor=None, ceiling=None, order=0
) -> Category:
    _require_editable(scheme)
    category = Category(
        township_id=scheme.township_id,
        scheme=scheme,
        name=name.strip(),
        base_score=_require_two_decimals(base_score, "base_score"),
        cadence=cadence,
        floor=floor,
        ceiling=ceiling,
        order=order,
    )
    full_clean_or_raise(category)
    category.save()
    return category


def add_item(*, actor, category: Category, name: str, kind: str, points, **fields) -> Item:
    _require_editable(category.scheme)
    points = _require_two_decimals(points, "points")
    if points <= 0:
        raise DomainError(
            _("Give the points as a positive number; bonus or penalty says the sign."), field="points"
        )
    item = Item(
        township_id=category.township_id,
        category=category,
        name=name.strip(),
        kind=kind,
        points=points,
        **fields,
    )
    full_clean_or_raise(item)
    item.save()
    return item


def update_item(*, actor, item: Item, **fields) -> Item:
    """Changing a rule never rewrites history: entries keep their own snapshot of name, points and category."""
    _require_editable(item.category.scheme)
    for name, value in fields.items():
        setattr(item, name, value)
    if "points" in fields:
        item.points = _require_two_decimals(item.points, "points")
    full_clean_or_raise(item)
    item.save()
    return item


def add_role_rule(
    *, actor, scheme: Scheme, code: str, name: str, base_score=None, penalty_multiplier=Decimal("1")
) -> RoleRule:
    rule = RoleRule(
        township_id=scheme.township_id,
        scheme=scheme,
        code=code,
        name=name,
        base_score=base_score,
        penalty_multiplier=penalty_multiplier,
    )
    full_clean_or_raise(rule)
    rule.save()
    return rule


def assign_role(*, actor, household: Household, role: RoleRule) -> RoleAssignment:
    if role.township_id != household.township_id:
        raise DomainError(_("This role belongs to another township's scheme."), field="role")
    assignment, _created = RoleAssignment.objects.update_or_create(
        scheme=role.scheme, household=household, defaults={"role": role, "township_id": household.township_id}
    )
    return assignment


def _require_editable(scheme: Scheme) -> None:
    if scheme.state == SchemeState.CLOSED:
        raise DomainError(
            _("The scheme of %(year)d is closed; start next year's scheme instead.") % {"year": scheme.year}
        )


def copy_scheme(*, actor, scheme: Scheme, year: int, name: str | None = None) -> Scheme:
    """A new year's draft scheme, starting as a copy of `scheme` (categories, items and role rules); rewards starts
    its settings from the source's (`copied_from`)."""
    with transaction.atomic():
        new = create_scheme(
            actor=actor,
            township=scheme.township,
            name=name or scheme.name,
            year=year,
            template=scheme.template,
            copied_from=scheme,
            false_declaration_multiplier=scheme.false_declaration_multiplier,
            allows_transfers=scheme.allows_transfers,
            township_approves_quarterly=scheme.township_approves_quarterly,
            township_approves_annual=scheme.township_approves_annual,
        )
        for category in scheme.categories.prefetch_related("items"):
            items = list(category.items.all())
            category.pk, category.scheme = None, new
            category.save()
            for item in items:
                item.pk, item.category = None, category
                item.save()
        for rule in scheme.role_rules.all():
            rule.pk, rule.scheme = None, new
            rule.save()
    return new


# The ledger ------------------------------------------------------------------------------------------------------


def record_entry(
    *,
    actor,
    household: Household,
    item: Item,
    occurred_on: datetime.date,
    source: str = EntrySource.CLERK,
    reason: str = "",
    evidence: Sequence = (),
    idempotency_key: str = "",
) -> Entry:
    """Propose one entry. With an idempotency key a retried submission returns the first entry."""
    if idempotency_key and (existing := Entry.objects.filter(idempotency_key=idempotency_key).first()):
        if (existing.household_id, existing.item_id) != (household.pk, item.pk):
            raise DomainError(_("This submission key was already used for another entry; reload the form."))
        return existing
    try:
        with transaction.atomic():
            entry = _record(actor, household, item, occurred_on, source, reason, evidence, idempotency_key)
    except IntegrityError:
        if idempotency_key and (existing := Entry.objects.filter(idempotency_key=idempotency_key).first()):
            return existing  # a concurrent retry won the race
        raise
    return entry


def record_bulk(
    *,
    actor,
    households: Iterable[Household],
    item: Item,
    occurred_on: datetime.date,
    reason: str = "",
    idempotency_key: str = "",
) -> list[Entry]:
    """One item for many households (e.g. everyone at a village clean-up): all recorded, or none."""
    households = list(households)
    if not households:
        raise DomainError(_("Choose at least one household."), field="households")
    with transaction.atomic():
        entries = []
        for household in households:
            try:
                entries.append(
                    record_entry(
                        actor=actor,
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


def _record(actor, household, item, occurred_on, source, reason, evidence, idempotency_key) -> Entry:
    category = item.category
    scheme = category.scheme
    if item.township_id != household.township_id:
        raise DomainError(_("This item belongs to another township's scheme."), field="item")
    if scheme.state != SchemeState.ACTIVE:
        raise DomainError(
            _("The scheme %(scheme)s is not active: it takes no entries.") % {"scheme": scheme}, field="item"
        )
    if not item.active:
        raise DomainError(_("The item %(item)s is retired.") % {"item": item.name}, field="item")
    if not household.takes_part:
        raise DomainError(
            _("Household %(number)s does not take part in the scheme (%(status)s).")
            % {"number": household.number, "status": household.get_participation_display()},
            field="household",
        )
    if occurred_on.year != scheme.year:
        raise DomainError(
            _("The date must fall in the scheme's year %(year)d.") % {"year": scheme.year},
            field="occurred_on",
        )
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
    if item.kind == ItemKind.PENALTY and item.role_multiplier_applies:
        role = (
            RoleAssignment.objects.filter(scheme=scheme, household=household).select_related("role").first()
        )
        if role is not None:
            multiplier = role.role.penalty_multiplier
    points = (item.signed_points * multiplier).quantize(Decimal("0.01"))
    period = period_of(category.cadence, occurred_on)

    # Caps and thresholds count every entry that is not withdrawn; lock the household's row so two clerks at
    # once cannot both slip under a cap.
    Household.objects.select_for_update().filter(pk=household.pk).first()
    so_far = (
        Entry.objects.counting_towards_caps()
        .filter(household=household, item=item, period=period)
        .aggregate(hits=Count("id"), total=Sum("points"))
    )
    hits, total = so_far["hits"], abs(so_far["total"] or Decimal("0"))
    if item.cap_count is not None and hits + 1 > item.cap_count:
        raise DomainError(
            _(
                "Cap reached: %(item)s counts at most %(cap)d times per period (%(period)s) and is already recorded %(hits)d times."
            )
            % {"item": item.name, "cap": item.cap_count, "period": period, "hits": hits},
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
                "period": period,
                "total": format_points(total),
            },
            field="item",
        )

    entry = Entry(
        township_id=household.township_id,
        household=household,
        village_id=household.village_id,
        scheme=scheme,
        category=category,
        item=item,
        category_name=category.name,
        item_name=item.name,
        item_kind=item.kind,
        item_points=item.points,
        multiplier=multiplier,
        points=points,
        year=occurred_on.year,
        period=period,
        occurred_on=occurred_on,
        source=source,
        reason=reason.strip(),
        idempotency_key=idempotency_key,
        recorded_by=actor,
    )
    entry.save()
    for upload, content_type in zip(files, content_types, strict=True):
        Evidence.objects.create(
            township_id=entry.township_id,
            entry=entry,
            file=upload,
            original_name=upload.name[:200],
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
    if item.threshold_count and hits + 1 == item.threshold_count:
        ThresholdAlert.objects.get_or_create(
            household=household,
            item=item,
            period=period,
            defaults={"township_id": household.township_id, "hits": hits + 1, "entry": entry},
        )
    return entry


NOTICE_REQUIRED = "entry_counts_after_notice"  # the database's rule (review migration 0004)


def approve_entries(*, actor, entries: Iterable[Entry], reason: str = "") -> int:
    """Make proposed entries count. Safe to run twice: entries already approved are left as they are.

    No point counts unseen: the database refuses unless every entry was posted with a round or notice batch that
    is being approved after its notice closed (review.services.move_round is the one caller that can succeed).
    The refusal leaves every entry as it was.
    """
    ids = [e.pk for e in entries]
    try:
        with transaction.atomic():
            return Entry.objects.filter(pk__in=ids, state=EntryState.PROPOSED).update(
                state=EntryState.APPROVED,
                approved_by=actor,
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


def withdraw_entry(*, actor, entry: Entry, reason: str) -> Entry:
    """A proposal that will not count (rejected or entered by mistake). It stays visible in the history."""
    if not reason.strip():
        raise DomainError(_("Say why the proposal is withdrawn."), field="reason")
    updated = Entry.objects.filter(pk=entry.pk, state=EntryState.PROPOSED).update(
        state=EntryState.WITHDRAWN,
        approved_by=actor,
        approved_at=timezone.now(),
        decided_reason=reason.strip()[:300],
    )
    if not updated:
        raise DomainError(_("Only a proposed entry can be withdrawn; an approved one needs a correction."))
    entry.refresh_from_db()
    return entry


def correct_entry(*, actor, entry: Entry, reason: str, idempotency_key: str = "") -> Entry:
    """Reverse an approved entry with a new approved entry of the opposite sign. Both stay visible.

    Only the township office corrects, with a reason; the correction counts at once and the village's next
    notice lists it (review.services._show_corrections)."""
    if not reason.strip():
        raise DomainError(_("Say why the entry is corrected."), field="reason")
    entry = Entry.objects.get(pk=entry.pk)  # the stored state, not a stale copy
    require_action(
        actor,
        entry.township_id,
        Action.APPROVE_ENTRY,
        entry.household,
        message=_("Only the township office corrects approved entries."),
    )
    if entry.state != EntryState.APPROVED:
        raise DomainError(_("Only an approved entry needs a correction; withdraw a proposal instead."))
    if entry.source == EntrySource.CORRECTION:
        raise DomainError(_("A correction cannot itself be corrected; record the right entry instead."))
    with transaction.atomic():
        if Entry.objects.filter(corrects=entry).exclude(state=EntryState.WITHDRAWN).exists():
            raise DomainError(_("This entry has already been corrected."))
        now = timezone.now()
        return Entry.objects.create(
            township_id=entry.township_id,
            household=entry.household,
            village_id=entry.household.village_id,
            scheme=entry.scheme,
            category=entry.category,
            item=entry.item,
            category_name=entry.category_name,
            item_name=entry.item_name,
            item_kind=entry.item_kind,
            item_points=entry.item_points,
            multiplier=entry.multiplier,
            points=-entry.points,
            year=entry.year,
            period=entry.period,
            occurred_on=entry.occurred_on,
            source=EntrySource.CORRECTION,
            reason=reason.strip(),
            corrects=entry,
            idempotency_key=idempotency_key,
            recorded_by=actor,
            state=EntryState.APPROVED,
            approved_by=actor,
            approved_at=now,
            decided_reason=reason.strip()[:300],
        )


def penalise_false_declaration(*, actor, entry: Entry, reason: str) -> Entry:
    """Seed 4: a declaration proved false costs `false_declaration_multiplier` (default 2) times its value.

    The declaration is withdrawn if still proposed (or reversed by a correction if already approved), and a
    penalty of multiplier × its value is PROPOSED against the household: like every other point it counts once
    approved (by the review round it belongs to, or by the township).
    """
    if not reason.strip():
        raise DomainError(_("Say how the declaration was proved false."), field="reason")
    entry = Entry.objects.get(pk=entry.pk)
    if entry.source != EntrySource.DECLARATION or entry.points <= 0:
        raise DomainError(_("Only a household's own declaration of a bonus can be found false."))
    with transaction.atomic():
        if Entry.objects.filter(corrects=entry, source=EntrySource.DECLARATION).exists():
            raise DomainError(_("This declaration has already been found false."))
        if entry.state == EntryState.PROPOSED:
            withdraw_entry(actor=actor, entry=entry, reason=reason)
        elif entry.state == EntryState.APPROVED:
            correct_entry(actor=actor, entry=entry, reason=reason)
        penalty = -(entry.points * entry.scheme.false_declaration_multiplier).quantize(Decimal("0.01"))
        return Entry.objects.create(
            township_id=entry.township_id,
            household=entry.household,
            village_id=entry.household.village_id,
            scheme=entry.scheme,
            category=entry.category,
            item=entry.item,
            category_name=entry.category_name,
            item_name=_("False declaration: %(item)s") % {"item": entry.item_name},
            item_kind=ItemKind.PENALTY,
            item_points=entry.item_points,
            multiplier=entry.scheme.false_declaration_multiplier,
            points=penalty,
            year=entry.year,
            period=entry.period,
            occurred_on=entry.occurred_on,
            source=EntrySource.DECLARATION,
            reason=reason.strip(),
            corrects=entry,
            recorded_by=actor,
        )


def acknowledge_alert(*, actor, alert: ThresholdAlert) -> ThresholdAlert:
    ThresholdAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=actor, acknowledged_at=timezone.now()
    )
    alert.refresh_from_db()
    return alert


# Transfers -------------------------------------------------------------------------------------------------------


def transfer_points(
    *,
    actor,
    scheme: Scheme,
    from_household: Household,
    to_household: Household,
    category: Category,
    points,
    reason: str,
) -> Transfer:
    """Two entries in one transaction; once both villages agree they go on each village's notice batch and count
    when the township approves the batches."""
    points = _require_two_decimals(points, "points")
    if not scheme.allows_transfers:
        raise DomainError(_("This scheme does not allow transfers between accounts."))
    if from_household.pk == to_household.pk:
        raise DomainError(_("Choose two different households."), field="to_household")
    if points <= 0:
        raise DomainError(_("Transfer a positive number of points."), field="points")
    if not reason.strip():
        raise DomainError(_("Say why the points are transferred."), field="reason")
    today = timezone.localdate()
    common = {
        "township_id": scheme.township_id,
        "scheme": scheme,
        "category": category,
        "category_name": category.name,
        "item_name": _("Transfer"),
        "item_kind": ItemKind.BONUS,
        "item_points": points,
        "year": scheme.year,
        "period": period_of(category.cadence, today),
        "occurred_on": today,
        "source": EntrySource.TRANSFER,
        "reason": reason.strip(),
        "recorded_by": actor,
    }
    with transaction.atomic():
        debit = Entry.objects.create(
            household=from_household, village_id=from_household.village_id, points=-points, **common
        )
        credit = Entry.objects.create(
            household=to_household, village_id=to_household.village_id, points=points, **common
        )
        return Transfer.objects.create(
            township_id=scheme.township_id, scheme=scheme, debit=debit, credit=credit
        )


def approve_transfer_side(*, actor, transfer: Transfer, side: str) -> Transfer:
    """`side` is "from" or "to": each village approves its own side; both sides make the entries count."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.state != TransferState.PENDING:
            raise DomainError(_("This transfer is already decided."))
        setattr(transfer, f"{side}_village_approved_by", actor)
        if transfer.from_village_approved_by_id and transfer.to_village_approved_by_id:
            # Both villages agree; the two entries still count only after their villages' notice batches.
            transfer.state = TransferState.APPROVED
        transfer.save()
    return transfer
