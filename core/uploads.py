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


def kept_from(request: HttpRequest, field: str) -> list[PendingUpload]:
    """The sender's own pending uploads named by the form's hidden `<field>_kept` tokens (unknown ones ignored).
    Call inside the township scope."""
    tokens = [t for t in request.POST.getlist(f"{field}_kept")[:MAX_KEPT] if t and len(t) <= 64]
    if not tokens or not request.user.is_authenticated:
        return []
    return list(PendingUpload.objects.filter(user=request.user, token__in=tokens).order_by("pk"))


def keep(
    *, township: Any, user: Any, files: Iterable[UploadedFile], check: Check
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
    request: Any, *, form: forms.Form, field: str, kept: list[PendingUpload], check: Check
) -> list[PendingUpload]:
    """After a failed submit: the photos already kept and those just sent (each checked; a refused one becomes an
    error of the form's `field`), for the page to show and carry in hidden fields."""
    if not request.user.is_authenticated:
        return kept
    new, refused = keep(
        township=request.township, user=request.user, files=request.FILES.getlist(field), check=check
    )
    for exc in refused:
        if str(exc.message) not in form.errors.get(field, []):
            form.add_error(field, str(exc.message))
    return kept + new
