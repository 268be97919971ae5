"""Rewards per star level, the villages' budgets, their funding lines and the reward allocations."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from households.models import Household, Village
from scoring.models import Scheme

from .stars import StarRun


class RewardLevel(TownshipOwned):
    """What a star level brings (seed 1 五、积分运用): a plaque and a material reward worth `value` yuan."""

    village_path = None

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="reward_levels")
    stars = models.PositiveSmallIntegerField(_("stars"), choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★")])
    plaque = models.CharField(_("plaque"), max_length=100, help_text=_("For example 五星级文明户."))
    reward = models.CharField(_("material reward"), max_length=200, blank=True)
    value = models.DecimalField(_("value (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["scheme_id", "-stars"]
        verbose_name = _("reward level")
        verbose_name_plural = _("reward levels")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "stars"], name="reward_level_once_per_stars"),
            models.CheckConstraint(condition=Q(stars__in=[3, 4, 5]), name="reward_level_stars_valid"),
            models.CheckConstraint(condition=Q(value__gte=0), name="reward_level_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.stars}★ {self.plaque}"


class Budget(TownshipOwned):
    """One village's reward money for one year (seed 4): funding lines, capped at `cap_per_resident` × residents.

    Reward allocations (committed) and supermarket costs (spent) draw on it; what would pass the limit is refused.
    `residents` is counted from the roster when the budget is opened (and recounted on request), so the limit and
    the per-resident funding lines do not move under a clerk's feet.
    """

    village_path = "village"

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="budgets")
    year = models.PositiveSmallIntegerField(_("year"))
    cap_per_resident = models.DecimalField(
        _("cap per resident (yuan)"), max_digits=8, decimal_places=2, default=Decimal("2")
    )
    residents = models.PositiveIntegerField(_("residents counted"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "village__sort_key"]
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="budget_once_per_village_year"),
            models.CheckConstraint(condition=Q(cap_per_resident__gte=0), name="budget_cap_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.year}"


class FundingKind(models.TextChoices):
    TOWNSHIP = "township", _("Township, per resident")
    VILLAGE = "village", _("Village, per resident")
    DONATION = "donation", _("Donation")
    MERCHANT = "merchant", _("Merchants' discount")


PER_RESIDENT_KINDS = (FundingKind.TOWNSHIP, FundingKind.VILLAGE)
DEFAULT_PER_RESIDENT = {FundingKind.TOWNSHIP: Decimal("1.5"), FundingKind.VILLAGE: Decimal("1")}


class FundingLine(TownshipOwned):
    """Money into a budget. Never edited: a mistake is put right by a line of the opposite sign, with a note."""

    village_path = "budget__village"

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="funding_lines")
    kind = models.CharField(_("kind"), max_length=10, choices=FundingKind.choices)
    per_resident = models.DecimalField(
        _("yuan per resident"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    source = models.CharField(_("from"), max_length=100, blank=True, help_text=_("Donor or merchant."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["budget_id", "created_at", "id"]
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=FundingKind.values), name="funding_kind_valid"),
            models.CheckConstraint(condition=~Q(amount=0), name="funding_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.budget} {self.get_kind_display()} {self.amount}"


class RewardAllocation(TownshipOwned):
    """A star household's reward of a year, drawn on its village's budget; cancelled by a reversing record."""

    village_path = "budget__village"
    household_record = True

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="allocations")
    run = models.ForeignKey(StarRun, on_delete=models.PROTECT, related_name="allocations")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="reward_allocations")
    stars = models.PositiveSmallIntegerField(_("stars"))
    plaque = models.CharField(_("plaque"), max_length=100)
    reward = models.CharField(_("material reward"), max_length=200, blank=True)
    value = models.DecimalField(_("value (yuan)"), max_digits=10, decimal_places=2)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["budget_id", "-stars", "household__number", "id"]
        verbose_name = _("reward allocation")
        verbose_name_plural = _("reward allocations")
        constraints = [
            models.CheckConstraint(
                condition=Q(reverses__isnull=True, value__gte=0)
                | Q(reverses__isnull=False, value__lte=0) & ~Q(reason=""),
                name="allocation_reversal_negative_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.stars}★ {self.value}"
