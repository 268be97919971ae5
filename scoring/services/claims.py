"""Claims outside rounds (积分申报, scheme 4's six steps): a grid worker (or the clerk, or the township office)
records a household's claim any day with its channel, declarer, time, place, cause and photos, and checks it
first. Only checked claims go on the village's notice batch (review.selectors.waiting_for_a_notice); the batch's
notice, submission and the township's approval make them count, as for every direct entry.

The claim is keyed on its entry: the holder is the entry's account (a family, a villager or a unit)."""

import datetime
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, can, require
from households.models import Household, Membership

from ..evidence import check_evidence_file
from ..models import Account, ClaimChannel, ClaimDetail, Entry, EntrySource, EntryState, Item, ItemKind
from .accounts import account_of
from .ledger import _record


def record_claim(
    *,
    membership: Membership,
    household: Household | None = None,
    account: Account | None = None,
    item: Item,
    occurred_on: datetime.date,
    channel: str,
    cause: str,
    declarer_name: str = "",
    declarer_relation: str = "",
    happened_at: datetime.time | None = None,
    place: str = "",
    photos: Sequence[UploadedFile] = (),
    checked: bool = True,
) -> Entry:
    """Record one claim as a PROPOSED entry of source `claim` with its detail. The operator is `recorded_by`;
    with `checked` (the default) they have also collected and checked it (the first check).

    The holder is `account` (a family's, a villager's or a unit's), or `household` for its own account.

    Right: RECORD_CLAIM on the account (a grid worker of its village and area — a unit's, of its village —, the
    village's clerk, the township office)."""
    if account is None:
        if household is None:
            raise DomainError(_("Choose whose claim this is."), field="account")
        account = account_of(household)
    require(
        membership,
        Action.RECORD_CLAIM,
        account,
        message=_(
            "This account is not among those you serve: record claims only for your villages and areas."
        ),
    )
    if channel not in ClaimChannel.values:
        raise DomainError(
            _("Choose how the claim was made (in person, phone, SMS, QQ, WeChat, other)."), field="channel"
        )
    if not cause.strip():
        raise DomainError(_("Say what happened: the cause of the claim."), field="cause")
    declarer_name, declarer_relation = declarer_name.strip(), declarer_relation.strip()
    if declarer_name and not declarer_relation:
        raise DomainError(
            _("Say how %(name)s is related to the holder (or leave the declarer empty).")
            % {"name": declarer_name},
            field="declarer_relation",
        )
    if item.kind != ItemKind.BONUS:
        raise DomainError(_("A claim is for a bonus item; record penalties as entries."), field="item")
    photos = list(photos)
    for photo in photos:
        if not check_evidence_file(photo).startswith("image/"):
            raise DomainError(
                _("%(name)s is not a photo: attach JPEG, PNG or WebP images.") % {"name": photo.name},
                field="photos",
            )
    with transaction.atomic():
        entry = _record(
            membership, account, item, occurred_on, EntrySource.CLAIM, cause, photos, idempotency_key=""
        )
        check = checked and can(membership, Action.CHECK_CLAIM, account)
        ClaimDetail.objects.create(
            township_id=entry.township_id,
            entry=entry,
            channel=channel,
            declarer_name=declarer_name[:100],
            declarer_relation=declarer_relation[:50],
            happened_at=happened_at,
            place=place.strip()[:200],
            cause=cause.strip(),
            checked_by=membership.user if check else None,
            checked_at=timezone.now() if check else None,
        )
    return entry


def check_claim(*, membership: Membership, entry: Entry) -> ClaimDetail:
    """The first check of a claim that arrived unchecked: from now on the village's notice batch takes it.

    Right: CHECK_CLAIM on the entry (a grid worker of its village and area, the clerk, the township office)."""
    require(
        membership,
        Action.CHECK_CLAIM,
        entry,
        message=_("Only the grid worker, clerk or township office checks claims."),
    )
    claim = ClaimDetail.objects.filter(entry=entry).first()
    if claim is None:
        raise DomainError(_("This entry is not a claim."), code="not_a_claim")
    if entry.state != EntryState.PROPOSED:
        raise DomainError(_("Only a proposed claim can be checked."), code="illegal_state")
    updated = ClaimDetail.objects.filter(pk=claim.pk, checked_at__isnull=True).update(
        checked_by=membership.user, checked_at=timezone.now()
    )
    if not updated:
        raise DomainError(_("This claim was already checked."), code="already_checked")
    claim.refresh_from_db()
    return claim
