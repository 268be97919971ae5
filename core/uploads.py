"""Photos kept across a failed submit (issue 17.7): when a form with photos has other errors, the photos are kept
as pending uploads and the page carries their unguessable tokens in hidden fields and shows them as thumbnails; the
next valid submit uses them. A token counts only for the member who sent it, in their township (the scope), so
another member's or another township's token is ignored. The retention sweep removes what was never used.

The caller checks each file first (the ledger's own check) and passes the check in: the platform knows no rules of
evidence.
"""

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .errors import DomainError
from .models import PendingUpload

Check = Callable[[UploadedFile], str]  # the content type of a good file, or a DomainError
DOWNSCALE_PX = 1600  # photo inputs marked data-downscale are shrunk in the browser to this side (panel.js)
MAX_KEPT = 10  # tokens read from one submit; more is not a phone's form


def _owner(request: HttpRequest, code_id: int | None) -> dict[str, Any] | None:
    """Whose kept photos: the villager's passbook code when given, else the signed-in member; None for nobody."""
    if code_id is not None:
        return {"user": None, "passbook_code_id": code_id}
    if request.user.is_authenticated:
        return {"user": request.user, "passbook_code_id": None}
    return None


def kept_from(request: HttpRequest, field: str, *, code_id: int | None = None) -> list[PendingUpload]:
    """The sender's own pending uploads named by the form's hidden `<field>_kept` tokens (unknown ones ignored).
    Call inside the township scope."""
    tokens = [t for t in request.POST.getlist(f"{field}_kept")[:MAX_KEPT] if t and len(t) <= 64]
    owner = _owner(request, code_id)
    if not tokens or owner is None:
        return []
    return list(PendingUpload.objects.filter(**owner, token__in=tokens).order_by("pk"))


def keep(
    *,
    township: Any,
    user: Any,
    files: Iterable[UploadedFile],
    check: Check,
    passbook_code_id: int | None = None,
) -> tuple[list[PendingUpload], list[DomainError]]:
    """Keep each file that passes `check` (which returns its content type or raises a DomainError)."""
    kept: list[PendingUpload] = []
    refused: list[DomainError] = []
    for upload in files:
        try:
            content_type = check(upload)
        except DomainError as exc:
            refused.append(exc)
            continue
        upload.seek(0)
        pending = PendingUpload(
            township=township,
            user=user,
            passbook_code_id=passbook_code_id,
            token=secrets.token_urlsafe(32),
            original_name=(upload.name or "photo")[-255:],
            content_type=content_type,
        )
        pending.file.save(pending.token, ContentFile(upload.read()), save=False)
        pending.save()
        kept.append(pending)
    return kept, refused


def as_uploaded_files(kept: Iterable[PendingUpload]) -> list[SimpleUploadedFile]:
    """The kept photos as if sent again with the form: what the services take."""
    files = []
    for pending in kept:
        with pending.file.open("rb") as handle:
            files.append(SimpleUploadedFile(pending.original_name, handle.read(), pending.content_type))
    return files


def discard(kept: Iterable[PendingUpload]) -> None:
    """Used (the form was saved): the rows go, and their files once the transaction commits."""
    for pending in kept:
        name, storage = pending.file.name, pending.file.storage
        pending.delete()
        if name:
            transaction.on_commit(partial(storage.delete, name))


def purge_pending_uploads(*, now: datetime | None = None) -> int:
    """The retention sweep: pending uploads older than JIFEN_PENDING_UPLOAD_HOURS go with their files. Call it
    for every township (dangerously_all_townships); safe to run twice. Returns how many were removed."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.JIFEN_PENDING_UPLOAD_HOURS)
    removed = 0
    for pending in PendingUpload.objects.filter(created_at__lt=cutoff).order_by("pk"):
        name, storage = pending.file.name, pending.file.storage
        deleted, _ = PendingUpload.objects.filter(pk=pending.pk).delete()
        if deleted and name:
            storage.delete(name)
        removed += deleted
    return removed


def keep_for_form(
    request: Any,
    *,
    form: forms.Form,
    field: str,
    kept: list[PendingUpload],
    check: Check,
    township: Any = None,
    code_id: int | None = None,
    upload_field: str | None = None,
) -> list[PendingUpload]:
    """After a failed submit: the photos already kept and those just sent (each checked; a refused one becomes an
    error of the form's `field`), for the page to show and carry in hidden fields. A villager's page passes its
    township and passbook code; `upload_field` is the file input's name when the form has a prefix."""
    owner = _owner(request, code_id)
    if owner is None:
        return kept
    new, refused = keep(
        township=township or request.township,
        user=owner["user"],
        passbook_code_id=owner["passbook_code_id"],
        files=request.FILES.getlist(upload_field or field),
        check=check,
    )
    for exc in refused:
        if str(exc.message) not in form.errors.get(field, []):
            form.add_error(field, str(exc.message))
    return kept + new
