"""Read queries of publicity shared by its documents and pages."""

from django.db.models import QuerySet

from core.permissions import restrict_to_visible
from households.models import Membership, Township

from .models import NoticeSettings, ParentComment


def notice_settings(township: Township | int) -> NoticeSettings:
    """The township's notice settings; unsaved with the defaults when it has none yet."""
    township_id = township if isinstance(township, int) else township.pk
    return NoticeSettings.objects.filter(township_id=township_id).first() or NoticeSettings(
        township_id=township_id
    )


def comments_visible_to(membership: Membership) -> QuerySet[ParentComment]:
    """The parents' comments the member sees (a parent: their own student's; a head teacher: their classes')."""
    return restrict_to_visible(membership, ParentComment.objects.all())
