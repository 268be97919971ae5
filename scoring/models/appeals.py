"""What a villager sends from their own page (publicity.villager, issue 14 item 6): a self-declaration with a
photo, which waits for the grid worker's check, and an appeal against one of their own entries (申诉), which the
village clerk or the township office decides. Neither changes points by itself: a taken declaration becomes a
claim (scoring.services.claims), an upheld appeal a reversing entry, and both count only through a notice."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from households.models import Household


class SelfDeclarationState(models.TextChoices):
    PENDING = "pending", _("Waiting for the grid worker's check")
    TAKEN = "taken", _("Taken as a claim")
    REFUSED = "refused", _("Refused")


class AppealState(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    UPHELD = "upheld", _("Appeal upheld")
    REJECTED = "rejected", _("Appeal rejected")


def declaration_photo_path(instance, filename: str) -> str:
    return f"self-declarations/{instance.township_id}/{instance.account_id}/{filename}"


class SelfDeclaration(TownshipOwned):
    """自主申报 from the villager's own page: what happened, when, optionally the item and a photo (type checked
    by content, size limited: scoring.evidence). The grid worker's check takes it as a claim or refuses it."""

    village_path = "account__village"
    area_path = "account__area"
    household_record = True

    # The holder: the account whose page it came from (a family's also names its household).
    account = models.ForeignKey(
        "scoring.Account",
        on_delete=models.PROTECT,
        related_name="self_declarations",
        verbose_name=_("account"),
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="self_declarations",
        verbose_name=_("household"),
    )
    code = models.ForeignKey(
        "scoring.PassbookCode", on_delete=models.PROTECT, related_name="+", verbose_name=_("passbook code")
    )
    item = models.ForeignKey(
        "scoring.Item",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("item"),
    )
    what_happened = models.TextField(_("what happened"))
    occurred_on = models.DateField(_("date it happened"))
    photo = models.FileField(_("photo"), upload_to=declaration_photo_path, blank=True)
    photo_content_type = models.CharField(max_length=60, blank=True)
    photo_size = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    state = models.CharField(
        _("state"), max_length=10, choices=SelfDeclarationState.choices, default=SelfDeclarationState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusing"), max_length=300, blank=True)
    entry = models.OneToOneField(
        "scoring.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="self_declaration"
    )

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("self-declaration")
        verbose_name_plural = _("self-declarations")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=SelfDeclarationState.values), name="self_declaration_state_valid"
            ),
            models.CheckConstraint(condition=~Q(what_happened=""), name="self_declaration_says_what"),
            models.CheckConstraint(
                condition=Q(state=SelfDeclarationState.PENDING, decided_by__isnull=True, entry__isnull=True)
                | Q(state=SelfDeclarationState.TAKEN, decided_by__isnull=False, entry__isnull=False)
                | (
                    Q(state=SelfDeclarationState.REFUSED, decided_by__isnull=False, entry__isnull=True)
                    & ~Q(refusal_reason="")
                ),
                name="self_declaration_decision_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.occurred_on} {self.state}"


class Appeal(TownshipOwned):
    """申诉: a household's challenge to one of its own approved entries, with a reason. Upheld, it posts a
    reversing entry (a proposed correction) that counts through the village's next notice."""

    village_path = "account__village"
    area_path = "account__area"
    household_record = True

    account = models.ForeignKey(
        "scoring.Account", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("account")
    )
    household = models.ForeignKey(
        Household,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("household"),
    )
    code = models.ForeignKey(
        "scoring.PassbookCode", on_delete=models.PROTECT, related_name="+", verbose_name=_("passbook code")
    )
    entry = models.ForeignKey(
        "scoring.Entry", on_delete=models.PROTECT, related_name="appeals", verbose_name=_("appealed entry")
    )
    reason = models.TextField(_("reason"))
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    state = models.CharField(
        _("state"), max_length=10, choices=AppealState.choices, default=AppealState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=300, blank=True)
    reversal = models.OneToOneField(
        "scoring.Entry", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by_appeal"
    )

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=AppealState.values), name="appeal_state_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="appeal_has_a_reason"),
            models.CheckConstraint(
                condition=Q(state=AppealState.PENDING, decided_by__isnull=True, reversal__isnull=True)
                | (
                    Q(state=AppealState.UPHELD, decided_by__isnull=False, reversal__isnull=False)
                    & ~Q(decision_reason="")
                )
                | (
                    Q(state=AppealState.REJECTED, decided_by__isnull=False, reversal__isnull=True)
                    & ~Q(decision_reason="")
                ),
                name="appeal_decision_complete",
            ),
            models.UniqueConstraint(
                fields=["entry"], condition=Q(state=AppealState.PENDING), name="one_pending_appeal_per_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} → {self.entry_id} {self.state}"
