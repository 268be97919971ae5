"""Roles inside a scheme and who holds them (seed 2: a student made a class officer counts from 85 and their
penalties double), with the history of every role set or ended: who, when, why, from which day.

A role counts for entries recorded while it is held: `record_entry` stores the multiplier on each entry, so setting
or ending a role never changes entries already recorded."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from households.models import Household

# The posts a head teacher names (free text; these are the suggestions). 课代表 names its subject.
OFFICER_POSTS = [
    "班长",
    "副班长",
    "学习委员",
    "纪律委员",
    "卫生委员",
    "体育委员",
    "文艺委员",
    "宣传委员",
    "生活委员",
    "安全委员",
    "宿舍长",
    "组长",
    "语文课代表",
    "数学课代表",
    "英语课代表",
    "物理课代表",
    "化学课代表",
    "生物课代表",
    "政治课代表",
    "历史课代表",
    "地理课代表",
    "板报组成员",
]


class RoleRule(TownshipOwned):
    """A role inside a scheme (seed 2: students 80 / class officers 85, officers' penalties ×2; party members)."""

    village_path = None

    scheme = models.ForeignKey("scoring.Scheme", on_delete=models.CASCADE, related_name="role_rules")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    base_score = models.DecimalField(
        _("base total for this role"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: the scheme's base total."),
    )
    penalty_multiplier = models.DecimalField(
        _("penalty multiplier"), max_digits=4, decimal_places=2, default=Decimal("1")
    )

    class Meta:
        ordering = ["scheme_id", "code"]
        verbose_name = _("role rule")
        verbose_name_plural = _("role rules")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="role_code_unique_in_scheme"),
            models.CheckConstraint(condition=Q(penalty_multiplier__gt=0), name="role_multiplier_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class RoleAssignment(TownshipOwned):
    """Which role a household (account) holds in a scheme now, and its post (班长, 数学课代表, …); none means the
    scheme's defaults. Its past is in RoleChange."""

    village_path = "household__village"
    household_record = True

    scheme = models.ForeignKey("scoring.Scheme", on_delete=models.CASCADE, related_name="assignments")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.ForeignKey(RoleRule, on_delete=models.PROTECT, related_name="assignments")
    title = models.CharField(_("post"), max_length=60, blank=True)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "household"], name="one_role_per_household_and_scheme")
        ]

    def __str__(self) -> str:
        return self.title or self.role.name


class RoleChangeKind(models.TextChoices):
    SET = "set", _("Role set")
    ENDED = "ended", _("Role ended")


class RoleChange(TownshipOwned):
    """One line of a role's history, written by the service that set or ended it; never changed afterwards."""

    village_path = "household__village"
    household_record = True

    scheme = models.ForeignKey("scoring.Scheme", on_delete=models.CASCADE, related_name="role_changes")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="role_changes")
    kind = models.CharField(_("change"), max_length=10, choices=RoleChangeKind.choices)
    role = models.ForeignKey(RoleRule, on_delete=models.PROTECT, related_name="changes")
    title = models.CharField(_("post"), max_length=60, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    effective_on = models.DateField(_("effective from"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    changed_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RoleChangeKind.values), name="role_change_kind_valid")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title or self.role.name}"
