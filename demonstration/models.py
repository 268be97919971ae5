"""The demonstration-village programme (seed 3, 示范村): regions above the townships, their officers, the calls a
county or city opens, and the villages' applications with the figures they applied with.

Regions (county, city) are not tenants: a county contains townships, a city contains counties. A call belongs to a
region; an application belongs to a village, so it is township-owned and fails closed like every tenant row.
Only the moves in `demonstration.services` change the state of a call or an application, each one recorded
(who, when, why), like a review round.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from core.permissions import RegionRole
from households.models import Household, Township, Village
from review.models import MIN_NOTICE_DAYS

from .survey import QUESTIONS, SCALE_FIELDS, YES_NO_FIELDS

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class RegionKind(models.TextChoices):
    COUNTY = "county", _("County")
    CITY = "city", _("City")


class Region(models.Model):
    """县 / 市: a county contains townships (`RegionTownship`), a city contains counties (`parent`)."""

    kind = models.CharField(_("kind"), max_length=10, choices=RegionKind.choices)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("city"),
        help_text=_("The city a county belongs to; empty for a city."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=RegionKind.values), name="region_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind=RegionKind.CITY) | Q(parent__isnull=True), name="region_city_has_no_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.kind == RegionKind.COUNTY and self.parent_id and self.parent.kind != RegionKind.CITY:
            raise ValidationError({"parent": _("A county belongs to a city.")})


class RegionTownship(models.Model):
    """A township's county: one county per township."""

    village_path = None

    county = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="township_links", verbose_name=_("county")
    )
    township = models.OneToOneField(
        Township, on_delete=models.CASCADE, related_name="county_link", verbose_name=_("township")
    )

    class Meta:
        verbose_name = _("township of a county")
        verbose_name_plural = _("townships of counties")

    def __str__(self) -> str:
        return f"{self.county} · {self.township}"

    def clean(self):
        if self.county_id and self.county.kind != RegionKind.COUNTY:
            raise ValidationError({"county": _("A township belongs to a county.")})


