"""Read queries of publicity shared by its documents and pages."""

from households.models import Township

from .models import NoticeSettings


def notice_settings(township: Township | int) -> NoticeSettings:
    """The township's notice settings; unsaved with the defaults when it has none yet."""
    township_id = township if isinstance(township, int) else township.pk
    return NoticeSettings.objects.filter(township_id=township_id).first() or NoticeSettings(
        township_id=township_id
    )
