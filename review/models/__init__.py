"""Review panels (评议小组), rounds, their notices and steps; the class's daily record and weekly summary (`.rhythm`)."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned
from core.tenancy import TownshipScopedManager
from households.models import Area, Village
from scoring.periods import period_label


class ReviewPanel(TownshipOwned):
    """At least five people; a panel inspects other areas than its home area (cross-review)."""

    village_path = "village"

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=100)
    home_area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("home area")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["village_id", "name"]
        verbose_name = _("review panel")
        verbose_name_plural = _("review panels")
        constraints = [
            models.UniqueConstraint(fields=["village", "name"], name="panel_name_unique_in_village")
        ]

    def __str__(self) -> str:
        return self.name


class PanelMemberKind(models.TextChoices):
    COMMITTEE = "committee", _("Village committee member")
    AREA_LEADER = "area_leader", _("Area leader")
    SUPERVISOR = "supervisor", _("Supervision committee member")
    PARTY_REPRESENTATIVE = "party_representative", _("Party member representative")
    VILLAGER_REPRESENTATIVE = "villager_representative", _("Villager representative")


class PanelMemberQuerySet(models.QuerySet):
    def current(self) -> "PanelMemberQuerySet":
        """The members who sit on their panel now: a replaced or removed member keeps the row, with `until`."""
        return self.filter(until__isnull=True)


class PanelMember(TownshipOwned):
    """A person's seat on a panel from `since`; a replacement mid-year ends it (`until`, `end_reason`, `ended_by`)
    and the new member's seat starts the same day. Only current seats count (quorum, cross-review, the minimum)."""

    village_path = "panel__village"
    panel = models.ForeignKey(ReviewPanel, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=PanelMemberKind.choices)
    since = models.DateField(_("since"), default=timezone.localdate)
    until = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("why the seat ended"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaced_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )

    objects = TownshipScopedManager(PanelMemberQuerySet)  # type: ignore[django-manager-missing]

    class Meta:
        ordering = ["panel_id", "id"]
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        constraints = [
            models.UniqueConstraint(
                fields=["panel", "user"], condition=Q(until__isnull=True), name="panel_member_once"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="panel_member_until_after_since",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | ~Q(end_reason=""), name="panel_member_end_has_reason"
            ),
        ]

    @property
    def is_current(self) -> bool:
        return self.until is None


MIN_NOTICE_DAYS = 3  # seed 1: 公示三天; a township may lengthen a notice, never shorten it


class RoundKind(models.TextChoices):
    QUARTERLY = "quarterly", _("Quarterly inspection")
    ANNUAL = "annual", _("Annual review")
    # 公示批次: entries recorded directly (clerk, grid worker, bulk, transfers) posted like a round's notice and
    # approved by the township after it ends (review.services.post_notice_batch).
    BATCH = "batch", _("Notice batch")


# What a member may open as a round; a notice batch is posted by `post_notice_batch`, never created empty.
ROUND_KINDS_TO_OPEN = [
    (RoundKind.QUARTERLY, RoundKind.QUARTERLY.label),
    (RoundKind.ANNUAL, RoundKind.ANNUAL.label),
]


class RoundState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COLLECTING = "collecting", _("Collecting")
    PANEL_REVIEW = "panel_review", _("Panel review")
    REPRESENTATIVES = "representatives", _("Representatives' meeting")
    ON_NOTICE = "on_notice", _("On public notice")
    SUBMITTED = "submitted", _("Submitted to the township")
    APPROVED = "approved", _("Approved")


