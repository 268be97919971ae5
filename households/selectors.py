"""Read queries shared by pages (and anything else that lists the roster). Call them inside the township scope.

Every list here costs a fixed number of queries whatever the number of rows: counts and the head's name are
annotated in SQL, related rows are fetched in one batch per model.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import CharField, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.people import display_name
from core.permissions import Role, restrict_to_visible
from core.vocabulary import OrganisationKind

from .models import (
    Area,
    Household,
    HouseholdStatus,
    LoginAccount,
    Membership,
    Resident,
    Township,
    Unit,
    Village,
)
from .validators import mask_id_number, mask_mobile

# What a member sees of the roster -----------------------------------------------------------------------------


def villages_visible_to(membership: Membership) -> QuerySet[Village]:
    return restrict_to_visible(membership, Village.objects.all())


def areas_visible_to(membership: Membership) -> QuerySet[Area]:
    return restrict_to_visible(membership, Area.objects.all())


def households_visible_to(membership: Membership) -> QuerySet[Household]:
    return restrict_to_visible(membership, Household.objects.all())


def residents_visible_to(membership: Membership) -> QuerySet[Resident]:
    return restrict_to_visible(membership, Resident.objects.all())


# Roster ------------------------------------------------------------------------------------------------------


def _count_of(model: Any, fk: str) -> Coalesce:
    """A correlated COUNT(*) of `model` rows pointing at the outer row: one query for the whole list."""
    rows = (
        model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def village_summaries(membership: Membership) -> QuerySet[Village]:
    """The villages the member sees, each with `area_count` and `household_count`."""
    return villages_visible_to(membership).annotate(
        area_count=_count_of(Area, "village"), household_count=_count_of(Household, "village")
    )


def area_summaries(village: Village) -> QuerySet[Area]:
    """The areas of a village, each with `household_count`."""
    return Area.objects.filter(village=village).annotate(household_count=_count_of(Household, "area"))


def household_list(
    membership: Membership,
    *,
    query: str = "",
    village: Village | None = None,
    area: Area | None = None,
    participation: str = "",
    missing: str = "",
) -> QuerySet[Household]:
    """Households the member sees, searched by number, address or member name, with `head_name`, `member_count`;
    `missing` ("head" or "phone") keeps the open households the roster still lacks it for."""
    households = households_visible_to(membership).select_related("village", "area")
    if missing:
        households = lacking(households, missing)
    if query := query.strip():
        member_named = Resident.objects.filter(household=OuterRef("pk"), name__icontains=query)
        households = households.filter(
            Q(number__icontains=query) | Q(address__icontains=query) | Q(Exists(member_named))
        )
    if village is not None:
        households = households.filter(village=village)
    if area is not None:
        households = households.filter(area=area)
    if participation:
        households = households.filter(participation=participation)
    heads = Resident.objects.filter(household=OuterRef("pk"), is_head=True).values("name")[:1]
    return households.annotate(
        head_name=Subquery(heads, output_field=CharField()), member_count=_count_of(Resident, "household")
    ).order_by("village__sort_key", "area__sort_key", "number", "pk")


MISSING = ("head", "phone")  # what a household's record may still lack (the clerk's home counts them)


def lacking(households: QuerySet[Household], missing: str) -> QuerySet[Household]:
    """The open households without a current head ("head") or without any member's mobile number ("phone")."""
    members = Resident.objects.current().filter(household=OuterRef("pk"))
    if missing == "head":
        return households.filter(status=HouseholdStatus.ACTIVE).exclude(Exists(members.filter(is_head=True)))
    if missing == "phone":
        return households.filter(status=HouseholdStatus.ACTIVE).exclude(Exists(members.exclude(mobile="")))
    return households


def area_choices(membership: Membership) -> QuerySet[Area]:
    """Areas for a select box, labelled with their village (one query); retired ones (已撤销) are left out."""
    areas = areas_visible_to(membership).filter(retired_at__isnull=True, village__retired_at__isnull=True)
    return areas.select_related("village").order_by("village__sort_key", "sort_key", "pk")


