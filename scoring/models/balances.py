"""Balances kept with the ledger (issue 19): the approved points of an account per scheme, category and period.

The ledger stays the truth; a balance row is its sum, kept by the database in the same transaction as every write
to the ledger (scoring migration 0020: a statement-level trigger on scoring_entry, so a thousand entries approved
by one UPDATE change each balance row once, and no path — a service, a job, raw SQL — can forget it). An approved
entry is never updated or deleted (scoring 0002), so a balance only ever adds what becomes approved: an approval,
a correction (a reversing entry), a transfer (two entries). Withdrawn and proposed entries never count.

Readers: the score statement (scoring.selectors), hence rankings, passbooks' scores, notices, stars and dashboards;
the counter's spendable points (rewards.selectors.balance). `manage.py verify_balances` recomputes every row from
the ledger and reports a difference (weekly from beat).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned


class Balance(TownshipOwned):
    village_path = "account__village"
    household_record = True

    account = models.ForeignKey("scoring.Account", on_delete=models.PROTECT, related_name="balances")
    household = models.ForeignKey(
        "households.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scheme = models.ForeignKey("scoring.Scheme", on_delete=models.PROTECT, related_name="balances")
    category = models.ForeignKey("scoring.Category", on_delete=models.PROTECT, related_name="balances")
    year = models.PositiveSmallIntegerField(_("year"))
    period = models.CharField(_("period"), max_length=10)
    points = models.DecimalField(_("net approved points"), max_digits=12, decimal_places=2)
    # Penalty items' points, as a positive number, less what corrections of them gave back (a correction copies
    # the item of the entry it reverses).
    penalties = models.DecimalField(_("penalty points"), max_digits=12, decimal_places=2)
    entries = models.PositiveIntegerField(_("approved entries"))

    class Meta:
        verbose_name = _("balance")
        verbose_name_plural = _("balances")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "scheme", "category", "year", "period"], name="balance_one_row_per_key"
            ),
            models.CheckConstraint(condition=Q(entries__gte=0), name="balance_entries_not_negative"),
        ]
        indexes = [
            # A household's page, a village's list, a page of a ranking: the statement reads the rows of a few
            # households of one scheme (the unique key serves the accounts' readers).
            models.Index(fields=["scheme", "household"], name="balance_scheme_household"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.scheme_id}/{self.category_id} {self.period}: {self.points}"
