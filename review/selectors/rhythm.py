"""The class's rhythm (seed 2): the students of a class, the duty monitor's items and day, a week's rows."""

import datetime
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from households.models import Household, Resident, Village
from scoring.models import Entry, EntryState, Item, RoleAssignment, Scheme, SchemeState, schemes_covering

from ..models import DailyRecord
from .notices import direct_proposals

# The items the duty monitor records every day, first on the daily page (seed 2: "以上各项由值日班长负责", 早读
# "值日班长记录", 旷操 "值日班长负责"): fragments of the class template's item names, in the order shown.
DUTY_ITEM_WORDS = ("迟到", "不注意听讲", "随意出入", "早读不合格", "旷操", "按时安静")
COMMON_ITEMS = 6
WEEK_DAYS = 7


def scheme_for_day(day: datetime.date) -> Scheme | None:
    """The township's active scheme that covers `day` (a term), newest first."""
    return schemes_covering(day).filter(state=SchemeState.ACTIVE).first()


def class_students(village: Village, query: str = "") -> QuerySet[Household]:
    """The class's students taking part, by 学号, with the student's name (`head`) and group."""
    head = Resident.objects.filter(household=OuterRef("pk"), is_head=True).values("name")[:1]
    students = (
        Household.objects.taking_part()
        .filter(village=village)
        .select_related("area")
        .annotate(head=Subquery(head))
        .order_by("number", "pk")
    )
    if query.strip():
        words = query.strip()
        students = students.filter(
            Q(number__icontains=words) | Q(members__name__icontains=words, members__is_head=True)
        ).distinct()
    return students


def duty_items(scheme: Scheme) -> tuple[list[Item], list[Item]]:
    """(the duty monitor's common items, every item the clerk may record) of the scheme's active items."""
    items = list(
        Item.objects.filter(category__scheme=scheme, active=True, by_clerk=True)
        .select_related("category")
        .order_by("category__order", "category_id", "order", "pk")
    )
    for item in items:  # a button's label: the name without its explanation in brackets
        item.short = item.name.split("(")[0].split("\uff08")[0]  # type: ignore[attr-defined]
    common: list[Item] = []
    for word in DUTY_ITEM_WORDS:
        found = next((i for i in items if word in i.name and i not in common), None)
        if found is not None and len(common) < COMMON_ITEMS:
            common.append(found)
    return common, items


def day_entries(village: Village, day: datetime.date) -> QuerySet[Entry]:
    """What was recorded for the class's students on `day` (withdrawn ones too: the page says so)."""
    head = Resident.objects.filter(household=OuterRef("household_id"), is_head=True).values("name")[:1]
    return (
        Entry.objects.filter(village=village, occurred_on=day, household__isnull=False)
        .select_related("household", "recorded_by", "round_link")
        .annotate(head=Subquery(head))
        .order_by("-recorded_at", "-pk")
    )


def withdrawable(entry: Entry, user_id: int) -> bool:
    """The daily page offers to withdraw one's own proposal recorded today and not yet posted."""
    return (
        entry.recorded_by_id == user_id
        and entry.state == EntryState.PROPOSED
        and not hasattr(entry, "round_link")
        and timezone.localtime(entry.recorded_at).date() == timezone.localdate()
    )


def daily_record(village: Village, day: datetime.date) -> DailyRecord | None:
    return DailyRecord.objects.filter(village=village, day=day).select_related("duty_monitor").first()


def week_of(day: datetime.date) -> tuple[datetime.date, str]:
    """(Monday, ISO week name like 2025-W51) of the week of `day`."""
    iso_year, week, weekday = day.isocalendar()
    return day - datetime.timedelta(days=weekday - 1), f"{iso_year}-W{week:02d}"


def week_days(monday: datetime.date) -> list[datetime.date]:
    return [monday + datetime.timedelta(days=n) for n in range(WEEK_DAYS)]


def _points(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")


def week_rows(village: Village, scheme: Scheme, monday: datetime.date) -> tuple[list[dict], list[str]]:
    """The week's rows (per student: 学号, name, group, per day the deductions and additions, the week's) and the
    days not closed (Monday to Friday without a closed daily record, and a weekend day with entries but none)."""
    days = week_days(monday)
    entries = (
        Entry.objects.filter(village=village, scheme=scheme, occurred_on__range=(days[0], days[-1]))
        .exclude(state=EntryState.WITHDRAWN)
        .filter(household__isnull=False)
        .values_list("household_id", "occurred_on", "points")
    )
    sums: dict[tuple[int, datetime.date], list[Decimal]] = {}
    for household_id, day, points in entries:
        pair = sums.setdefault((household_id, day), [Decimal("0"), Decimal("0")])
        pair[0 if points < 0 else 1] += points
    officers = set(
        RoleAssignment.objects.filter(
            scheme=scheme, household__village=village, role__penalty_multiplier__gt=1
        ).values_list("household_id", flat=True)
    )
    rows = []
    for student in class_students(village):
        per_day = [sums.get((student.pk, day), [Decimal("0"), Decimal("0")]) for day in days]
        minus = sum((p[0] for p in per_day), Decimal("0"))
        plus = sum((p[1] for p in per_day), Decimal("0"))
        rows.append(
            {
                "household": student.pk,
                "number": student.number,
                "name": getattr(student, "head", None) or "",  # annotated by class_students
                "group": student.area.name,
                "officer": student.pk in officers,
                "days": [[_points(p[0]), _points(p[1])] for p in per_day],
                "minus": _points(minus),
                "plus": _points(plus),
                "net": _points(minus + plus),
            }
        )
    closed = set(
        DailyRecord.objects.filter(village=village, day__in=days, closed_at__isnull=False).values_list(
            "day", flat=True
        )
    )
    with_entries = {day for (_h, day) in sums}
    today = timezone.localdate()
    open_days = [
        day.isoformat()
        for day in days
        if day <= today
        and scheme.covers(day)
        and day not in closed
        and (day.weekday() < 5 or day in with_entries)
    ]
    return rows, open_days


def week_proposals(village: Village, scheme: Scheme, monday: datetime.date) -> QuerySet[Entry]:
    """The class's entries of the week that wait for a notice (what the class officers post)."""
    days = week_days(monday)
    return direct_proposals(village, scheme).filter(occurred_on__range=(days[0], days[-1]))


def class_officers(village: Village, scheme: Scheme) -> QuerySet[Household]:
    """The class's students who hold an officer's role in the scheme (seed 2: their deductions double)."""
    officers = RoleAssignment.objects.filter(scheme=scheme, role__penalty_multiplier__gt=1)
    return class_students(village).filter(pk__in=officers.values("household_id"))


def deductions_and_additions(rows: list[dict]) -> tuple[Decimal, Decimal]:
    """The class's week: all deductions, all additions."""
    return (
        sum((Decimal(r["minus"]) for r in rows), Decimal("0")),
        sum((Decimal(r["plus"]) for r in rows), Decimal("0")),
    )
