"""The star rule a second time, in Python: the tests' oracle for `rewards.selectors.rule.RANKED`.

It used to be production's (`rank_households`, also the annual notice's stars); production now ranks in the
database only, and this copy only checks it: inputs read through the ORM and in Python (the ORM score oracle of
tests/scoring/oracle.py for totals and category scores), ranked and fingerprinted the same way.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db.models import QuerySet

from households.models import Household
from rewards.selectors import village_statuses, villages_header
from rewards.services import Bands, TieBreak, bands_of, tie_break_of
from scoring.models import Category, Entry, EntrySource, EntryState, ItemKind, Scheme
from scoring.selectors import category_key
from tests.scoring.oracle import with_scores


class StarInput(NamedTuple):
    """What a household's stars depend on: the rating's inputs, hashed into the run's fingerprint."""

    household_id: int
    village_id: int
    total: Decimal
    disqualified: bool
    penalties: Decimal = Decimal("0")
    tie_score: Decimal | None = None


class RankedHousehold(NamedTuple):
    household_id: int
    village_id: int
    total: Decimal
    rank: int
    n: int
    stars: int
    disqualified: bool
    penalties: Decimal = Decimal("0")
    tie_score: Decimal | None = None


NO_TIE_BREAK = TieBreak()


def standing(scheme: Scheme, also_counting: QuerySet[Entry] | None = None) -> list[Entry]:
    """The scheme's approved entries (and the proposals among `also_counting`, as if approved) that are neither
    corrections nor reversed by one of those corrections."""
    proposals = set()
    if also_counting is not None:
        proposals = set(also_counting.filter(state=EntryState.PROPOSED).values_list("pk", flat=True))
    counted = [
        e
        for e in Entry.objects.filter(scheme=scheme).select_related("item")
        if e.state == EntryState.APPROVED or e.pk in proposals
    ]
    reversed_ids = {e.corrects_id for e in counted if e.source == EntrySource.CORRECTION}
    return [e for e in counted if e.source != EntrySource.CORRECTION and e.pk not in reversed_ids]


def star_inputs(
    scheme: Scheme,
    *,
    villages: Iterable[int] | None = None,
    tie_break_category: Category | None = None,
    households: QuerySet[Household] | None = None,
    also_counting: QuerySet[Entry] | None = None,
) -> list[StarInput]:
    """Every household taking part (of these villages, or these households), with its village, annual total,
    disqualification, penalty points and (with a tie-break category) its score there, by household."""
    if households is None:
        households = Household.objects.filter(township_id=scheme.township_id).taking_part()
        if villages is not None:
            households = households.filter(village_id__in=list(villages))
    scored = with_scores(households, scheme, also_counting=also_counting)
    vetoed, penalties = set(), defaultdict(Decimal)
    for entry in standing(scheme, also_counting):
        if entry.item.disqualifying:
            vetoed.add(entry.household_id)
        if entry.item_kind == ItemKind.PENALTY:
            penalties[entry.household_id] += abs(entry.points)
    key = category_key(tie_break_category) if tie_break_category is not None else None
    return sorted(
        StarInput(
            h.pk,
            h.village_id,
            h.total,
            h.pk in vetoed,
            penalties[h.pk],
            getattr(h, key) if key else None,
        )
        for h in scored
    )


def _order_key(row: StarInput, tie_break: TieBreak) -> tuple:
    """Better first: higher total, then each tie-breaker (a missing category score sorts last)."""
    key: list = [-row.total]
    for name in tie_break.order():
        if name == "penalties":
            key.append(row.penalties)
        else:
            key += [row.tie_score is None, -(row.tie_score or 0)]
    return tuple(key)


def rank_households(
    inputs: Iterable[StarInput], bands: Bands, tie_break: TieBreak = NO_TIE_BREAK
) -> list[RankedHousehold]:
    """The whole rule in Python, sorted by household."""
    by_village: dict[int, list[StarInput]] = defaultdict(list)
    for row in inputs:
        by_village[row.village_id].append(row)
    ranked = []
    for village_rows in by_village.values():
        village_rows.sort(key=lambda row: _order_key(row, tie_break))
        n = len(village_rows)
        five, four, three = bands.shares(n)
        rank, previous = 0, None
        for position, row in enumerate(village_rows, start=1):
            key = _order_key(row, tie_break)
            if key != previous:
                rank, previous = position, key  # 1 + the number strictly better
            if row.disqualified or row.total < bands.floor:
                stars = 0
            elif rank <= five:
                stars = 5
            elif rank <= four:
                stars = 4
            elif rank <= three:
                stars = 3
            else:
                stars = 0
            ranked.append(
                RankedHousehold(*row[:3], rank, n, stars, row.disqualified, row.penalties, row.tie_score)
            )
    ranked.sort()
    return ranked


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value + 0:.2f}"


def fingerprint(
    inputs: Iterable[StarInput], bands: Bands, tie_break: TieBreak = NO_TIE_BREAK, villages=()
) -> str:
    """sha256 of the settings, the villages' statuses and the sorted inputs
    (household, village, total, disqualified, penalties, tie-break score): the text the database's DIGEST hashes."""
    lines = (
        f"{row.household_id}|{row.village_id}|{_number(row.total)}|{int(row.disqualified)}"
        f"|{_number(row.penalties)}|{_number(row.tie_score)}"
        for row in sorted(inputs, key=lambda row: row.household_id)
    )
    header = bands.header() + tie_break.header() + villages_header(villages)
    return hashlib.sha256((header + "\n".join(lines)).encode()).hexdigest()


def python_rule(scheme: Scheme) -> tuple[list[tuple], str]:
    """The rating in Python: the rule over the ORM-read inputs of the rated villages (`village_statuses`, the
    settings), row for row as `rate_stars` stores them, and their fingerprint."""
    statuses = village_statuses(scheme)
    tie_break = tie_break_of(scheme)
    category = Category.objects.get(pk=tie_break.category_id) if tie_break.category_id else None
    inputs = star_inputs(
        scheme, villages=[v.village_id for v in statuses if v.rated], tie_break_category=category
    )
    bands = bands_of(scheme)
    rows = [tuple(row) for row in rank_households(inputs, bands, tie_break)]
    return rows, fingerprint(inputs, bands, tie_break, statuses)