class RegionMembership(models.Model):
    """A user's role at a county or city (县/市农业农村局); what each role may do is `core.permissions`
    (`REGION_ROLE_ACTIONS`), like a township membership's."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="region_memberships"
    )
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=RegionRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region__name", "role", "id"]
        verbose_name = _("region membership")
        verbose_name_plural = _("region memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "region"], name="one_region_membership_per_user"),
            models.CheckConstraint(condition=Q(role__in=RegionRole.values), name="region_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.region} · {self.get_role_display()}"


class CallState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Taking applications")
    PRESELECTION = "preselection", _("County pre-selection")
    SELECTION = "selection", _("Scoring and selection")
    RESULT_PUBLISHED = "result_published", _("Result published")
    CLOSED = "closed", _("Closed")


class Call(models.Model):
    """申报通知: a county's or a city's call for demonstration villages (budget, how many, dates, conditions)."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="calls", verbose_name=_("region")
    )
    title = models.CharField(_("title"), max_length=200)
    year = models.PositiveSmallIntegerField(
        _("year of the figures"), help_text=_("Applications carry the figures of this year.")
    )
    budget = models.DecimalField(_("budget (yuan)"), max_digits=12, decimal_places=2)
    villages_wanted = models.PositiveSmallIntegerField(_("number of villages"))
    preselect_limit = models.PositiveSmallIntegerField(
        _("pre-selected villages per county at most"), default=3
    )
    min_shop_share = models.DecimalField(
        _("supermarket participation at least (% of residents)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("30"),
        validators=PERCENT,
    )
    round_grace_days = models.PositiveSmallIntegerField(
        _("days after a period's end a round counts as on time"), default=15
    )
    # 公示: the township's notice of each application and the region's notice of its result run this many whole
    # calendar days; the rounds' rule (review.models.MIN_NOTICE_DAYS, seed 1: three days) is the floor.
    notice_days = models.PositiveSmallIntegerField(_("notice length in days"), default=MIN_NOTICE_DAYS)
    conditions = models.TextField(_("conditions"), blank=True)
    applications_open_on = models.DateField(_("applications from"))
    applications_close_on = models.DateField(_("applications until"))
    preselection_ends_on = models.DateField(_("pre-selection until"))
    selection_ends_on = models.DateField(_("selection until"))
    state = models.CharField(_("state"), max_length=20, choices=CallState.choices, default=CallState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    result_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-applications_open_on", "-id"]
        verbose_name = _("call for demonstration villages")
        verbose_name_plural = _("calls for demonstration villages")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=CallState.values), name="call_state_valid"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="call_budget_not_negative"),
            models.CheckConstraint(condition=Q(villages_wanted__gte=1), name="call_wants_a_village"),
            models.CheckConstraint(condition=Q(preselect_limit__gte=1), name="call_preselects_a_village"),
            models.CheckConstraint(
                condition=Q(notice_days__gte=MIN_NOTICE_DAYS),
                name="call_notice_at_least_three_days",
                violation_error_message=_("A notice runs at least three whole calendar days."),
            ),
            models.CheckConstraint(
                condition=Q(min_shop_share__gte=0, min_shop_share__lte=100), name="call_shop_share_percent"
            ),
            models.CheckConstraint(
                condition=Q(applications_close_on__gte=F("applications_open_on"))
                & Q(preselection_ends_on__gt=F("applications_close_on"))
                & Q(selection_ends_on__gte=F("preselection_ends_on")),
                name="call_dates_in_order",
                violation_error_message=_(
                    "The dates must follow each other: applications, then pre-selection, then selection."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_preselection(self) -> bool:
        """A city's call is pre-selected by each county first; a county's call goes straight to selection."""
        return self.region.kind == RegionKind.CITY


class CallMove(models.Model):
    """The call's trail: every state change with who, when and why."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="moves")
    from_state = models.CharField(max_length=20, choices=CallState.choices)
    to_state = models.CharField(max_length=20, choices=CallState.choices)
    move = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.call} {self.move}"


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted to the township")
    ON_NOTICE = "on_notice", _("Published by the township")
    FORWARDED = "forwarded", _("Forwarded by the township")
    REJECTED = "rejected", _("Not forwarded by the township")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    PRESELECTED = "preselected", _("Pre-selected by the county")
    NOT_PRESELECTED = "not_preselected", _("Not pre-selected")
    SELECTED = "selected", _("Selected")
    NOT_SELECTED = "not_selected", _("Not selected")
    AWARDED = "awarded", _("Awarded")


def application_form_path(instance, filename: str) -> str:
    return f"demonstration/{instance.township_id}/{instance.call_id}/{instance.village_id}/{filename}"


class Application(TownshipOwned):
    """申报: one village's application to one call, with the figures Jifen had when it applied (a snapshot:
    later changes to the roster, the rounds or the supermarket do not alter what was applied with)."""

    village_path = "village"

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=ApplicationState.choices, default=ApplicationState.SUBMITTED
    )
    statement = models.TextField(_("what the village has done"), blank=True)
    form = models.FileField(_("application form"), upload_to=application_form_path)
    form_name = models.CharField(max_length=200)
    form_content_type = models.CharField(max_length=100)
    form_size = models.PositiveIntegerField()
    # The snapshot, taken when applying.
    figures_at = models.DateTimeField(_("figures taken at"))
    households_eligible = models.PositiveIntegerField(_("eligible households"))
    households_taking_part = models.PositiveIntegerField(_("households taking part"))
    shop_household_share = models.DecimalField(
        _("supermarket participation (% of households)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    shop_resident_share = models.DecimalField(
        _("supermarket participation (% of residents)"), max_digits=5, decimal_places=2, validators=PERCENT
    )
    rounds_counted = models.PositiveIntegerField(_("review rounds due"))
    rounds_on_time = models.PositiveIntegerField(_("review rounds approved on time"))
    objections_total = models.PositiveIntegerField(_("objections filed"))
    objections_resolved = models.PositiveIntegerField(_("objections resolved"))
    # The city's (or the county's, for a county call) score and the award.
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    award = models.DecimalField(_("award (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call_id", "village__sort_key", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["call", "village"],
                condition=~Q(state=ApplicationState.WITHDRAWN),
                name="one_live_application_per_village_and_call",
                violation_error_message=_("This village has already applied to this call."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=ApplicationState.values), name="application_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(households_taking_part__lte=F("households_eligible")),
                name="application_taking_part_within_eligible",
            ),
            models.CheckConstraint(
                condition=Q(rounds_on_time__lte=F("rounds_counted")), name="application_on_time_within_rounds"
            ),
            models.CheckConstraint(
                condition=Q(objections_resolved__lte=F("objections_total")),
                name="application_resolved_within_objections",
            ),
            models.CheckConstraint(
                condition=Q(shop_household_share__gte=0, shop_household_share__lte=100)
                & Q(shop_resident_share__gte=0, shop_resident_share__lte=100),
                name="application_shares_are_percentages",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="application_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(award__isnull=True) | Q(award__gte=0), name="application_award_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(state=ApplicationState.AWARDED) | Q(award__isnull=False),
                name="application_awarded_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village} · {self.call}"

    @property
    def participation_share(self) -> Decimal:
        """Households taking part, in % of the eligible ones (one decimal)."""
        if not self.households_eligible:
            return Decimal("0.0")
        share = Decimal(100 * self.households_taking_part) / Decimal(self.households_eligible)
        return share.quantize(Decimal("0.1"))


class ApplicationMove(TownshipOwned):
    """The application's trail: applying and every later step, with who, when and why (a score is a step too)."""

    village_path = "application__village"

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="moves")
    from_state = models.CharField(max_length=20, choices=ApplicationState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ApplicationState.choices)
    move = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application} {self.move}"


# The villages' evaluation (issue 20, item 4) -------------------------------------------------------------------


