"""What a villager sends from their own page (publicity.villager), and what the village does with it.

The villager's two acts take no membership: the passbook code the page was opened with (QR plus second factor,
checked by the page before it calls) is the authority, and the service checks again that the code is live and
that what it names is that household's own. Each household has at most `MAX_PENDING` of each waiting, so the public
form cannot flood the village's worklist.

- A self-declaration waits for the grid worker's check: taken, it becomes a claim (record_claim, channel "the
  villager's own page", checked) with its photo as evidence, and goes on the village's next notice batch; refused,
  it says why.
- An appeal (申诉) against one of the household's own approved entries is decided by the village's clerk or the
  township office (DECIDE_APPEAL). Upheld, a reversing entry (a correction of the opposite points) is PROPOSED:
  like every direct entry it counts only once the village's next notice (batch or round) is approved.
"""

import datetime
import os

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Membership

from ..appeal_selectors import appealable_entries, declarable_items
from ..closing import late_reason, posting_of
from ..evidence import check_evidence_file
from ..models import (
    Appeal,
    AppealState,
    ClaimChannel,
    Entry,
    EntrySource,
    EntryState,
    Item,
    PassbookCode,
    SelfDeclaration,
    SelfDeclarationState,
)
from .claims import record_claim

MAX_PENDING = 3  # of each kind, per household, waiting for the village at once
MAX_TEXT = 1000


def _text(value: str, field: str, empty_message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(empty_message, field=field)
    if "\x00" in value:
        raise DomainError(_("This field contains characters that are not allowed."), field=field)
    if len(value) > MAX_TEXT:
        raise DomainError(
            _("Please keep it to %(n)d characters.") % {"n": MAX_TEXT},
            field=field,
        )
    return value


def _live(code: PassbookCode) -> PassbookCode:
    """The code's row, locked, if it still opens the page (a revoked code may still be open in a browser)."""
    row = PassbookCode.objects.select_for_update().filter(pk=code.pk, revoked_at__isnull=True).first()
    if row is None:
        raise DomainError(
            _(
                "This QR code was revoked (the passbook was reprinted or reported lost). Use your newest passbook."
            ),
            code="code_revoked",
        )
    return row


def submit_self_declaration(
    *,
    code: PassbookCode,
    what_happened: str,
    occurred_on: datetime.date,
    item: Item | None = None,
    photo: UploadedFile | None = None,
) -> SelfDeclaration:
    """A villager's self-declaration from their own page: it waits for the grid worker's check.

    Right: none of a member — the caller (the villager's page) opens it only for a live code whose second factor
    was answered; the code names the household."""
    what_happened = _text(what_happened, "what_happened", _("Say what happened."))
    if occurred_on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), field="occurred_on")
    if item is not None and not declarable_items().filter(pk=item.pk).exists():
        raise DomainError(_("Choose one of the items listed, or leave the item empty."), field="item")
    content_type = ""
    if photo is not None:
        try:
            content_type = check_evidence_file(photo)
        except DomainError as exc:
            raise DomainError(exc.message, field="photo") from exc
        if not content_type.startswith("image/"):
            raise DomainError(
                _("%(name)s is not a photo: attach a JPEG, PNG or WebP picture.") % {"name": photo.name},
                field="photo",
            )
    with transaction.atomic():
        row = _live(code)
        pending = SelfDeclaration.objects.filter(
            account_id=row.account_id, state=SelfDeclarationState.PENDING
        )
        if pending.count() >= MAX_PENDING:
            raise DomainError(
                _(
                    "You already have %(n)d declarations waiting for the grid worker's check. Please wait until "
                    "they are checked."
                )
                % {"n": MAX_PENDING},
                code="too_many_pending",
            )
        declaration = SelfDeclaration(
            township_id=row.township_id,
            account_id=row.account_id,
            household_id=row.household_id,
            code=row,
            item=item,
            what_happened=what_happened,
            occurred_on=occurred_on,
            photo_content_type=content_type,
            photo_size=(photo.size or 0) if photo is not None else 0,
        )
        if photo is not None:
            extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}[content_type]
            declaration.photo.save(f"photo{extension}", photo, save=False)
        declaration.save()
    return declaration


def take_self_declaration(
    *,
    membership: Membership,
    declaration: SelfDeclaration,
    item: Item,
    occurred_on: datetime.date | None = None,
    place: str = "",
    cause: str = "",
) -> Entry:
    """The grid worker's check of a self-declaration: it becomes a checked claim (channel "the villager's own
    page") for `item`, with the photo as the entry's evidence; the village's next notice batch takes it.

    Right: CHECK_CLAIM on the declaration's household (a grid worker of its village and area, the clerk, the
    township office); record_claim also checks RECORD_CLAIM, which the same roles hold."""
    require(
        membership,
        Action.CHECK_CLAIM,
        declaration,
        message=_("Only the grid worker, clerk or township office checks self-declarations."),
    )
    with transaction.atomic():
        locked = SelfDeclaration.objects.select_for_update().get(pk=declaration.pk)
        if locked.state != SelfDeclarationState.PENDING:
            raise DomainError(_("This declaration was already checked."), code="already_decided")
        photos = []
        if locked.photo:
            photos = [File(locked.photo.open("rb"), name=os.path.basename(locked.photo.name or ""))]
        try:
            entry = record_claim(
                membership=membership,
                account=locked.account,
                item=item,
                occurred_on=occurred_on or locked.occurred_on,
                channel=ClaimChannel.VILLAGER_PAGE,
                cause=(cause or "").strip() or locked.what_happened,
                place=place,
                photos=photos,  # type: ignore[arg-type]  # a stored file: checked by content like an upload
                checked=True,
            )
        finally:
            for photo in photos:
                photo.close()
        locked.state = SelfDeclarationState.TAKEN
        locked.decided_by = membership.user
        locked.decided_at = timezone.now()
        locked.entry = entry
        locked.save(update_fields=["state", "decided_by", "decided_at", "entry"])
    declaration.refresh_from_db()
    return entry


