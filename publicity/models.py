"""What publicity keeps: each township's settings of its public notices."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned


class NoticeSettings(TownshipOwned):
    """How a township's notices, honour rolls and public pages name households and say how to object. Created
    when first changed; a township without a row has the defaults (masked names, no contact)."""

    village_path = None

    township = models.OneToOneField(
        "households.Township", on_delete=models.CASCADE, related_name="+", verbose_name=_("township")
    )
    full_names = models.BooleanField(
        _("show full names on public notices"),
        default=False,
        help_text=_("Off: names are masked (张*明). ID and phone numbers never appear on a notice."),
    )
    contact = models.CharField(
        _("how to object"),
        max_length=300,
        blank=True,
        help_text=_("Printed on notices: where and how villagers raise an objection (office, phone)."),
    )

    class Meta:
        verbose_name = _("notice settings")
        verbose_name_plural = _("notice settings")

    def __str__(self) -> str:
        return str(self.township)