class ReviewRound(TownshipOwned):
    """评议: one village, one scheme, one period. Only the moves in `review.services.MOVES` change its state."""

    village_path = "village"

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    scheme = models.ForeignKey(
        "scoring.Scheme", on_delete=models.PROTECT, related_name="+", verbose_name=_("scheme")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RoundKind.choices)
    period = models.CharField(
        _("period"),
        max_length=10,
        help_text=_("2026-Q1 for a quarter, 2026 for the year, 2026-B03 for a notice batch"),
    )
    state = models.CharField(_("state"), max_length=20, choices=RoundState.choices, default=RoundState.DRAFT)
    notice_days = models.PositiveSmallIntegerField(_("notice length in days"), default=3)
    notice_opened_at = models.DateTimeField(_("notice opened at"), null=True, blank=True)
    notice_ends_at = models.DateTimeField(_("notice ends at"), null=True, blank=True)
    notice_number = models.PositiveSmallIntegerField(
        default=0, help_text=_("1 for the first notice, 2 after a fresh one")
    )
    notice_closed_at = models.DateTimeField(null=True, blank=True)
    # The public notice page's address: unguessable, one per round.
    notice_token = models.CharField(max_length=43, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "scheme", "kind", "period"],
                name="one_round_per_village_scheme_period",
                violation_error_message=_("This village already has a round of this kind for this period."),
            ),
            models.CheckConstraint(condition=models.Q(kind__in=RoundKind.values), name="round_kind_valid"),
            models.CheckConstraint(condition=models.Q(state__in=RoundState.values), name="round_state_valid"),
            models.CheckConstraint(
                # Rounds whose notice opened under the old one-day minimum keep their recorded length (review
                # migration 0005); every round whose notice is still to come runs at least three days.
                condition=models.Q(notice_days__gte=MIN_NOTICE_DAYS)
                | models.Q(notice_opened_at__isnull=False),
                name="round_notice_at_least_three_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.get_period_display()} {self.get_kind_display()}"

    def get_period_display(self) -> str:
        """The period as pages name it (2026年第一季度), like Django's get_FOO_display for a choice."""
        return period_label(self.period)

    @property
    def notice_first_day(self) -> datetime.date | None:
        """The calendar day the notice was posted, in the township's time zone."""
        if self.notice_opened_at is None:
            return None
        return self.notice_opened_at.astimezone(zoneinfo.ZoneInfo(self.township.timezone)).date()

    @property
    def notice_last_day(self) -> datetime.date | None:
        """The last whole calendar day of the notice: it ends at the midnight after it (township's time zone)."""
        if self.notice_ends_at is None:
            return None
        local_end = self.notice_ends_at.astimezone(zoneinfo.ZoneInfo(self.township.timezone))
        return (local_end - datetime.timedelta(microseconds=1)).date()


class RoundMove(TownshipOwned):
    """The trail: every state change with who, when and why."""

    village_path = "round__village"

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="moves")
    from_state = models.CharField(max_length=20, choices=RoundState.choices)
    to_state = models.CharField(max_length=20, choices=RoundState.choices)
    move = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class PanelAssignment(TownshipOwned):
    """Cross-review: in a round, a panel inspects an area other than its home area."""

    village_path = "round__village"

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="assignments")
    panel = models.ForeignKey(ReviewPanel, on_delete=models.PROTECT, related_name="assignments")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "area"], name="one_panel_per_area_and_round")]


class RoundEntry(TownshipOwned):
    """A proposal of the round: a scoring entry (proposed until the township approves the round)."""

    village_path = "round__village"
    household_record = True

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="round_entries")
    entry = models.OneToOneField("scoring.Entry", on_delete=models.PROTECT, related_name="round_link")
    inspection = models.ForeignKey(
        "Inspection", on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    declaration = models.OneToOneField(
        "Declaration", on_delete=models.PROTECT, null=True, blank=True, related_name="round_entry"
    )


class Inspection(TownshipOwned):
    """现场查看: a panel member's on-site check of one household in a round."""

    village_path = "round__village"
    household_record = True

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="inspections")
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    inspected_on = models.DateField(_("inspected on"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "household"], name="one_inspection_per_household")
        ]


class DeclarationState(models.TextChoices):
    PENDING = "pending", _("Waiting for the panel")
    ACCEPTED = "accepted", _("Accepted")
    ADJUSTED = "adjusted", _("Adjusted")
    REJECTED = "rejected", _("Rejected")
    FALSE = "false", _("Proved false")


class Declaration(TownshipOwned):
    """自主申报: a household's claim (at the counter, or by a grid worker on its behalf) with evidence."""

    village_path = "round__village"
    household_record = True

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="declarations")
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("scoring.Item", on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    description = models.TextField(_("what happened"))
    on_behalf = models.BooleanField(_("declared on the household's behalf (代为申报)"), default=False)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(
        max_length=10, choices=DeclarationState.choices, default=DeclarationState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["declared_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=DeclarationState.values), name="declaration_state_valid"
            )
        ]


class MeetingKind(models.TextChoices):
    PANEL = "panel", _("Panel meeting")
    REPRESENTATIVES = "representatives", _("Party members' and villagers' representatives' meeting")


class Meeting(TownshipOwned):
    village_path = "round__village"
    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(max_length=20, choices=MeetingKind.choices)
    panel = models.ForeignKey(ReviewPanel, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    held_on = models.DateField(_("held on"))
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    attendee_names = models.TextField(_("attendees (names)"), blank=True)
    township_staff = models.TextField(_("township staff present"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)


class ProposalChange(TownshipOwned):
    """A proposal confirmed or changed at a meeting or after an objection, with the reason."""

    village_path = "round__village"

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="changes")
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    objection = models.ForeignKey(
        "Objection", on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    old_entry = models.ForeignKey(
        "scoring.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    new_entry = models.ForeignKey(
        "scoring.Entry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)


class ObjectionState(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class Objection(TownshipOwned):
    """异议: a challenge to one posted result, filed while the notice runs."""

    village_path = "round__village"
    household_record = True

    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="objections")
    household = models.ForeignKey("households.Household", on_delete=models.PROTECT, related_name="+")
    objector_name = models.CharField(_("objector's name"), max_length=50)
    objector_phone = models.CharField(_("objector's phone"), max_length=20, blank=True)
    reason = models.TextField(_("reason"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    notice_number = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=ObjectionState.choices, default=ObjectionState.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["filed_at", "id"]


# The class's daily and weekly rhythm (seed 2): at the end of the module, the rows above are its neighbours.
from .rhythm import DailyRecord as DailyRecord  # noqa: E402
from .rhythm import SummaryState as SummaryState  # noqa: E402
from .rhythm import WeeklySummary as WeeklySummary  # noqa: E402
