"""What publicity keeps: each township's settings of its public notices."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TownshipOwned
from scoring.models import RankingList


class NoticeSettings(TownshipOwned):
    """How a township's notices, honour rolls and public pages name households and say how to object. Created
    when first changed; a township without a row has the defaults (masked names, no contact)."""

    village_path = None

    township = models.OneToOneField(
        "households.Township", on_delete=models.CASCADE, related_name="+", verbose_name=_("township")
    )
    full_names = models.BooleanField(
        _("show full names on public notices"),
        default=False,
        help_text=_("Off: names are masked (张*明). ID and phone numbers never appear on a notice."),
    )
    contact = models.CharField(
        _("how to object"),
        max_length=300,
        blank=True,
        help_text=_("Printed on notices: where and how villagers raise an objection (office, phone)."),
    )

    class Meta:
        verbose_name = _("notice settings")
        verbose_name_plural = _("notice settings")

    def __str__(self) -> str:
        return str(self.township)


class StarBasis(models.IntegerChoices):
    """Which star households qualify: the least star level of the year's published rating."""

    ANY = 3, _("Any star household (3 stars and up)")
    FOUR = 4, _("4 stars and up")
    FIVE = 5, _("5 stars only")


class IncentivePolicy(TownshipOwned):
    """A benefit a partner (a bank, the health centre, the civil-affairs office) gives the township's star holders
    (scheme 4: phone top-up, a medical green channel, priority for elderly homes and public rental housing,
    credit). Who qualifies is one rule, `publicity.policies.qualifying_households`; its list is printed and
    exported for the partner. `key` marks the three lists Jifen always had (bank, party, commendation)."""

    village_path = None

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    partner = models.CharField(
        _("partner"), max_length=100, blank=True, help_text=_("Who grants it, e.g. 县农商银行 or 镇卫生院.")
    )
    benefit = models.CharField(
        _("benefit"), max_length=200, blank=True, help_text=_("What the holder gets, e.g. a credit line.")
    )
    min_stars = models.PositiveSmallIntegerField(_("stars needed"), choices=StarBasis.choices, default=3)
    min_total = models.DecimalField(
        _("least annual total"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Optional: the household's annual total must also reach this."),
    )
    party_members_only = models.BooleanField(
        _("party members only"),
        default=False,
        help_text=_("Only star households with a resident who is a party member."),
    )
    # Whose list (issue 14, item 2): star households (the default), or a scheme's villagers, party members or
    # units, by the stars of their village's list (rewards.selectors.list_stars) or by `top` of the township's
    # ranking; `min_total` applies to every list.
    account_list = models.CharField(
        _("for"), max_length=20, choices=RankingList.choices, default=RankingList.HOUSEHOLD
    )
    top = models.PositiveSmallIntegerField(
        _("the first so many of the ranking"),
        null=True,
        blank=True,
        help_text=_(
            "Villagers, party members, units only: e.g. 10 for the ten highest totals of the township (ties "
            "included) instead of the stars."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    key = models.CharField(max_length=20, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-active", "name", "pk"]
        verbose_name = _("incentive policy")
        verbose_name_plural = _("incentive policies")
        constraints = [
            models.UniqueConstraint(fields=["township", "name"], name="incentive_policy_name_once"),
            models.UniqueConstraint(
                fields=["township", "key"], condition=~Q(key=""), name="incentive_policy_key_once"
            ),
            models.CheckConstraint(condition=Q(min_stars__in=[3, 4, 5]), name="incentive_policy_stars_valid"),
            models.CheckConstraint(
                condition=Q(min_total__isnull=True) | Q(min_total__gte=0),
                name="incentive_policy_total_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ParentComment(TownshipOwned):
    """家长评语 (class scheme, seed 2): a parent's comment on their student's report of one month ("每个月把积分情况
    及时通报给家长,并由家长写出评语"). One per student and month; the parent may change it until the head teacher
    marks it read, and every version is kept (`history`)."""

    village_path = "household__village"
    household_record = True

    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("student")
    )
    month = models.CharField(_("month"), max_length=7, help_text=_("YYYY-MM"))
    text = models.TextField(_("comment"), max_length=2000)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(_("written at"))
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("parent's comment")
        verbose_name_plural = _("parents' comments")
        ordering = ["-month", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "month"], name="parent_comment_once_a_month"),
            models.CheckConstraint(
                condition=Q(month__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), name="parent_comment_month_valid"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="parent_comment_has_text"),
            models.CheckConstraint(
                condition=Q(read_at__isnull=True, read_by__isnull=True)
                | Q(read_at__isnull=False, read_by__isnull=False),
                name="parent_comment_read_says_by_whom",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.month}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
