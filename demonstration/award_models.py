"""The use of an award (seed 3: 专款专用): what an awarded village spends it on, and the checks of the programme's
leading group. Imported at the end of demonstration.models, which names every model: the rows they concern are
named as strings."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned

# The use of an award (seed 3: 专款专用) ----------------------------------------------------------------------------
# What an awarded village spends its award on, and the checks of the programme's leading group (县/市) for 虚报, 挪用
# and 未按方案使用. Both are append-only like the ledger (migration 0004's triggers): a spending is put right by a
# reversing record with a reason, a check by a later check. The balance (award − spending) never goes below zero: the
# service checks it under the application's row lock and the database refuses a spending that would overdraw it.


class AwardPurpose(models.TextChoices):
    """What the award may pay for, read from seed 3: the points supermarket's goods (生活用品、衣服、文具、粮油) and
    its site, publicising and training (宣传引导、培训), the electronic platform (电子化信息平台), and what the
    leading group approves otherwise."""

    SHOP_GOODS = "shop_goods", _("Points supermarket goods")
    FACILITIES = "facilities", _("Supermarket site and facilities")
    PUBLICITY_TRAINING = "publicity_training", _("Publicity and training")
    PLATFORM = "platform", _("Electronic points platform")
    OTHER_APPROVED = "other_approved", _("Other approved use")


def invoice_path(instance: "AwardSpending", filename: str) -> str:
    return f"demonstration/{instance.township_id}/award/{instance.application_id}/{filename}"


class AwardSpending(TownshipOwned):
    """One spending of an award (amount > 0, with its invoice), or the reversal of one (amount < 0, with a reason)."""

    village_path = "application__village"

    application = models.ForeignKey(
        "demonstration.Application",
        on_delete=models.PROTECT,
        related_name="spending",
        verbose_name=_("application"),
    )
    spent_on = models.DateField(_("date"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=AwardPurpose.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    supplier = models.CharField(_("supplier"), max_length=200)
    note = models.CharField(_("note"), max_length=300, blank=True)
    invoice = models.FileField(_("invoice"), upload_to=invoice_path, blank=True)
    invoice_name = models.CharField(max_length=200, blank=True)
    invoice_content_type = models.CharField(max_length=100, blank=True)
    invoice_size = models.PositiveIntegerField(default=0)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    reason = models.TextField(_("reason"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["spent_on", "id"]
        verbose_name = _("spending of an award")
        verbose_name_plural = _("spending of awards")
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=AwardPurpose.values), name="award_spending_purpose_valid"
            ),
            # A spending is positive and carries its invoice; a reversal is negative and says why.
            models.CheckConstraint(
                condition=(Q(reverses__isnull=True, amount__gt=0) & ~Q(invoice=""))
                | (Q(reverses__isnull=False, amount__lt=0) & ~Q(reason="")),
                name="award_spending_or_reversal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.spent_on} · {self.amount}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


class CheckFinding(models.TextChoices):
    NONE = "none", _("No problem found")
    FALSE_REPORT = "false_report", _("False report")
    MISAPPROPRIATION = "misappropriation", _("Misappropriation")
    NOT_AS_PLANNED = "not_as_planned", _("Not used as planned")


MISUSE_FINDINGS = (CheckFinding.FALSE_REPORT, CheckFinding.MISAPPROPRIATION, CheckFinding.NOT_AS_PLANNED)


class CheckKind(models.TextChoices):
    CHECK = "check", _("Check")
    SPOT_CHECK = "spot_check", _("Spot check")


class AwardCheck(TownshipOwned):
    """A check (检查) or spot check (抽查) of an award's use by a county's or a city's officer."""

    village_path = "application__village"

    application = models.ForeignKey(
        "demonstration.Application",
        on_delete=models.PROTECT,
        related_name="award_checks",
        verbose_name=_("application"),
    )
    region = models.ForeignKey(
        "demonstration.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("checked by")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CheckKind.choices, default=CheckKind.SPOT_CHECK)
    checked_on = models.DateField(_("date of the check"))
    sampled = models.ManyToManyField(AwardSpending, related_name="checks", verbose_name=_("items sampled"))
    finding = models.CharField(_("finding"), max_length=20, choices=CheckFinding.choices)
    details = models.TextField(_("what was found"), blank=True)
    follow_up = models.TextField(_("follow-up"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["checked_on", "id"]
        verbose_name = _("check of an award's use")
        verbose_name_plural = _("checks of awards' use")
        constraints = [
            models.CheckConstraint(
                condition=Q(finding__in=CheckFinding.values), name="award_check_finding_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=CheckKind.values), name="award_check_kind_valid"),
            # Misuse is never recorded without what was found and what must follow.
            models.CheckConstraint(
                condition=Q(finding=CheckFinding.NONE) | (~Q(details="") & ~Q(follow_up="")),
                name="award_check_misuse_says_what_and_follow_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.checked_on} · {self.get_finding_display()}"

    @property
    def is_misuse(self) -> bool:
        return self.finding in MISUSE_FINDINGS
