"""Star ratings: rate a scheme's year (one transaction, versioned, idempotent) and publish a run.

The rule (issue 6): in each village, rank the households taking part by approved annual total; rank = 1 + the
number of the village's households with a strictly higher total (ties share a rank); with N households, five
stars if 100·r ≤ five% · N, four if 100·r ≤ four% · N, three if 100·r ≤ three% · N — integers, never floats —
and only with total ≥ the floor and no standing disqualification.

The inputs come from the ledger's own read queries (`scoring.selectors.annual_totals` — one hand-tuned
statement on PostgreSQL — and the disqualifying entries), so the rating can never disagree with the scores pages.
On PostgreSQL the rule runs in the database: one INSERT … SELECT ranks the households over that same totals
statement and stores the results, and the fingerprint is computed from the stored rows (`_rate_in_database`).
Elsewhere the inputs come into Python, are fingerprinted and ranked by `rank_households` (also used by the annual
notice) and bulk-inserted. tests/rewards/test_stars.py checks the two agree row for row and in the fingerprint;
bench/stars.py checks the stars against one hand-written SQL query.
"""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from households.errors import DomainError, full_clean_or_raise
from households.models import Household, Membership
from households.permissions import Action, can
from scoring.models import Scheme, SchemeState
from scoring.selectors import annual_totals_statement, base_total

from ..models import StarResult, StarRun, StarRunState
from ..selectors import StarChange, StarInput, disqualifying_entries, star_changes, star_inputs

BATCH = 2000


@dataclass(frozen=True)
class Bands:
    five: int
    four: int
    three: int
    floor: Decimal

    def header(self) -> str:
        """The settings' part of the fingerprint (the same text on every database)."""
        return f"bands {self.five} {self.four} {self.three} floor {self.floor:.2f}\n"


def bands_of(scheme: Scheme) -> Bands:
    floor = scheme.star_floor if scheme.star_floor is not None else base_total(scheme)
    return Bands(scheme.star_five_percent, scheme.star_four_percent, scheme.star_three_percent, floor)


class RankedHousehold(NamedTuple):
    household_id: int
    village_id: int
    total: Decimal
    rank: int
    n: int
    stars: int
    disqualified: bool


def rank_households(inputs: Iterable[StarInput], bands: Bands) -> list[RankedHousehold]:
    """The whole rule, for every database (bench/stars.py checks it against a hand-written SQL query)."""
    by_village: dict[int, list[StarInput]] = defaultdict(list)
    for row in inputs:
        by_village[row.village_id].append(row)
    ranked = []
    for village_rows in by_village.values():
        village_rows.sort(key=attrgetter("total"), reverse=True)
        n = len(village_rows)
        # The largest rank of each band: 100·r ≤ p·N ⇔ r ≤ ⌊p·N / 100⌋ for an integer r (still no floats).
        five, four, three = bands.five * n // 100, bands.four * n // 100, bands.three * n // 100
        rank, previous = 0, None
        for position, row in enumerate(village_rows, start=1):
            if row.total != previous:
                rank, previous = position, row.total  # 1 + the number of strictly higher totals
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
            ranked.append(RankedHousehold(*row[:3], rank, n, stars, row.disqualified))
    ranked.sort()
    return ranked


def fingerprint(inputs: Iterable[StarInput], bands: Bands) -> str:
    """sha256 of the band settings and the sorted inputs (household, village, total, disqualified)."""
    lines = (
        f"{row.household_id}|{row.village_id}|{row.total + 0:.2f}|{int(row.disqualified)}"
        for row in sorted(inputs, key=itemgetter(0))
    )
    return hashlib.sha256((bands.header() + "\n".join(lines)).encode()).hexdigest()


