"""Claims outside rounds (积分申报, issue 14, items 3–4)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned


class ClaimChannel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    QQ = "qq", _("QQ")
    WECHAT = "wechat", _("WeChat")
    OTHER = "other", _("Other")
    VILLAGER_PAGE = "self_service", _("The villager's own page")


class ClaimDetail(TownshipOwned):
    """积分申报: what a claim outside a round records beside its entry (scheme 4's six steps). The entry holds
    the points; this holds who declared, how, when, where and why, and the first check. Keyed on the entry, so the
    holder (today the household) is the entry's."""

    village_path = "entry__village"
    household_record = True

    entry = models.OneToOneField("scoring.Entry", on_delete=models.PROTECT, related_name="claim")
    channel = models.CharField(_("channel"), max_length=12, choices=ClaimChannel.choices)
    declarer_name = models.CharField(
        _("declared by"), max_length=100, blank=True, help_text=_("Empty: the holder declared themselves.")
    )
    declarer_relation = models.CharField(_("relation to the holder"), max_length=50, blank=True)
    happened_at = models.TimeField(_("time it happened"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    cause = models.TextField(_("cause"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=ClaimChannel.values), name="claim_channel_valid"),
            models.CheckConstraint(condition=~Q(cause=""), name="claim_has_a_cause"),
            models.CheckConstraint(
                condition=Q(checked_by__isnull=True, checked_at__isnull=True)
                | Q(checked_by__isnull=False, checked_at__isnull=False),
                name="claim_checked_says_by_whom",
            ),
            models.CheckConstraint(
                condition=Q(declarer_name="") | ~Q(declarer_relation=""),
                name="claim_proxy_says_relation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry} ({self.get_channel_display()})"
