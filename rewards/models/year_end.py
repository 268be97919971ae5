"""Spendable points cleared at a year-end close (年度结算), one row per account: the supermarket's side of the ledger.

A scheme whose spendable points start again each year (StarRule.spendable_resets_yearly) clears what was left at
the close, so no point is lost without a record of who cleared it, when and why. The ranking's points (the ledger)
are untouched: clearing, like spending, never lowers a score."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned


class SpendableClearing(TownshipOwned):
    village_path = "account__village"
    household_record = True

    close = models.ForeignKey("scoring.YearClose", on_delete=models.PROTECT, related_name="clearings")
    account = models.ForeignKey("scoring.Account", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "households.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    points = models.DecimalField(_("points cleared"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["close_id", "account_id"]
        verbose_name = _("spendable points cleared")
        verbose_name_plural = _("spendable points cleared")
        constraints = [
            models.UniqueConstraint(fields=["close", "account"], name="spendable_clearing_once_per_account"),
            models.CheckConstraint(
                condition=Q(points__gt=0) & ~Q(reason=""), name="spendable_clearing_positive"
            ),
        ]


class SpentBalance(TownshipOwned):
    """What an account has spent in a year, kept with the supermarket's ledger (issue 19): the sum of its
    redemptions (cancellations subtract) and of the points cleared at the year's close, changed by the database in
    the same transaction as every redemption, cancellation and clearing (rewards migration 0014's triggers). The
    counter reads it instead of summing the account's redemptions; `manage.py verify_balances` checks it."""

    village_path = "account__village"
    household_record = True

    account = models.ForeignKey("scoring.Account", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "households.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    redeemed = models.DecimalField(_("points redeemed"), max_digits=12, decimal_places=2)
    cleared = models.DecimalField(_("points cleared"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("points spent")
        verbose_name_plural = _("points spent")
        constraints = [
            models.UniqueConstraint(fields=["account", "year"], name="spent_balance_one_row_per_year")
        ]
