"""A photo kept across a failed submit (core.uploads), shown as a thumbnail on the form: only to the member who
sent it, in its township; anyone else gets 404. Never a public media address."""

from django.http import Http404
from django.urls import path

from core.files import INLINE_TYPES, stored_file_response
from core.models import PendingUpload
from core.permissions import Action
from core.views import township_view


@township_view(Action.VIEW)
def pending_upload(request, township, membership, token):
    pending = PendingUpload.objects.filter(user=request.user, token=token[:64]).first()
    if pending is None or pending.content_type not in INLINE_TYPES:
        raise Http404
    return stored_file_response(
        pending.file, filename=pending.original_name, content_type=pending.content_type
    )


urlpatterns = [
    path("uploads/<str:token>/", pending_upload, name="pending-upload"),
]
