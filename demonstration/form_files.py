"""The application form a village uploads: what the file really is, read from its content (never from its name)."""

import zipfile
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError
from scoring.evidence import check_evidence_file, sniff_content_type

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORM_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    DOCX: "Word (.docx)",
}
FORM_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    DOCX: (".docx",),
}


def form_max_bytes() -> int:
    return getattr(settings, "JIFEN_DEMONSTRATION_FORM_MAX_BYTES", 10 * 1024 * 1024)


def form_name_for(name: str, content_type: str) -> str:
    """The uploaded name, with the extension of what the file really is (a Word file named .pdf becomes .docx)."""
    name = (name or "form").rsplit("/", 1)[-1][:180]
    extensions = FORM_EXTENSIONS[content_type]
    if name.lower().endswith(extensions):
        return name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem + extensions[0]


def check_form_file(upload: Any) -> str:
    """The application form's content type, read from its content, or a DomainError that says what is wrong."""
    limit = form_max_bytes()
    if upload.size > limit:
        raise DomainError(
            _("%(name)s is %(size).1f MB; the application form may be at most %(limit)d MB.")
            % {"name": upload.name, "size": upload.size / 1_048_576, "limit": limit // 1_048_576},
            field="form",
        )
    if upload.size == 0:
        raise DomainError(_("%(name)s is empty.") % {"name": upload.name}, field="form")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is not None and content_type in FORM_TYPES:
        return content_type
    if head.startswith(b"PK\x03\x04") and _is_docx(upload):
        return DOCX
    raise DomainError(
        _("%(name)s is not a PDF, a Word document (.docx) or a photo (JPEG, PNG) of the form.")
        % {"name": upload.name},
        field="form",
    )


def _is_docx(upload: Any) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    # A macro-enabled document is not a .docx: refuse what carries a VBA project.
    return "word/document.xml" in names and not any(name.endswith("vbaProject.bin") for name in names)


INVOICE_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
}


def check_invoice_file(upload: Any) -> str:
    """An invoice's content type (a PDF or a photo, read from its bytes and, for a photo, opened by Pillow: the
    ledger's own evidence check), or a DomainError on the invoice field."""
    if not upload.size:
        raise DomainError(_("%(name)s is empty.") % {"name": upload.name}, field="invoice")
    try:
        return check_evidence_file(upload)
    except DomainError as exc:
        raise DomainError(exc.message, field="invoice", code="invoice_type") from exc


def invoice_name_for(name: str, content_type: str) -> str:
    """The uploaded name with the extension of what the file really is."""
    name = (name or "invoice").rsplit("/", 1)[-1][:180]
    extension = INVOICE_EXTENSIONS[content_type]
    if name.lower().endswith(extension) or (extension == ".jpg" and name.lower().endswith(".jpeg")):
        return name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return stem + extension