def _check_references(run: StarRun) -> None:
    """Every result's household and village exist in the run's township (the set-based foreign-key check)."""
    table = StarResult._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM {table} r
            WHERE r.run_id = %s AND (
                NOT EXISTS (SELECT 1 FROM households_household h
                            WHERE h.id = r.household_id AND h.township_id = r.township_id)
                OR NOT EXISTS (SELECT 1 FROM households_village v
                               WHERE v.id = r.village_id AND v.township_id = r.township_id))
            """,  # noqa: S608 — the table name is the model's own
            [run.pk],
        )
        dangling = cursor.fetchone()[0]
    if dangling:
        raise RuntimeError(
            f"star run {run.pk}: {dangling} results name a household or village that does not exist"
        )


def _write_ranked(run: StarRun, ranked: list[RankedHousehold]) -> None:
    """Store Python-ranked results (databases other than PostgreSQL), then check their references as a set."""
    for start in range(0, len(ranked), BATCH):
        StarResult.objects.bulk_create(
            StarResult(
                township_id=run.township_id,
                run=run,
                village_id=row.village_id,
                household_id=row.household_id,
                total=row.total,
                rank=row.rank,
                n=row.n,
                stars=row.stars,
                disqualified=row.disqualified,
            )
            for row in ranked[start : start + BATCH]
        )
    _check_references(run)


# The services ----------------------------------------------------------------------------------------------------


def rate_stars(*, actor, scheme: Scheme) -> tuple[StarRun, bool, list[StarChange]]:
    """Rate the scheme's year. Returns (the current run, whether it was created, what changed since the last).

    All in one transaction under a lock on the scheme row: a killed worker leaves nothing, two concurrent
    ratings run one after the other. The same inputs give the same run (nothing is written); changed inputs
    give version n + 1 and the households whose stars changed; inputs seen before make that run current again.
    """
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if scheme.state == SchemeState.DRAFT:
            raise DomainError(
                _("The scheme %(scheme)s is still a draft: activate it before rating stars.")
                % {"scheme": scheme}
            )
        bands = bands_of(scheme)
        current = StarRun.objects.filter(scheme=scheme, current=True).first()
        if connection.vendor == "postgresql":
            return _rate_in_database(actor, scheme, bands, current)
        inputs = star_inputs(scheme)
        digest = fingerprint(inputs, bands)
        if (known := _known_run(scheme, current, digest)) is not None:
            return _back_to(known, current)
        run = _new_run(actor, scheme, bands, digest, len(inputs))
        _write_ranked(run, rank_households(inputs, bands))
        return run, True, star_changes(current, run) if current is not None else []


def _known_run(scheme: Scheme, current: StarRun | None, digest: str) -> StarRun | None:
    """The run that rated these very inputs before, if any (reads only)."""
    if current is not None and current.inputs_fingerprint == digest:
        return current
    return StarRun.objects.filter(scheme=scheme, inputs_fingerprint=digest).first()


def _back_to(known: StarRun, current: StarRun | None):
    """Inputs rated before: their run becomes current again (nothing new is written)."""
    if current is not None and current.pk == known.pk:
        return current, False, []
    if current is not None:
        StarRun.objects.filter(pk=current.pk).update(current=False)
    StarRun.objects.filter(pk=known.pk).update(current=True)
    known.current = True
    return known, False, star_changes(current, known) if current is not None else []


def _new_run(
    actor, scheme: Scheme, bands: Bands, digest: str, count: int, *, current: bool = True
) -> StarRun:
    if current:
        StarRun.objects.filter(scheme=scheme, current=True).update(current=False)
    version = (StarRun.objects.filter(scheme=scheme).aggregate(v=Max("version"))["v"] or 0) + 1
    return StarRun.objects.create(
        township_id=scheme.township_id,
        scheme=scheme,
        version=version,
        inputs_fingerprint=digest,
        current=current,
        five_percent=bands.five,
        four_percent=bands.four,
        three_percent=bands.three,
        floor=bands.floor,
        household_count=count,
        created_by=actor,
    )


# PostgreSQL: the rule in one INSERT … SELECT over the ledger's own totals statement, no rows through Python.
# The same rule as `rank_households` (tests/rewards/test_stars.py checks the two agree, row for row, and the
# fingerprints too); bench/stars.py measured it at 1.90× one bare query computing the stars on a quiet machine
# (1.64× on a loaded one, where reading the inputs into Python, ranking there and copying back gave 2.63×).
RANK_AND_STORE = """
    INSERT INTO rewards_starresult
        (township_id, run_id, village_id, household_id, total, rank, n, stars, disqualified)
    SELECT %s, %s, village_id, id, total, r, n,
           CASE WHEN vetoed OR total < %s THEN 0
                WHEN 100 * r <= %s * n THEN 5
                WHEN 100 * r <= %s * n THEN 4
                WHEN 100 * r <= %s * n THEN 3
                ELSE 0 END,
           vetoed
    FROM (
        SELECT t.id, h.village_id, t.total, v.household_id IS NOT NULL AS vetoed,
               RANK() OVER (PARTITION BY h.village_id ORDER BY t.total DESC) AS r,
               COUNT(*) OVER (PARTITION BY h.village_id) AS n
        FROM ({totals}) t
        JOIN households_household h ON h.id = t.id
        LEFT JOIN (SELECT DISTINCT d.household_id FROM ({vetoed}) d) v ON v.household_id = t.id
    ) ranked
