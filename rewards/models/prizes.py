"""Term-end prizes of the class scheme (seed 2, 附说明 4): "期末汇总,奖励总分前15名(含集体减分和个人减分)的同学,奖励分为
一、二、三等(特别突出的视情况,可设特等),奖品在下学期初兑现。"

A `PrizeList` is one class's list of one term (scheme); its `TermPrize` rows are the students' prizes. The list is
computed by rewards.services.prizes (again and again while proposed: the same ledger gives the same rows), then
published by the head teacher; a published prize waits to be handed out at the start of the next term."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import TownshipOwned
from households.models import Household, Village
from scoring.models import Scheme


class PrizeListState(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("prize list", "Proposed")
    PUBLISHED = "published", pgettext_lazy("prize list", "Published")


class PrizeTier(models.IntegerChoices):
    """The tiers, best first (the number orders them)."""

    SPECIAL = 0, _("Special prize")  # 特等: set by the head teacher, with a reason
    FIRST = 1, _("First prize")
    SECOND = 2, _("Second prize")
    THIRD = 3, _("Third prize")


class PrizeList(TownshipOwned):
    """One class's prizes of one term, with the tier sizes it used (the scheme's may change later)."""

    village_path = "village"

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="prize_lists")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("class"))
    state = models.CharField(
        _("state"), max_length=10, choices=PrizeListState.choices, default=PrizeListState.PROPOSED
    )
    first = models.PositiveSmallIntegerField(_("first prizes"))
    second = models.PositiveSmallIntegerField(_("second prizes"))
    third = models.PositiveSmallIntegerField(_("third prizes"))
    closed_early = models.BooleanField(
        _("term closed early"), default=False, help_text=_("Computed before the term's last day.")
    )
    students = models.PositiveIntegerField(_("students ranked"), default=0)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField(_("computed at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("prize list")
        verbose_name_plural = _("prize lists")
        ordering = ["-scheme__starts_on", "village__sort_key", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "village"], name="prize_list_once_per_class_and_term"),
            models.CheckConstraint(
                condition=Q(state__in=PrizeListState.values), name="prize_list_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=PrizeListState.PUBLISHED)
                | Q(published_by__isnull=False, published_at__isnull=False),
                name="prize_list_published_says_by_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.village}"

    @property
    def published(self) -> bool:
        return self.state == PrizeListState.PUBLISHED


class TermPrize(TownshipOwned):
    """A student's prize of one term: the tier, their place and total, and when it was handed out (next term)."""

    village_path = "village"
    household_record = True

    prize_list = models.ForeignKey(PrizeList, on_delete=models.CASCADE, related_name="prizes")
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("class"))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="term_prizes", verbose_name=_("student")
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=PrizeTier.choices)
    rank = models.PositiveIntegerField(_("place"), null=True, blank=True)
    total = models.DecimalField(_("term total"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    handed_out_at = models.DateTimeField(_("handed out at"), null=True, blank=True)
    handed_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("term prize")
        verbose_name_plural = _("term prizes")
        ordering = ["prize_list_id", "tier", "rank", "household__number"]
        constraints = [
            models.UniqueConstraint(fields=["prize_list", "household"], name="term_prize_once_per_student"),
            models.CheckConstraint(condition=Q(tier__in=PrizeTier.values), name="term_prize_tier_valid"),
            models.CheckConstraint(
                condition=~Q(tier=PrizeTier.SPECIAL) | ~Q(reason=""), name="term_prize_special_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(handed_out_at__isnull=True, handed_out_by__isnull=True)
                | Q(handed_out_at__isnull=False, handed_out_by__isnull=False),
                name="term_prize_handed_out_says_by_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_tier_display()}"
