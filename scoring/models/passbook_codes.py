"""The codes in the passbooks' QR (issue 14, item 6)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from households.models import Household


class PassbookCode(TownshipOwned):
    """The code in the QR on a household's passbook: it opens the villagers' own page (publicity.villager).

    Only a SHA-256 hash of the code is stored, so a copy of the database reveals no live code: the code itself
    exists once, when it is issued, and the passbook with its QR is printed then. A lost passbook is reprinted with
    a new code (the old one is revoked in the same transaction). At most one live code per account. The holder is
    the account (issue 14): a family's, a villager's or a unit's.
    """

    village_path = "account__village"
    area_path = "account__area"
    household_record = True

    # The holder is the account (a family's, a villager's or a unit's); a family's code also names its household.
    account = models.ForeignKey(
        "scoring.Account", on_delete=models.PROTECT, related_name="passbook_codes", verbose_name=_("account")
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="passbook_codes",
        verbose_name=_("household"),
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("revoked by"),
    )
    # The lockout of the villagers' page (publicity.villager): wrong second factors since `failed_since`, and
    # until when the code refuses tries. In the database, so that every web worker counts the same tries.
    failed_attempts = models.PositiveSmallIntegerField(_("wrong answers"), default=0)
    failed_since = models.DateTimeField(_("first wrong answer at"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("passbook code")
        verbose_name_plural = _("passbook codes")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(revoked_at__isnull=True), name="one_live_passbook_code"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {'revoked' if self.revoked_at else 'live'}"
