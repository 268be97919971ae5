"""Limits (限额) and their consequence — seed 2: "作业、迟到、常规等一项满限额后上自习,一项一周累积顺延".

The rule lives here once: `record_entry` flags a limit reached through `raise_alert` and refuses back-dating through
`closed_period_message`; the weekly list (上自习名单, `weekly_list`) reads `count_periods`.

- An item with a limit (`Item.threshold_count`, N) counts a household's hits per period of the item
  (`Item.counting_cadence`: its own `cap_cadence`, else its category's cadence — a week for the class scheme). Dates
  are the calendar dates of the entries, which are the school's (the scope's time zone) days.
- Hits are the entries that count towards caps (`EntryQuerySet.counting_towards_caps`): withdrawn proposals,
  corrections and corrected entries do not count.
- A period whose own hits, plus the hits carried over into it, reach N reaches the limit: the item's consequence
  (`threshold_consequence`, e.g. 上自习 on that week's Sunday) is flagged for that period (a `ThresholdAlert`, raised
  by the hit that reached it) and the count starts again at zero with the next period. Every hit of that period
  is settled by its one consequence: "一周迟到2次及2次以上" is one Sunday, and the third late arrival of that
  week does not carry over.
- A period that stays below N carries its hits over into the next period, and on until the limit is reached
  (累积顺延), when the item says so (`threshold_carries_over`, set by the class template). Otherwise (the township
  schemes) they lapse with their period: an alert at the Nth hit of one period, as before.
- Back-dating cannot game the carry-over: for an item whose hits carry over, an entry dated in a period is refused
  (nothing written) once the household has a counted hit of the item in a later period, or once the weekly list
  of the household's class was filed for the week of that date or a later week (`StudyListFiling`). Within the
  current, open period, a forgotten hit of an earlier day may still be recorded.
"""

import datetime
from collections.abc import Iterable
from itertools import groupby
from typing import NamedTuple

from django.utils.translation import gettext as _

from households.models import Household, Resident, Village

from .models import Entry, Item, Scheme, SchemeState, StudyListFiling, ThresholdAlert, schemes_covering
from .periods import Cadence, period_bounds, period_label, period_of


class PeriodCount(NamedTuple):
    """One period of an item's hits for one household: its own hits, those carried over into it, and whether the
    two together reached the limit."""

    period: str
    starts_on: datetime.date
    hits: int
    carried_over: int
    reached: bool
    entry_ids: tuple[int, ...]

    @property
    def counted(self) -> int:
        return self.hits + self.carried_over


def count_periods(item: Item, hits: Iterable[tuple[datetime.date, int]]) -> list[PeriodCount]:
    """The rule over one household's counted hits of `item` ((date, entry id) pairs): one row per period with a
    hit, in date order. Hits of periods in between carry over unchanged (a week without a hit adds nothing)."""
    limit = item.threshold_count
    cadence = item.counting_cadence
    rows: list[PeriodCount] = []
    carried = 0
    ordered = sorted(hits)
    for period, group in groupby(ordered, key=lambda hit: period_of(cadence, hit[0])):
        own = list(group)
        counted = carried + len(own)
        reached = bool(limit) and counted >= limit
        starts_on = period_bounds(cadence, own[0][0])[0]
        rows.append(PeriodCount(period, starts_on, len(own), carried, reached, tuple(pk for _day, pk in own)))
        carried = counted if item.threshold_carries_over and not reached else 0
    return rows


def counted_hits(household_id: int, item: Item) -> list[tuple[datetime.date, int]]:
    return list(
        Entry.objects.counting_towards_caps()
        .filter(household_id=household_id, item=item)
        .order_by("occurred_on", "id")
        .values_list("occurred_on", "id")
    )


def raise_alert(entry: Entry) -> ThresholdAlert | None:
    """Flag the consequence when the period of the entry just written (by record_entry, under the account's lock)
    reaches the item's limit; once per household, item and period. The alert names this entry."""
    item = entry.item
    if item is None or not item.threshold_count or entry.household_id is None:
        return None
    period = period_of(item.counting_cadence, entry.occurred_on)
    row = next(
        (r for r in count_periods(item, counted_hits(entry.household_id, item)) if r.period == period), None
    )
    if row is None or not row.reached:
        return None
    alert, created = ThresholdAlert.objects.get_or_create(
        household_id=entry.household_id,
        item=item,
        period=period,
        defaults={
            "township_id": entry.township_id,
            "hits": row.counted,
            "carried_over": row.carried_over,
            "entry": entry,
        },
    )
    return alert if created else None