def area_size_warning(area: Area, extra: int = 0) -> str | None:
    """Seed 1 keeps areas at about 100 households: above that Jifen warns, it does not refuse."""
    count = area.households.count() + extra
    limit = settings.JIFEN_AREA_SOFT_LIMIT
    if count > limit:
        return _("Area %(area)s now has %(count)d households, more than the recommended %(limit)d.") % {
            "area": area.name,
            "count": count,
            "limit": limit,
        }
    return None


# History -----------------------------------------------------------------------------------------------------

HISTORY_MODELS: dict[str, Any] = {
    "village": Village,
    "area": Area,
    "household": Household,
    "resident": Resident,
    "membership": Membership,
    "unit": Unit,
}
# Bookkeeping columns nobody needs to read in the audit trail (a membership's user is its object label).
_NOT_SHOWN = {"id", "township", "created_at", "updated_at", "user", "sort_key"}  # sort_key: core.natural
_MASKED = {"id_number": mask_id_number, "mobile": mask_mobile, "contact_mobile": mask_mobile}


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    kind: str  # a key of HISTORY_MODELS
    model_label: str
    object_label: str
    change_type: str  # "+", "~" or "-"
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


def _history_rows(model: Any, **filters: Any) -> QuerySet:
    """(record_kind, history_id, history_date) of one historical table, ready to be UNIONed with the others.

    Not `kind`: a unit has a field of that name."""
    kind = next(key for key, m in HISTORY_MODELS.items() if m is model)
    return (
        model.history.filter(**filters)
        .annotate(record_kind=Value(kind, output_field=CharField()))
        .values("record_kind", "history_id", "history_date")
        .order_by()
    )


def township_history(township: Township) -> QuerySet:
    """Every roster change of one township, newest first (a lazy UNION: paginate it, then `history_entries`)."""
    parts = [_history_rows(model, township_id=township.pk) for model in HISTORY_MODELS.values()]
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")


def household_history(household: Household) -> QuerySet:
    """The changes of one household and of its members, newest first."""
    own = _history_rows(Household, township_id=household.township_id, id=household.pk)
    members = _history_rows(Resident, township_id=household.township_id, household_id=household.pk)
    return own.union(members, all=True).order_by("-history_date", "-history_id")


def unit_history(unit: Unit) -> QuerySet:
    """The changes of one unit, newest first (paginate or slice it, then `history_entries`)."""
    return _history_rows(Unit, township_id=unit.township_id, id=unit.pk).order_by(
        "-history_date", "-history_id"
    )


