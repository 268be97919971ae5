"""The roster: townships (the tenants), villages, areas, households, residents, memberships and moves."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TownshipOwned
from core.natural import NaturallySorted
from core.permissions import Role
from core.tenancy import TownshipScopedManager
from core.vocabulary import OrganisationKind

from .validators import mask_id_number, mask_mobile, validate_id_number, validate_mobile


class Township(models.Model):
    """乡/镇: the tenant. Not township-scoped itself; access goes through memberships.

    A tenant is a township (villages, areas, households) or a school (classes, groups, students: the class scheme,
    seed 2), by `kind`: the same models serve both, and the words on every page come from the kind
    (core.vocabulary)."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind of organisation"),
        max_length=10,
        choices=OrganisationKind.choices,
        default=OrganisationKind.TOWNSHIP,
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("township")
        verbose_name_plural = _("townships")

    def __str__(self) -> str:
        return self.name


class Village(NaturallySorted, TownshipOwned):
    village_path = ""
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=30, blank=True)
    # 已撤销: kept for its history, hidden from pickers; set and cleared by households.places.services.
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_key", "id"]  # 二村 before 十村 (core.natural)
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        constraints = [
            models.UniqueConstraint(
                fields=["township", "name"],
                name="village_name_unique_in_township",
                violation_error_message=_("A village of this name already exists in the township."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TownshipOwned):
    """A user's role in one township; clerks and panel members are limited to `villages`."""

    village_path = None

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    villages = models.ManyToManyField(Village, blank=True, related_name="+", verbose_name=_("villages"))
    # A grid worker may be limited to some areas of their villages; empty: every area of them.
    areas = models.ManyToManyField("Area", blank=True, related_name="+", verbose_name=_("areas"))
    # A parent (school) reads one student's records only: the student's row (a household of a school).
    student = models.ForeignKey(
        "Household",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="parent_memberships",
        verbose_name=_("student"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(m2m_fields=[villages])

    class Meta:
        ordering = ["township_id", "role", "id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "township"], name="one_membership_per_user_and_township"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
            models.CheckConstraint(
                condition=Q(role=Role.PARENT, student__isnull=False)
                | (~Q(role=Role.PARENT) & Q(student__isnull=True)),
                name="membership_parent_names_one_student",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class AccountAct(models.TextChoices):
    CREATED = "created", _("Account created with a one-time password")
    PASSWORD_RESET = "password_reset", _("Password reset to a one-time password")
    OWN_PASSWORD = "own_password", _("Own password set by the owner")
    DEACTIVATED = "deactivated", _("Account deactivated")
    REACTIVATED = "reactivated", _("Account reactivated")


class LoginAccount(models.Model):
    """What the township office did to a login account (auth.User is global, without history): a one-time password
    set by the office must be replaced by the owner at the next sign-in; deactivation and reactivation say who and
    why. Not township-owned: the account may serve several townships (households.people guards who may act)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="login_account",
        verbose_name=_("user"),
    )
    must_change_password = models.BooleanField(_("must set their own password"), default=False)
    act = models.CharField(_("last change"), max_length=20, choices=AccountAct.choices)
    note = models.CharField(_("why"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    changed_at = models.DateTimeField(_("at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("login account")
        verbose_name_plural = _("login accounts")

    def __str__(self) -> str:
        return str(self.user)


class Area(NaturallySorted, TownshipOwned):
    """片区 / 村民小组: a slice of a village, about 100 households at most."""

    village_path = "village"

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="areas", verbose_name=_("village")
    )
    name = models.CharField(_("name"), max_length=100)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["village__sort_key", "sort_key", "id"]  # 二组 before 十组 (core.natural)
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "name"],
                name="area_name_unique_in_village",
                violation_error_message=_("An area of this name already exists in the village."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Participation(models.TextChoices):
    TAKING_PART = "taking_part", _("Taking part")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    ELDERLY_OPTED_IN = "elderly_opted_in", _("Elderly, opted in")
    OPTED_OUT = "opted_out", _("Opted out")


TAKING_PART_STATUSES = (Participation.TAKING_PART, Participation.ELDERLY_OPTED_IN)


class HouseholdStatus(models.TextChoices):
    """A household's account: open, merged into another household (合户), or closed on moving out (迁出)."""

    ACTIVE = "active", _("Active")
    MERGED = "merged", _("Merged into another household")
    CLOSED = "closed", _("Moved out of the township")


class HouseholdQuerySet(models.QuerySet):
    def taking_part(self) -> "HouseholdQuerySet":
        return self.filter(participation__in=TAKING_PART_STATUSES)

    def open(self) -> "HouseholdQuerySet":
        """Households whose account is open: pickers offer these only (a merged or closed one keeps its passbook)."""
        return self.filter(status=HouseholdStatus.ACTIVE)


class Household(TownshipOwned):
    """农户: the account holder. Its head is the resident marked `is_head`."""

    village_path = "village"
    household_record = True

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="households", verbose_name=_("village")
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="households", verbose_name=_("area")
    )
    number = models.CharField(_("household number"), max_length=30)
    address = models.CharField(_("address"), max_length=200, blank=True)
    participation = models.CharField(
        _("participation"), max_length=20, choices=Participation.choices, default=Participation.TAKING_PART
    )
    participation_reason = models.CharField(_("participation reason"), max_length=200, blank=True)
    # A household's life (issue 16): its account ends by a merge or by moving out of the township, never deleted.
    status = models.CharField(
        _("account"), max_length=10, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="absorbed",
        verbose_name=_("merged into"),
    )
    split_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="split_off",
        verbose_name=_("split from"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = TownshipScopedManager(HouseholdQuerySet)

    class Meta:
        ordering = ["village__sort_key", "area__sort_key", "number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["township", "number"],
                name="household_number_unique_in_township",
                violation_error_message=_("This household number is already used in the township."),
            ),
            models.CheckConstraint(
                condition=Q(participation__in=Participation.values), name="household_participation_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=HouseholdStatus.values), name="household_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=HouseholdStatus.ACTIVE, ended_on__isnull=True, merged_into__isnull=True)
                | Q(status=HouseholdStatus.MERGED, ended_on__isnull=False, merged_into__isnull=False)
                | Q(status=HouseholdStatus.CLOSED, ended_on__isnull=False, merged_into__isnull=True),
                name="household_end_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status=HouseholdStatus.ACTIVE) | ~Q(participation__in=TAKING_PART_STATUSES),
                name="household_ended_does_not_take_part",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def takes_part(self) -> bool:
        return self.participation in TAKING_PART_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status == HouseholdStatus.ACTIVE


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class ResidentEndReason(models.TextChoices):
    DIED = "died", _("Died")
    MOVED_OUT = "moved_out", _("Moved out of the township")
    OTHER_HOUSEHOLD = "other_household", _("Moved to another household (split or merge)")
    OTHER = "other", _("Other")


class ResidentQuerySet(models.QuerySet):
    def current(self) -> "ResidentQuerySet":
        """Members today: lists and counts show these; former members keep their row and dates."""
        return self.filter(ended_on__isnull=True)

    def former(self) -> "ResidentQuerySet":
        return self.filter(ended_on__isnull=False)


class Resident(TownshipOwned):
    """A member of a household. ID and mobile numbers are optional, validated, and shown masked.

    A member is never erased: death, moving out or moving to another household ends the row (`ended_on`,
    `end_reason`, `ended_by`); a member who moved to another household continues there as a new row
    (`continued_from`)."""

    village_path = "household__village"
    household_record = True

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("household")
    )
    name = models.CharField(_("name"), max_length=50)
    is_head = models.BooleanField(_("head of household"), default=False)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("birth year"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, validators=[validate_id_number])
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True, validators=[validate_mobile])
    is_party_member = models.BooleanField(_("party member"), default=False)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("login account"),
        help_text=_("The resident's own login, if they have one (e.g. a panel member)."),
    )
    ended_on = models.DateField(_("left the household on"), null=True, blank=True)
    end_reason = models.CharField(
        _("why they left"), max_length=20, choices=ResidentEndReason.choices, blank=True
    )
    end_note = models.CharField(_("note"), max_length=200, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    continued_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="continued_as",
        verbose_name=_("continues the member"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = TownshipScopedManager(ResidentQuerySet)

    class Meta:
        ordering = ["-is_head", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(is_head=True), name="one_head_per_household"
            ),
            models.UniqueConstraint(
                fields=["township", "id_number"],
                condition=~Q(id_number="") & Q(ended_on__isnull=True),
                name="id_number_unique_in_township",
                violation_error_message=_("This ID number already belongs to a resident of the township."),
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2100),
                name="resident_birth_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True, end_reason="", ended_by__isnull=True)
                | Q(ended_on__isnull=False, end_reason__in=ResidentEndReason.values, ended_by__isnull=False),
                name="resident_end_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(is_head=False), name="resident_former_member_not_head"
            ),
        ]

    @property
    def is_current(self) -> bool:
        return self.ended_on is None

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


class HouseholdMove(TownshipOwned):
    """A household moving to another village (or area) of the same township; it keeps its history and points."""

    village_path = "household__village"
    household_record = True

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="moves")
    from_village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    from_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    to_village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    to_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-moved_at", "-id"]
        verbose_name = _("household move")
        verbose_name_plural = _("household moves")

    def __str__(self) -> str:
        return f"{self.household} {self.from_village} → {self.to_village}"


class UnitKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL_BUSINESS = "individual_business", _("Shop or individual business")
    COOPERATIVE = "cooperative", _("Cooperative")
    SOCIAL_ORGANISATION = "social_organisation", _("Association or social organisation")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    OTHER = "other", _("Other")


class Unit(TownshipOwned):
    """单位: a business, shop, cooperative or association of a village (scheme 4 keeps an account for each).

    A unit may carry points, so it is never deleted: it is archived, and can be restored."""

    village_path = "village"

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="units", verbose_name=_("village")
    )
    name = models.CharField(_("unit name"), max_length=100)
    kind = models.CharField(_("kind of unit"), max_length=30, choices=UnitKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_mobile = models.CharField(_("contact mobile number"), max_length=11, validators=[validate_mobile])
    address = models.CharField(_("unit address"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["village__sort_key", "name", "id"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "name"],
                name="unit_name_unique_in_village",
                violation_error_message=_("A unit of this name already exists in the village."),
            ),
            models.CheckConstraint(condition=Q(kind__in=UnitKind.values), name="unit_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="unit_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def masked_contact_mobile(self) -> str:
        return mask_mobile(self.contact_mobile)


# Kept apart (modules stay under 500 lines); imported here so that `households.models` names every model.
from .import_models import ImportBatch as ImportBatch  # noqa: E402
from .import_models import ImportMapping as ImportMapping  # noqa: E402
from .import_models import ImportStatus as ImportStatus  # noqa: E402
from .life_models import LifeEvent as LifeEvent  # noqa: E402
from .life_models import LifeEventKind as LifeEventKind  # noqa: E402
