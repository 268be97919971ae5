"""The class's rhythm of recording and posting (seed 2, 附说明 2): the duty monitor's day and the Monday summary.

"常规结果每周一汇总,由值日班长全面负责统计每天常规结果,第二天把汇总结果交于副班长,然后副班长每星期一交老师备案。"
A class is a school's village (core.vocabulary). The rows live in review, which owns the class's notices: the
weekly summary is what the class officers post on the class's notice (a notice batch) after the hand-over.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from households.models import Household, Village


class DailyRecord(TownshipOwned):
    """值日班长的一天: which student was the class's duty monitor that day, and whether the day was closed (the
    summary handed over the next morning). The day's entries are the ledger's, dated that day."""

    village_path = "village"

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("class"))
    day = models.DateField(_("day"))
    duty_monitor = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("duty monitor"),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["village_id", "-day"]
        verbose_name = _("daily record")
        verbose_name_plural = _("daily records")
        constraints = [
            models.UniqueConstraint(fields=["village", "day"], name="one_daily_record_per_class_and_day"),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_by__isnull=False, duty_monitor__isnull=False),
                name="closed_day_names_its_duty_monitor",
            ),
        ]

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def __str__(self) -> str:
        return f"{self.village} {self.day}"


class SummaryState(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    HANDED_OVER = "handed_over", _("Handed to the vice monitor")
    FILED = "filed", _("Filed by the head teacher")


class WeeklySummary(TownshipOwned):
    """常规结果每周一汇总: one class's week (ISO week, Monday first, in the school's time zone), prepared by the duty
    monitors or a class officer, handed to the vice monitor (副班长, a student who is a class officer), filed by
    the head teacher (备案). `rows` keeps what was handed over: per student the week's deductions and additions,
    per day; `open_days` the days of the week whose daily record was not closed."""

    village_path = "village"

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("class"))
    scheme = models.ForeignKey(
        "scoring.Scheme", on_delete=models.PROTECT, related_name="+", verbose_name=_("scheme")
    )
    week = models.CharField(_("week"), max_length=10, help_text=_("ISO week, e.g. 2025-W51"))
    week_start = models.DateField(_("Monday of the week"))
    state = models.CharField(max_length=12, choices=SummaryState.choices, default=SummaryState.PREPARED)
    rows = models.JSONField(default=list)
    open_days = models.JSONField(default=list)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    vice_monitor = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vice monitor"),
    )
    handed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handed_at = models.DateTimeField(null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filed_at = models.DateTimeField(null=True, blank=True)
    # The class's notice of the week's entries (a notice batch), once a class officer posted it.
    notice_round = models.ForeignKey(
        "review.ReviewRound", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["village_id", "-week_start"]
        verbose_name = _("weekly summary")
        verbose_name_plural = _("weekly summaries")
        constraints = [
            models.UniqueConstraint(fields=["village", "week_start"], name="one_summary_per_class_and_week"),
            models.CheckConstraint(condition=Q(state__in=SummaryState.values), name="summary_state_valid"),
            models.CheckConstraint(
                condition=Q(week_start__iso_week_day=1), name="summary_week_starts_monday"
            ),
            models.CheckConstraint(
                condition=Q(state=SummaryState.PREPARED)
                | Q(vice_monitor__isnull=False, handed_by__isnull=False, handed_at__isnull=False),
                name="summary_handed_over_names_the_vice_monitor",
            ),
            models.CheckConstraint(
                condition=~Q(state=SummaryState.FILED) | Q(filed_by__isnull=False, filed_at__isnull=False),
                name="summary_filed_names_the_teacher",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.week}"
