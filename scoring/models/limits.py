"""Limits reached (seed 2's 限额) and the weekly list of them that a class files (上自习名单). The rule is in
scoring.limits."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned


class ThresholdAlert(TownshipOwned):
    """An item's limit reached in one period (seed 2: the weekly limit leads to supervised Sunday study).

    `hits` counts the hits of the period plus those carried over into it (`carried_over`, seed 2's 累积顺延)."""

    village_path = "household__village"
    household_record = True

    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("scoring.Item", on_delete=models.PROTECT, related_name="alerts")
    period = models.CharField(max_length=10)
    hits = models.PositiveSmallIntegerField()
    carried_over = models.PositiveSmallIntegerField(default=0)
    entry = models.ForeignKey("scoring.Entry", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "item", "period"], name="one_alert_per_item_and_period"
            ),
            models.CheckConstraint(
                condition=models.Q(carried_over__lt=models.F("hits")), name="alert_hits_include_carried_over"
            ),
        ]


class StudyListFiling(TownshipOwned):
    """上自习名单: the list of one class's limits reached in one week, filed (announced) by the class. Once filed,
    that week and the weeks before it take no back-dated hit of a limit that carries over (scoring.limits)."""

    village_path = "village"

    village = models.ForeignKey("households.Village", on_delete=models.PROTECT, related_name="+")
    scheme = models.ForeignKey("scoring.Scheme", on_delete=models.PROTECT, related_name="+")
    week = models.CharField(_("week"), max_length=10)  # ISO week, e.g. 2026-W49
    starts_on = models.DateField(_("Monday of the week"))
    students = models.PositiveSmallIntegerField(_("students on the list"), default=0)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("filed list of Sunday study")
        verbose_name_plural = _("filed lists of Sunday study")
        constraints = [
            models.UniqueConstraint(fields=["village", "scheme", "week"], name="one_study_list_per_week"),
            models.CheckConstraint(
                condition=models.Q(starts_on__week_day=2), name="study_list_starts_on_a_monday"
            ),
        ]
