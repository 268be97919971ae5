"""Stored files (evidence, job results, product photos, application forms) go out through one response.

Media is never served from /media/: a view first finds the object inside the township scope (outsiders get 404),
then returns `stored_file_response`. The browser gets the type Jifen read from the content, `nosniff`, a policy that
forbids scripts even if a file were rendered as a page, no shared caching, and an attachment for anything a
browser could open as a document (only photos are shown inline).
"""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
SANDBOX = "default-src 'none'; img-src 'self'; sandbox"


def stored_file_response(
    field_file: FieldFile, *, filename: str, content_type: str | None = None
) -> FileResponse:
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=content_type not in INLINE_TYPES, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "private, no-store"
    return response