def refuse_self_declaration(
    *, membership: Membership, declaration: SelfDeclaration, reason: str
) -> SelfDeclaration:
    """The grid worker's check finds nothing to claim: the declaration is refused, with the reason the villager
    reads on their page.

    Right: CHECK_CLAIM on the declaration's household."""
    require(
        membership,
        Action.CHECK_CLAIM,
        declaration,
        message=_("Only the grid worker, clerk or township office checks self-declarations."),
    )
    reason = _text(reason, "reason", _("Say why the declaration is refused."))[:300]
    updated = SelfDeclaration.objects.filter(pk=declaration.pk, state=SelfDeclarationState.PENDING).update(
        state=SelfDeclarationState.REFUSED,
        decided_by=membership.user,
        decided_at=timezone.now(),
        refusal_reason=reason,
    )
    if not updated:
        raise DomainError(_("This declaration was already checked."), code="already_decided")
    declaration.refresh_from_db()
    return declaration


def submit_appeal(*, code: PassbookCode, entry_id: int, reason: str) -> Appeal:
    """A villager's appeal against one of their own approved entries, from their own page.

    Right: none of a member — as submit_self_declaration: the opened page's live code names the household, and
    only that household's entries can be named (another's is "not found")."""
    reason = _text(reason, "reason", _("Say why you appeal against this entry."))
    with transaction.atomic():
        row = _live(code)
        entry = Entry.objects.select_for_update().filter(pk=entry_id, account_id=row.account_id).first()
        if entry is None:
            raise DomainError(_("Choose one of your own entries."), field="entry")
        if not appealable_entries(row.account_id).filter(pk=entry.pk).exists():
            raise DomainError(
                _(
                    "This entry cannot be appealed: only a counted entry that is not a correction, not already "
                    "corrected and not already under appeal."
                ),
                field="entry",
            )
        pending = Appeal.objects.filter(account_id=row.account_id, state=AppealState.PENDING)
        if pending.count() >= MAX_PENDING:
            raise DomainError(
                _(
                    "You already have %(n)d appeals waiting for a decision. Please wait until they are decided."
                )
                % {"n": MAX_PENDING},
                code="too_many_pending",
            )
        return Appeal.objects.create(
            township_id=row.township_id,
            account_id=row.account_id,
            household_id=row.household_id,
            code=row,
            entry=entry,
            reason=reason,
        )


def decide_appeal(*, membership: Membership, appeal: Appeal, uphold: bool, reason: str) -> Appeal:
    """Uphold or reject an appeal, with the reason the villager reads. Upheld, the appealed entry is reversed by a
    PROPOSED correction of the opposite points (recorded by the decider): it goes on the village's next notice
    (review.selectors.waiting_for_a_notice; a round's notice shows it too) and counts when that is approved.

    Right: DECIDE_APPEAL on the appeal's household (the village's clerk, the township office)."""
    require(
        membership,
        Action.DECIDE_APPEAL,
        appeal,
        message=_("Only the village's clerk or the township office decides appeals."),
    )
    reason = _text(reason, "reason", _("Say why the appeal is upheld or rejected."))[:300]
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.state != AppealState.PENDING:
            raise DomainError(_("This appeal was already decided."), code="already_decided")
        locked.decided_by = membership.user
        locked.decided_at = timezone.now()
        locked.decision_reason = reason
        locked.state = AppealState.UPHELD if uphold else AppealState.REJECTED
        if uphold:
            locked.reversal = _reverse(membership, locked.entry, reason)
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_reason", "reversal"])
    appeal.refresh_from_db()
    return appeal


def _reverse(membership: Membership, entry: Entry, reason: str) -> Entry:
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    if entry.state != EntryState.APPROVED or entry.source == EntrySource.CORRECTION:
        raise DomainError(_("Only a counted entry that is not a correction can be reversed."))
    if (
        Entry.objects.filter(corrects=entry, source=EntrySource.CORRECTION)
        .exclude(state=EntryState.WITHDRAWN)
        .exists()
    ):
        raise DomainError(_("This entry has already been corrected."), code="already_corrected")
    posting = posting_of(entry)  # an entry of a closed year is reversed in the next year
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
        reason=late_reason(entry, posting, _("Appeal upheld: %(reason)s") % {"reason": reason}),
        corrects=entry,
        recorded_by=membership.user,
    )
