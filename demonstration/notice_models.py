"""The programme's two notices (公示), each with its objections (异议) and their logged resolutions.

- The township posts each application before forwarding it (申报表"经所在乡镇公示审核"): `ApplicationNotice`.
- The call's region posts its result, the selected villages, before paying the award ("评审结果经公示无异议后兑现"):
  `ResultNotice`.
A notice runs the call's `notice_days` whole calendar days in the township's time zone (the rounds' rule,
`review.services.common.notice_end`); anyone who reads it (public page, by its token) may object while it runs; the
township, or the region, resolves each objection in writing (upheld or dismissed, by whom, when, why).
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from review.models import ObjectionState

# The rows they concern are named as strings: demonstration.models imports this module at its end.


class NoticePeriod(models.Model):
    """When a notice runs, and its public page's unguessable address."""

    opened_at = models.DateTimeField(_("notice opened at"))
    ends_at = models.DateTimeField(_("notice ends at"))
    days = models.PositiveSmallIntegerField(_("notice length in days"))
    token = models.CharField(max_length=43, unique=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    def is_running(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) < self.ends_at

    def has_ended(self, now: datetime.datetime | None = None) -> bool:
        return not self.is_running(now)

    def days_left(self, now: datetime.datetime | None = None) -> int:
        """Whole or started calendar days until the end (0 once it has ended)."""
        left = self.ends_at - (now or timezone.now())
        if left <= datetime.timedelta(0):
            return 0
        return -(-left // datetime.timedelta(days=1))

    def local_days(self, tz: str) -> tuple[datetime.date, datetime.date]:
        """The day it was posted and its last whole day, in the time zone `tz`."""
        zone = zoneinfo.ZoneInfo(tz)
        return (
            self.opened_at.astimezone(zone).date(),
            (self.ends_at.astimezone(zone) - datetime.timedelta(microseconds=1)).date(),
        )


class ApplicationNotice(TownshipOwned, NoticePeriod):
    """The township's notice of one application (one per application)."""

    village_path = "application__village"

    application = models.OneToOneField(
        "demonstration.Application", on_delete=models.PROTECT, related_name="notice"
    )

    class Meta:
        verbose_name = _("notice of an application")
        verbose_name_plural = _("notices of applications")

    def __str__(self) -> str:
        return f"{self.application}"


class ResultNotice(NoticePeriod):
    """The call's region's notice of its result (one per call): the selected villages."""

    call = models.OneToOneField("demonstration.Call", on_delete=models.PROTECT, related_name="result_notice")

    class Meta:
        verbose_name = _("notice of a call's result")
        verbose_name_plural = _("notices of calls' results")

    def __str__(self) -> str:
        return f"{self.call}"


class NoticeObjection(models.Model):
    """What every objection holds: who objects (a name, an optional mobile number), why, and its resolution."""

    objector_name = models.CharField(_("objector's name"), max_length=50)
    objector_phone = models.CharField(_("objector's phone"), max_length=20, blank=True)
    reason = models.TextField(_("reason"))
    filed_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=ObjectionState.choices, default=ObjectionState.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.objector_name}: {self.reason[:30]}"

    @property
    def is_open(self) -> bool:
        return self.state == ObjectionState.OPEN


RESOLVED_HAS_WHO_WHEN_WHY = Q(state=ObjectionState.OPEN, resolved_at__isnull=True) | ~Q(
    state=ObjectionState.OPEN
) & Q(resolved_at__isnull=False, resolved_by__isnull=False) & ~Q(outcome="")


class ApplicationObjection(TownshipOwned, NoticeObjection):
    """An objection to an application on the township's notice."""

    village_path = "notice__application__village"

    notice = models.ForeignKey(ApplicationNotice, on_delete=models.PROTECT, related_name="objections")

    class Meta:
        ordering = ["filed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ObjectionState.values), name="application_objection_state_valid"
            ),
            models.CheckConstraint(
                condition=RESOLVED_HAS_WHO_WHEN_WHY, name="application_objection_resolution_complete"
            ),
        ]


class ResultObjection(NoticeObjection):
    """An objection to a call's result: to the result as a whole, or to one selected village's place in it."""

    notice = models.ForeignKey(ResultNotice, on_delete=models.PROTECT, related_name="objections")
    application = models.ForeignKey(
        "demonstration.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village concerned"),
    )

    class Meta:
        ordering = ["filed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ObjectionState.values), name="result_objection_state_valid"
            ),
            models.CheckConstraint(
                condition=RESOLVED_HAS_WHO_WHEN_WHY, name="result_objection_resolution_complete"
            ),
        ]
