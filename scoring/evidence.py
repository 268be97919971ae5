"""Evidence files: the type is read from the content (never trusted from the name or the browser).

A photo must also open as an image of its type (Pillow reads its structure; a file that only starts like a PNG is
refused), and a decompression bomb is refused before it is decoded. Downloads are served with the sniffed type,
nosniff and a sandboxing policy (scoring/views/passbook.py: evidence_download).
"""

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image

from core.errors import DomainError

ALLOWED = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}


def sniff_content_type(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_evidence_file(upload) -> str:
    """The sniffed content type of an uploaded file, or a DomainError that says what is wrong."""
    limit = settings.JIFEN_EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            _("%(name)s is %(size).1f MB; evidence files may be at most %(limit)d MB.")
            % {"name": upload.name, "size": upload.size / 1_048_576, "limit": limit // 1_048_576},
            field="evidence",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise DomainError(
            _("%(name)s is not a photo (JPEG, PNG, WebP) or a PDF document.") % {"name": upload.name},
            field="evidence",
        )
    if content_type.startswith("image/"):
        _check_image(upload, content_type)
    return content_type


PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def _check_image(upload, content_type: str) -> None:
    try:
        with Image.open(upload) as image:
            if image.format != PILLOW_FORMATS[content_type]:
                raise ValueError(image.format)
            if image.width * image.height > settings.JIFEN_EVIDENCE_MAX_PIXELS:
                raise Image.DecompressionBombError(f"{image.width}x{image.height}")
            image.verify()
    except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, ValueError…) for a broken file
        raise DomainError(
            _("%(name)s cannot be read as a photo: it is damaged or not really a %(kind)s image.")
            % {"name": upload.name, "kind": PILLOW_FORMATS[content_type]},
            field="evidence",
        ) from exc
    finally:
        upload.seek(0)