def _span(item: Item, day: datetime.date) -> str:
    cadence = item.counting_cadence
    start, end = period_bounds(cadence, day)
    if cadence == Cadence.WEEKLY:
        return _("the week of %(start)s (to %(end)s)") % {"start": start, "end": end}
    return _("the period %(period)s") % {"period": period_label(period_of(cadence, day))}


def closed_period_message(household: Household | None, item: Item, occurred_on: datetime.date) -> str | None:
    """Why an entry of `item` for `household` may not be dated `occurred_on` (back-dating into a settled period of
    a limit that carries over), or None. Call it under the account's lock, before writing."""
    if household is None or not item.threshold_count or not item.threshold_carries_over:
        return None
    end = period_bounds(item.counting_cadence, occurred_on)[1]
    later = (
        Entry.objects.counting_towards_caps()
        .filter(household=household, item=item, occurred_on__gt=end)
        .order_by("occurred_on")
        .values_list("occurred_on", flat=True)
        .first()
    )
    if later is not None:
        return _(
            "Back-dating refused: %(span)s is closed for “%(item)s”, because household %(number)s already has a "
            "later one (on %(later)s) and its hits carry over from one period to the next. Record it in the "
            "current week; nothing was written."
        ) % {"span": _span(item, occurred_on), "item": item.name, "number": household.number, "later": later}
    filed = (
        StudyListFiling.objects.filter(
            village_id=household.village_id,
            scheme_id=item.category.scheme_id,
            starts_on__gt=occurred_on - datetime.timedelta(days=7),
        )
        .order_by("starts_on")
        .first()
    )
    if filed is not None:
        return _(
            "Back-dating refused: %(span)s is closed, because the list of Sunday study of %(village)s was filed "
            "for the week of %(week)s. Record it in the current week; nothing was written."
        ) % {"span": _span(item, occurred_on), "village": household.village.name, "week": filed.starts_on}
    return None


# The weekly list (上自习名单) -------------------------------------------------------------------------------------


class ListRow(NamedTuple):
    """A student who reached an item's limit in the week: the hits counted, of which carried over."""

    household: Household
    item: Item
    period: PeriodCount

    @property
    def consequence(self) -> str:
        return self.item.threshold_consequence


def limited_items(scheme: Scheme) -> list[Item]:
    return list(
        Item.objects.filter(category__scheme=scheme, threshold_count__isnull=False)
        .select_related("category")
        .order_by("category__order", "category_id", "order", "id")
    )


def weekly_list(village: Village, scheme: Scheme, monday: datetime.date) -> list[ListRow]:
    """The class's students who reached a limit in the week starting `monday`, by student number then item. Counts
    every hit up to that week's Sunday (later weeks never change an earlier week: their hits come after)."""
    items = {item.pk: item for item in limited_items(scheme) if item.counting_cadence == Cadence.WEEKLY}
    if not items:
        return []
    sunday = monday + datetime.timedelta(days=6)
    hits = (
        Entry.objects.counting_towards_caps()
        .filter(scheme=scheme, household__village=village, item_id__in=items, occurred_on__lte=sunday)
        .order_by("household_id", "item_id", "occurred_on", "id")
        .values_list("household_id", "item_id", "occurred_on", "id")
    )
    week = period_of(Cadence.WEEKLY, monday)
    reached: list[tuple[int, Item, PeriodCount]] = []
    for (household_id, item_id), group in groupby(hits, key=lambda hit: (hit[0], hit[1])):
        item = items[item_id]
        rows = count_periods(item, [(day, pk) for _h, _i, day, pk in group])
        if rows and rows[-1].period == week and rows[-1].reached:
            reached.append((household_id, item, rows[-1]))
    households = Household.objects.in_bulk({household_id for household_id, _i, _r in reached})
    listed = [ListRow(households[household_id], item, row) for household_id, item, row in reached]
    order = list(items)
    return sorted(listed, key=lambda r: (r.household.number, r.household.pk, order.index(r.item.pk)))


def schemes_for_week(monday: datetime.date) -> list[Scheme]:
    """The township's schemes (not drafts) that cover some day of the week and have a weekly limit: the active
    ones first, then the latest."""
    sunday = monday + datetime.timedelta(days=6)
    schemes = (
        schemes_covering(monday, sunday)
        .filter(categories__items__threshold_count__isnull=False)
        .distinct()
        .prefetch_related("categories")
    )
    return sorted(schemes, key=lambda s: (s.state != SchemeState.ACTIVE, -s.starts_on.toordinal(), s.pk))


def student_names(households: Iterable[Household]) -> dict[int, str]:
    """{household id: its head's name} (a school's student is the head of their own household row)."""
    ids = [household.pk for household in households]
    heads = Resident.objects.filter(household_id__in=ids, is_head=True).order_by("pk")
    return dict(heads.values_list("household_id", "name"))