def history_entries(rows: Iterable[dict[str, Any]]) -> list[HistoryEntry]:
    """Turn rows of `township_history`/`household_history` into readable entries with before → after.

    A fixed number of queries per page: per model one for the records (with the id of the previous record of
    the same object) and one for those previous records; then one each for the names of villages, areas,
    households and users the entries mention, and one for membership villages.
    """
    rows = list(rows)
    records: dict[tuple[str, int], Any] = {}
    previous: dict[tuple[str, int], Any] = {}
    for kind, model in HISTORY_MODELS.items():
        ids = [row["history_id"] for row in rows if row["record_kind"] == kind]
        if not ids:
            continue
        history = model.history.model
        prev_id = (
            history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        fetched = list(
            history.objects.filter(history_id__in=ids)
            .select_related("history_user")
            .annotate(prev_history_id=Subquery(prev_id))
        )
        for record in fetched:
            records[kind, record.history_id] = record
        prev_ids = [r.prev_history_id for r in fetched if r.prev_history_id is not None]
        for record in history.objects.filter(history_id__in=prev_ids):
            previous[kind, record.history_id] = record

    names = _NameBook(list(records.values()) + list(previous.values()))
    entries = []
    for row in rows:
        record = records.get((row["record_kind"], row["history_id"]))
        if record is None:
            continue
        before = (
            previous.get((row["record_kind"], record.prev_history_id)) if record.prev_history_id else None
        )
        entries.append(_entry(row["record_kind"], record, before, names))
    return entries


class _NameBook:
    """Names of the villages, areas, households and users that a page of history mentions, fetched in batches."""

    def __init__(self, records: list[Any]) -> None:
        village_ids, area_ids, household_ids, user_ids, membership_history_ids = (
            set(),
            set(),
            set(),
            set(),
            [],
        )
        for record in records:
            village_ids.add(getattr(record, "village_id", None))
            area_ids.add(getattr(record, "area_id", None))
            household_ids.add(getattr(record, "household_id", None))
            user_ids.add(getattr(record, "user_id", None))
            if isinstance(record, Membership.history.model):
                membership_history_ids.append(record.history_id)
        self.membership_villages: dict[int, list[int]] = {
            history_id: [] for history_id in membership_history_ids
        }
        if membership_history_ids:
            through = Membership.history.model.villages.model
            for history_id, village_id in through.objects.filter(
                history_id__in=membership_history_ids
            ).values_list("history_id", "village_id"):
                self.membership_villages[history_id].append(village_id)
                village_ids.add(village_id)
        self.villages = self._names(Village.objects, village_ids, "name")
        self.areas = self._names(Area.objects, area_ids, "name")
        self.households = self._names(Household.objects, household_ids, "number")
        self.users = self._names(get_user_model().objects, user_ids, "username")

    @staticmethod
    def _names(manager: Any, ids: set[Any], attribute: str) -> dict[int, str]:
        ids.discard(None)
        if not ids:
            return {}
        return dict(manager.filter(pk__in=ids).order_by().values_list("pk", attribute))

    def name(self, book: str, pk: int | None) -> str:
        if pk is None:
            return ""
        # Deleted objects keep their number so the trail stays readable.
        return getattr(self, book).get(pk) or f"#{pk}"

    def village_list(self, record: Any) -> str:
        ids = sorted(
            self.membership_villages.get(record.history_id, []), key=lambda pk: self.name("villages", pk)
        )
        return ", ".join(self.name("villages", pk) for pk in ids)


_FOREIGN_KEY_BOOKS = {"village": "villages", "area": "areas", "household": "households", "user": "users"}


def _display(record: Any, field_name: str, names: _NameBook) -> str:
    model_field = record.instance_type._meta.get_field(field_name)
    if field_name in _FOREIGN_KEY_BOOKS:
        return names.name(_FOREIGN_KEY_BOOKS[field_name], getattr(record, f"{field_name}_id"))
    value = getattr(record, field_name)
    if value is None or value == "":
        return "—"
    if field_name in _MASKED:
        return _MASKED[field_name](value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):  # a unit's archiving time
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def _label(record: Any, field_name: str) -> str:
    if record.instance_type is Resident and field_name == "name":
        return _("Full name")  # the model's "name" reads as 名称; a person has a 姓名
    return str(capfirst(record.instance_type._meta.get_field(field_name).verbose_name))


def _object_label(kind: str, record: Any, names: _NameBook) -> str:
    if kind in ("area", "unit"):
        return f"{names.name('villages', record.village_id)} · {record.name}"
    if kind == "household":
        return record.number
    if kind == "resident":
        return f"{record.name} ({names.name('households', record.household_id)})"
    if kind == "membership":
        return names.name("users", record.user_id)
    return record.name


def _entry(kind: str, record: Any, before: Any, names: _NameBook) -> HistoryEntry:
    model = record.instance_type
    shown = [f.name for f in record.tracked_fields if f.name not in _NOT_SHOWN]
    changes = []
    if before is not None and record.history_type == "~":
        delta = record.diff_against(before, included_fields=shown)
        changes = [
            FieldChange(
                _label(record, c.field), _display(before, c.field, names), _display(record, c.field, names)
            )
            for c in delta.changes
        ]
    elif record.history_type == "+":
        changes = [
            FieldChange(_label(record, name), "", _display(record, name, names))
            for name in shown
            if getattr(record, f"{name}_id" if name in _FOREIGN_KEY_BOOKS else name) not in (None, "", False)
        ]
    if kind == "membership" and record.history_type != "-":
        after_villages = names.village_list(record)
        before_villages = names.village_list(before) if before is not None else ""
        if after_villages != before_villages:
            changes.append(
                FieldChange(
                    str(Membership._meta.get_field("villages").verbose_name), before_villages, after_villages
                )
            )
    user = record.history_user
    return HistoryEntry(
        when=record.history_date,
        who=display_name(user) if user else _("system"),
        kind=kind,
        model_label=str(model._meta.verbose_name),
        object_label=_object_label(kind, record, names),
        change_type=record.history_type,
        reason=record.history_change_reason or "",
        changes=changes,
    )


# Which roles each kind of organisation has (a township has no head teachers, a school no review panels of
# villages), and which roles work in some villages (a school's: classes) rather than the whole township.
TOWNSHIP_ROLES = (
    Role.TOWNSHIP_ADMIN,
    Role.VILLAGE_CLERK,
    Role.PANEL_MEMBER,
    Role.SUPERVISOR,
    Role.COUNTY_VIEWER,
    Role.GRID_WORKER,
)
SCHOOL_ROLES_OFFERED = (
    Role.TOWNSHIP_ADMIN,
    Role.SUPERVISOR,
    Role.HEAD_TEACHER,
    Role.CLASS_OFFICER,
    Role.DUTY_MONITOR,
    Role.PARENT,
)
ROLES_IN_VILLAGES = (
    Role.VILLAGE_CLERK,
    Role.PANEL_MEMBER,
    Role.GRID_WORKER,
    Role.HEAD_TEACHER,
    Role.CLASS_OFFICER,
    Role.DUTY_MONITOR,
    Role.PARENT,
)


def roles_of(township: Township) -> tuple[str, ...]:
    return SCHOOL_ROLES_OFFERED if township.kind == OrganisationKind.SCHOOL else TOWNSHIP_ROLES


# People of the township (households.people) -------------------------------------------------------------------


def people_list(query: str = "") -> QuerySet[Membership]:
    """The township's members with their accounts, villages and areas (call inside the township scope): constant
    queries whatever the number. `query` matches the name or the username."""
    memberships = (
        Membership.objects.select_related("user", "user__login_account", "student")
        .prefetch_related("villages", "areas")
        .order_by("role", "user__username", "pk")
    )
    if query := query.replace("\x00", "").strip():
        memberships = memberships.filter(
            Q(user__username__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
        )
    return memberships


def account_history(target: Membership) -> list[dict[str, Any]]:
    """What the office did to one member here: role changes (this township's membership) and account acts,
    newest first. Account acts are shown only when done by a member of this township (not another office's)."""
    rows = [
        {
            "when": row.history_date,
            "who": row.history_user,
            "what": row.history_change_reason or "",
            "role": row,
            "act": "",
        }
        for row in Membership.history.filter(user_id=target.user_id, township_id=target.township_id)
        .select_related("history_user")
        .order_by("-history_date")[:50]
    ]
    rows += [
        {"when": row.history_date, "who": row.history_user, "what": row.note, "act": row.get_act_display()}
        for row in LoginAccount.history.filter(
            user_id=target.user_id, history_user__memberships__township_id=target.township_id
        )
        .select_related("history_user")
        .order_by("-history_date")[:50]
    ]
    return sorted(rows, key=lambda row: row["when"], reverse=True)


def must_change_password(user: Any) -> bool:
    """The account still has a one-time password set by the township office (households.people)."""
    return LoginAccount.objects.filter(user=user, must_change_password=True).exists()
