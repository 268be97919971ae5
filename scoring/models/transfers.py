"""Points moved between two accounts of one township (a debit and a credit entry)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned


class TransferState(models.TextChoices):
    PENDING = "pending", _("Waiting for both villages")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class Transfer(TownshipOwned):
    """Points moved between two accounts of one township: two entries, approved by both villages."""

    village_path = None

    scheme = models.ForeignKey("scoring.Scheme", on_delete=models.PROTECT, related_name="+")
    debit = models.OneToOneField("scoring.Entry", on_delete=models.PROTECT, related_name="transfer_debit")
    credit = models.OneToOneField("scoring.Entry", on_delete=models.PROTECT, related_name="transfer_credit")
    state = models.CharField(max_length=10, choices=TransferState.choices, default=TransferState.PENDING)
    from_village_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_village_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Points a household's life event moved (a split, a merge, a closing account): the event says who, when, why.
    life_event = models.ForeignKey(
        "households.LifeEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )
    created_at = models.DateTimeField(auto_now_add=True)