class SurveyChannel(models.TextChoices):
    PHONE = "phone", _("On the phone, by the passbook code")
    PAPER = "paper", _("On paper, entered by the clerk")


def _answer_field(name: str) -> models.PositiveSmallIntegerField:
    question = next(q for q in QUESTIONS if q.field == name)
    return models.PositiveSmallIntegerField(question.text)


class SurveyAnswer(TownshipOwned):
    """One household's answer to the village survey of one year (the survey period): awareness, participation and
    satisfaction (`demonstration.survey`). One per household and year, held by the database. No personal data:
    the household is named by its row, never by a name, phone number or address; a paper answer says which clerk
    entered it."""

    village_path = "village"
    household_record = True

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", help_text=_("village at the time")
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year of the survey"))
    channel = models.CharField(_("channel"), max_length=10, choices=SurveyChannel.choices)
    knows_scheme = _answer_field("knows_scheme")
    knows_items = _answer_field("knows_items")
    knows_notices = _answer_field("knows_notices")
    earned_points = _answer_field("earned_points")
    used_shop = _answer_field("used_shop")
    joins_activities = _answer_field("joins_activities")
    fair_scoring = _answer_field("fair_scoring")
    shop_goods = _answer_field("shop_goods")
    overall = _answer_field("overall")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year", "village_id", "id"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(
                fields=["household", "year"],
                name="one_survey_answer_per_household_and_year",
                violation_error_message=_("This household has already answered this year's survey."),
            ),
            models.CheckConstraint(
                condition=Q(channel__in=SurveyChannel.values), name="survey_answer_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel=SurveyChannel.PHONE, entered_by__isnull=True)
                | Q(channel=SurveyChannel.PAPER, entered_by__isnull=False),
                name="survey_paper_answer_says_who_entered_it",
            ),
            models.CheckConstraint(
                condition=Q(**{f"{name}__in": (0, 1) for name in YES_NO_FIELDS}),
                name="survey_yes_no_answers_valid",
            ),
            models.CheckConstraint(
                condition=Q(**{f"{name}__range": (1, 5) for name in SCALE_FIELDS}),
                name="survey_scale_answers_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.year} #{self.pk}"


class ApplicationEvaluation(TownshipOwned):
    """The evaluation an application carries (a snapshot taken when applying, like its figures): the survey's
    results and the four "全" figures of the call's year, in %; empty where there was nothing to count."""

    village_path = "application__village"

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="evaluation")
    survey_answers = models.PositiveIntegerField(_("survey answers"))
    survey_answer_share = models.DecimalField(
        _("households answering (%)"), max_digits=5, decimal_places=1, null=True, validators=PERCENT
    )
    awareness = models.DecimalField(_("awareness (%)"), max_digits=5, decimal_places=1, null=True)
    participation = models.DecimalField(_("participation (%)"), max_digits=5, decimal_places=1, null=True)
    satisfaction = models.DecimalField(_("satisfaction (%)"), max_digits=5, decimal_places=1, null=True)
    items_used = models.DecimalField(_("items used (%)"), max_digits=5, decimal_places=1, null=True)
    households_with_entry = models.DecimalField(
        _("households with an entry (%)"), max_digits=5, decimal_places=1, null=True
    )
    entries_recorded = models.DecimalField(
        _("entries with recorder and reason (%)"), max_digits=5, decimal_places=1, null=True
    )
    rewards_public = models.DecimalField(
        _("rewards posted publicly (%)"), max_digits=5, decimal_places=1, null=True
    )

    class Meta:
        verbose_name = _("evaluation of an application")
        verbose_name_plural = _("evaluations of applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    **{
                        f"{name}__range": (0, 100)
                        for name in (
                            "awareness",
                            "participation",
                            "satisfaction",
                            "items_used",
                            "households_with_entry",
                            "entries_recorded",
                            "rewards_public",
                            "survey_answer_share",
                        )
                    }
                ),  # an empty figure (NULL) passes: nothing to count
                name="application_evaluation_percentages",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}"


# The notices of the programme (公示, with objections): at the end of the module, the rows above are their neighbours.
# The use of an award (专款专用): the same way, at the end.
from .award_models import MISUSE_FINDINGS as MISUSE_FINDINGS  # noqa: E402
from .award_models import AwardCheck as AwardCheck  # noqa: E402
from .award_models import AwardPurpose as AwardPurpose  # noqa: E402
from .award_models import AwardSpending as AwardSpending  # noqa: E402
from .award_models import CheckFinding as CheckFinding  # noqa: E402
from .award_models import CheckKind as CheckKind  # noqa: E402
from .award_models import invoice_path as invoice_path  # noqa: E402
from .notice_models import ApplicationNotice as ApplicationNotice  # noqa: E402
from .notice_models import ApplicationObjection as ApplicationObjection  # noqa: E402
from .notice_models import ResultNotice as ResultNotice  # noqa: E402
from .notice_models import ResultObjection as ResultObjection  # noqa: E402