"""
# sha256 of the same text `fingerprint` hashes: the band settings, then one line per household by id.
DIGEST = """
    SELECT encode(sha256(convert_to(%s || COALESCE(string_agg(
               household_id || '|' || village_id || '|' || total::text || '|' || disqualified::int,
               E'\\n' ORDER BY household_id), ''), 'UTF8')), 'hex'),
           count(*)
    FROM rewards_starresult WHERE run_id = %s
"""


def _rate_in_database(actor, scheme: Scheme, bands: Bands, current: StarRun | None):
    """Rank and store into a new run, then fingerprint what was stored; inputs rated before undo the new run."""
    households = Household.objects.filter(township_id=scheme.township_id).taking_part()
    totals, totals_params = annual_totals_statement(scheme, households)
    vetoed, vetoed_params = disqualifying_entries(scheme).values("household_id").query.sql_with_params()
    savepoint = transaction.savepoint()
    run = _new_run(actor, scheme, bands, f"pending-{uuid.uuid4().hex}", 0, current=False)
    with connection.cursor() as cursor:
        cursor.execute(
            RANK_AND_STORE.format(totals=totals, vetoed=vetoed),
            [
                run.township_id,
                run.pk,
                bands.floor,
                bands.five,
                bands.four,
                bands.three,
                *totals_params,
                *vetoed_params,
            ],
        )
        cursor.execute(DIGEST, [bands.header(), run.pk])
        digest, count = cursor.fetchone()
    if (known := _known_run(scheme, current, digest)) is not None:
        transaction.savepoint_rollback(savepoint)  # the new run and its rows go; nothing else was written
        return _back_to(known, current)
    transaction.savepoint_commit(savepoint)
    if current is not None:
        StarRun.objects.filter(pk=current.pk).update(current=False)
    StarRun.objects.filter(pk=run.pk).update(inputs_fingerprint=digest, household_count=count, current=True)
    run.inputs_fingerprint, run.household_count, run.current = digest, count, True
    return run, True, star_changes(current, run) if current is not None else []


def publish_run(*, actor, run: StarRun) -> StarRun:
    """The township office makes the current run's stars official (they stay proposals until then)."""
    membership = Membership.objects.filter(user=actor, township_id=run.township_id).first()
    if membership is None or not can(membership, Action.APPROVE_ROUND):
        raise PermissionDenied(_("Only the township office publishes star ratings."))
    with transaction.atomic():
        run = StarRun.objects.select_for_update().get(pk=run.pk)
        if not run.current:
            raise DomainError(
                _("This rating is out of date: the ledger changed. Publish the current rating instead.")
            )
        if run.state == StarRunState.PUBLISHED:
            raise DomainError(_("This rating is already published."))
        run.state, run.published_by, run.published_at = StarRunState.PUBLISHED, actor, timezone.now()
        run.save(update_fields=["state", "published_by", "published_at"])
    return run


SETTINGS_FIELDS = (
    "star_five_percent",
    "star_four_percent",
    "star_three_percent",
    "star_floor",
    "spendable_basis",
    "spendable_resets_yearly",
)


def set_reward_settings(*, actor, scheme: Scheme, **settings) -> Scheme:
    """The scheme's star bands, the floor and what the supermarket can spend (a new rating uses them)."""
    unknown = set(settings) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    for name, value in settings.items():
        setattr(scheme, name, value)
    full_clean_or_raise(scheme)
    scheme.save(update_fields=[*settings])
    return scheme
