"""Points accounts (积分账户, issue 14 item 1): the subject of the one ledger.

Scheme 4 keeps accounts for families (家庭: a household), villagers (村民: a resident as a person; party members are
residents with the flag and have their own list) and units (单位). Every entry names its account; an entry of a
household's account also names the household (the database checks that the two agree), so everything built on
households (scheme 1) reads as before. There are no parallel tables per kind.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from households.models import Area, Household, Resident, Unit, Village


class AccountKind(models.TextChoices):
    HOUSEHOLD = "household", _("Family")  # 家庭 (a household)
    RESIDENT = "resident", _("Villager")  # 村民 (a person)
    UNIT = "unit", _("Unit")  # 单位


class RankingList(models.TextChoices):
    """The lists a scheme ranks and honours separately: each account kind, and party members among villagers."""

    HOUSEHOLD = "household", _("Families")
    RESIDENT = "resident", _("Villagers")
    PARTY_MEMBER = "party_member", _("Party members")
    UNIT = "unit", _("Units")


# The account kind whose accounts a list ranks.
LIST_KIND = {
    RankingList.HOUSEHOLD: AccountKind.HOUSEHOLD,
    RankingList.RESIDENT: AccountKind.RESIDENT,
    RankingList.PARTY_MEMBER: AccountKind.RESIDENT,
    RankingList.UNIT: AccountKind.UNIT,
}


class Account(TownshipOwned):
    """积分账户: one holder's account. Exactly one of household, resident and unit is set, the one its kind names.

    The account goes with its holder (CASCADE) only while it has no entries: the ledger's PROTECT keeps a holder
    with points. `village` and `area` are the holder's (a unit has no area; the household move keeps both), so the visibility
    rules of every other village-bound record apply to accounts and their entries unchanged: a grid worker of some
    areas serves the families and villagers of those areas, a grid worker of the whole village its units too."""

    village_path = "village"
    area_path = "area"
    household_record = True

    kind = models.CharField(_("account kind"), max_length=10, choices=AccountKind.choices)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    household = models.OneToOneField(
        Household, null=True, blank=True, on_delete=models.CASCADE, related_name="points_account"
    )
    resident = models.OneToOneField(
        Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="points_account"
    )
    unit = models.OneToOneField(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="points_account"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=AccountKind.HOUSEHOLD, household__isnull=False, resident=None, unit=None)
                    | Q(kind=AccountKind.RESIDENT, resident__isnull=False, household=None, unit=None)
                    | Q(kind=AccountKind.UNIT, unit__isnull=False, household=None, resident=None)
                ),
                name="account_holder_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=AccountKind.UNIT) | Q(area__isnull=False), name="account_area_unless_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.holder_name}"

    @property
    def holder(self) -> Household | Resident | Unit:
        return self.household or self.resident or self.unit  # type: ignore[return-value]

    @property
    def holder_name(self) -> str:
        """The holder as staff pages name it: the household's number, the resident's or the unit's name."""
        return str(self.holder)
