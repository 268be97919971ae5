"""Star ratings: rate a scheme's year (one transaction, versioned, idempotent) and publish a run.

The rule (issues 6 and 12): a village is rated only when it has standing approved entries in the year and its
annual round is approved (or the township overrode that, with a reason). In each rated village, rank the
households taking part by approved annual total, then by the scheme's tie-breakers in order (fewer penalty
points; a higher score in a named category); rank = 1 + the number of the village's households strictly better,
so households still exactly tied share a rank and the higher band. With N households: five stars if
100·r ≤ five% · N, four if 100·r ≤ four% · N, three if 100·r ≤ three% · N — integers, never floats — and only with
total ≥ the floor and no standing disqualification. When ties make the households of a band (and the bands above)
outnumber its share ⌊p·N/100⌋ by more than one, publishing needs the township's explicit confirmation.

The inputs come from the ledger's own read queries (`scoring.selectors.annual_totals_statement`, the category
scores of `with_scores`, and rewards' standing, disqualifying and penalty entries). The rule runs in PostgreSQL:
one INSERT … SELECT ranks the households over those statements and stores the results, and the fingerprint is
computed from the stored rows (`_rate_in_database`). `rank_households` is the same rule in Python: the test
oracle (tests/rewards/test_stars.py checks the two agree row for row and in the fingerprint) and the annual
notice's proposed stars. bench/stars.py checks the stars against one hand-written SQL query.

A run goes stale (database triggers, rewards migration 0007) in the same transaction as any change of its
inputs; a stale run is not published. Rating again clears the mark on the run it returns.
"""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from households.models import Household, Village
from households.permissions import Action, require_action
from review.models import ReviewRound, RoundKind, RoundState
from scoring.models import Category, Scheme, SchemeState
from scoring.selectors import annual_totals_statement, base_total

from ..models import (
    StaleCause,
    StarRule,
    StarRun,
    StarRunState,
    StarRunVillage,
    StarVillageOverride,
)
from ..selectors import (
    INHERITED_SETTINGS,
    StarChange,
    StarInput,
    VillageStatus,
    category_scores,
    disqualifying_entries,
    inherited_settings,
    penalty_points,
    rating_households,
    star_changes,
    star_rule,
    village_statuses,
    village_summary,
)


@dataclass(frozen=True)
class Bands:
    five: int
    four: int
    three: int
    floor: Decimal

    def header(self) -> str:
        """The settings' part of the fingerprint (the same text on every database)."""
        return f"bands {self.five} {self.four} {self.three} floor {self.floor:.2f}\n"

    def shares(self, n: int) -> tuple[int, int, int]:
        """The largest rank of each band: 100·r ≤ p·N ⇔ r ≤ ⌊p·N / 100⌋ for an integer r (still no floats)."""
        return self.five * n // 100, self.four * n // 100, self.three * n // 100


def bands_of(scheme: Scheme) -> Bands:
    rule = star_rule(scheme)
    floor = rule.star_floor if rule.star_floor is not None else base_total(scheme)
    return Bands(rule.star_five_percent, rule.star_four_percent, rule.star_three_percent, floor)


@dataclass(frozen=True)
class TieBreak:
    """The tie-breakers of the total, in order: fewer penalty points, a higher score in `category_id`."""

    fewer_penalties: bool = False
    category_id: int | None = None
    category_first: bool = False

    def order(self) -> list[str]:
        """The ordered names of the tie-breakers: "penalties", "category"."""
        keys = (["penalties"] if self.fewer_penalties else []) + (["category"] if self.category_id else [])
        return list(reversed(keys)) if self.category_first else keys

    def header(self) -> str:
        return f"ties {' '.join(self.order()) or '-'} category {self.category_id or '-'}\n"


NO_TIE_BREAK = TieBreak()


def tie_break_of(scheme: Scheme) -> TieBreak:
    """The scheme's tie-breakers (default, without a StarRule row: fewer penalty points, no category)."""
    rule = StarRule.objects.filter(scheme=scheme).first()
    if rule is None:
        return TieBreak(fewer_penalties=True)
    return TieBreak(rule.tie_break_fewer_penalties, rule.tie_break_category_id, rule.tie_break_category_first)


def villages_header(statuses: Iterable[VillageStatus]) -> str:
    """Which villages are rated and why not: part of the fingerprint (a rated village changes the results)."""
    return "villages " + " ".join(f"{v.village_id}:{v.status}" for v in statuses) + "\n"


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
    """The whole rule in Python: the test oracle of `_rate_in_database` and the annual notice's stars."""
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


def band_overflow(n: int, five: int, four: int, three: int, bands: Bands) -> int:
    """How many households the bands hold over their share, at most over the three (cumulative: the five-star
    band, five and four together, all three). Only ties can make it more than 0."""
    share_five, share_four, share_three = bands.shares(n)
    return max(0, five - share_five, five + four - share_four, five + four + three - share_three)


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value + 0:.2f}"


def fingerprint(
    inputs: Iterable[StarInput],
    bands: Bands,
    tie_break: TieBreak = NO_TIE_BREAK,
    villages: Iterable[VillageStatus] = (),
) -> str:
    """sha256 of the settings, the villages' statuses and the sorted inputs
    (household, village, total, disqualified, penalties, tie-break score)."""
    lines = (
        f"{row.household_id}|{row.village_id}|{_number(row.total)}|{int(row.disqualified)}"
        f"|{_number(row.penalties)}|{_number(row.tie_score)}"
        for row in sorted(inputs, key=lambda row: row.household_id)
    )
    header = bands.header() + tie_break.header() + villages_header(villages)
    return hashlib.sha256((header + "\n".join(lines)).encode()).hexdigest()


# The services ----------------------------------------------------------------------------------------------------


def mark_stale(*, scheme: Scheme, cause: str, village: Village | None = None) -> None:
    """The scheme's current run goes stale (the triggers' own function, for changes made in rewards)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rewards_mark_star_runs_stale(%s, %s, NULL, NULL, %s, 1)",
            [scheme.pk, cause, village.pk if village is not None else None],
        )


def rate_stars(
    *, actor, scheme: Scheme, override_villages: dict[int, str] | None = None
) -> tuple[StarRun, bool, list[StarChange]]:
    """Rate the scheme's year. Returns (the current run, whether it was created, what changed since the last).

    `override_villages` ({village id: reason}) first records the township's decision to rate those villages
    before their annual round is approved (`override_village_round`; the township office only).
    All in one transaction under a lock on the scheme row: a killed worker leaves nothing, two concurrent
    ratings run one after the other. The same inputs give the same run (nothing is written); changed inputs
    give version n + 1 and the households whose stars changed; inputs seen before make that run current again.
    The run returned matches the ledger: its stale mark, if any, is cleared.
    """
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if scheme.state == SchemeState.DRAFT:
            raise DomainError(
                _("The scheme %(scheme)s is still a draft: activate it before rating stars.")
                % {"scheme": scheme},
                code="draft_scheme",
            )
        for village_id, reason in (override_villages or {}).items():
            village = Village.objects.filter(pk=village_id).first()
            if village is None:
                raise DomainError(_("No such village."), field="village", code="no_such_village")
            override_village_round(actor=actor, scheme=scheme, village=village, reason=reason)
        current = StarRun.objects.filter(scheme=scheme, current=True).first()
        run, created, changes = _rate_in_database(
            actor, scheme, bands_of(scheme), tie_break_of(scheme), village_statuses(scheme), current
        )
        if run.stale_since is not None or run.stale_changes:
            StarRun.objects.filter(pk=run.pk).update(
                stale_since=None,
                stale_cause="",
                stale_entry_id=None,
                stale_household_id=None,
                stale_village_id=None,
                stale_changes=0,
            )
            run.refresh_from_db()
        return run, created, changes


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


def _new_run(actor, scheme: Scheme, bands: Bands, tie_break: TieBreak, digest: str) -> StarRun:
    version = (StarRun.objects.filter(scheme=scheme).aggregate(v=Max("version"))["v"] or 0) + 1
    return StarRun.objects.create(
        township_id=scheme.township_id,
        scheme=scheme,
        version=version,
        inputs_fingerprint=digest,
        current=False,
        five_percent=bands.five,
        four_percent=bands.four,
        three_percent=bands.three,
        floor=bands.floor,
        tie_break_fewer_penalties=tie_break.fewer_penalties,
        tie_break_category_id=tie_break.category_id,
        tie_break_category_first=tie_break.category_first,
        household_count=0,
        created_by=actor,
    )


# The rule in one INSERT … SELECT over the ledger's own statements, no rows through Python. The same rule as
# `rank_households` (tests/rewards/test_stars.py checks the two agree, row for row, and the fingerprints too);
# bench/stars.py measured the version without tie-breakers at 1.90× one bare query computing the stars.
RANK_AND_STORE = """
    INSERT INTO rewards_starresult
        (township_id, run_id, village_id, household_id, total, penalties, tie_score, rank, n, stars, disqualified)
    SELECT %s, %s, village_id, id, total, penalties, tie_score, r, n,
           CASE WHEN vetoed OR total < %s THEN 0
                WHEN 100 * r <= %s * n THEN 5
                WHEN 100 * r <= %s * n THEN 4
                WHEN 100 * r <= %s * n THEN 3
                ELSE 0 END,
           vetoed
    FROM (
        SELECT t.id, h.village_id, t.total, COALESCE(p.penalties, 0) AS penalties, {tie_score} AS tie_score,
               v.household_id IS NOT NULL AS vetoed,
               RANK() OVER (PARTITION BY h.village_id ORDER BY {order}) AS r,
               COUNT(*) OVER (PARTITION BY h.village_id) AS n
        FROM ({totals}) t
        JOIN households_household h ON h.id = t.id
        LEFT JOIN (SELECT DISTINCT d.household_id FROM ({vetoed}) d) v ON v.household_id = t.id
        LEFT JOIN ({penalties}) p ON p.household_id = t.id
        {scores_join}
    ) ranked
"""
ORDER_TERMS = {"penalties": "COALESCE(p.penalties, 0) ASC", "category": "c.score DESC NULLS LAST"}
# sha256 of the same text `fingerprint` hashes: the settings, then one line per household by id.
DIGEST = """
    SELECT encode(sha256(convert_to(%s || COALESCE(string_agg(
               household_id || '|' || village_id || '|' || total::text || '|' || disqualified::int
               || '|' || penalties::text || '|' || COALESCE(tie_score::text, ''),
               E'\\n' ORDER BY household_id), ''), 'UTF8')), 'hex'),
           count(*)
    FROM rewards_starresult WHERE run_id = %s
"""


def _statement(scheme: Scheme, tie_break: TieBreak, rated: list[int]) -> tuple[str, list]:
    households = rating_households(scheme, rated)
    totals, totals_params = annual_totals_statement(scheme, households)
    vetoed, vetoed_params = disqualifying_entries(scheme).values("household_id").query.sql_with_params()
    penalties, penalties_params = penalty_points(scheme).query.sql_with_params()
    tie_score, scores_join, scores_params = "NULL::numeric", "", []
    if tie_break.category_id:
        category = Category.objects.get(pk=tie_break.category_id)
        scores, scores_params = category_scores(scheme, category, households).query.sql_with_params()
        tie_score = "c.score"
        # The selector's two columns (pk, category_<id>), renamed by position.
        scores_join = f"LEFT JOIN ({scores}) AS c(id, score) ON c.id = t.id"
    order = ", ".join(["t.total DESC", *(ORDER_TERMS[key] for key in tie_break.order())])
    sql = RANK_AND_STORE.format(
        totals=totals,
        vetoed=vetoed,
        penalties=penalties,
        tie_score=tie_score,
        scores_join=scores_join,
        order=order,
    )
    return sql, [*totals_params, *vetoed_params, *penalties_params, *scores_params]


def _rate_in_database(
    actor, scheme: Scheme, bands: Bands, tie_break: TieBreak, statuses: list[VillageStatus], current
):
    """Rank and store into a new run, then fingerprint what was stored; inputs rated before undo the new run."""
    rated = [v.village_id for v in statuses if v.rated]
    header = bands.header() + tie_break.header() + villages_header(statuses)
    savepoint = transaction.savepoint()
    run = _new_run(actor, scheme, bands, tie_break, f"pending-{uuid.uuid4().hex}")
    with connection.cursor() as cursor:
        if rated:  # no village rated: nothing to rank (and no statement: `IN ()` is not SQL)
            sql, params = _statement(scheme, tie_break, rated)
            cursor.execute(
                sql, [run.township_id, run.pk, bands.floor, bands.five, bands.four, bands.three, *params]
            )
        cursor.execute(DIGEST, [header, run.pk])
        digest, count = cursor.fetchone()
    if (known := _known_run(scheme, current, digest)) is not None:
        transaction.savepoint_rollback(savepoint)  # the new run and its rows go; nothing else was written
        return _back_to(known, current)
    transaction.savepoint_commit(savepoint)
    needs_confirmation = _store_villages(run, bands, statuses)
    if current is not None:
        StarRun.objects.filter(pk=current.pk).update(current=False)
    StarRun.objects.filter(pk=run.pk).update(
        inputs_fingerprint=digest, household_count=count, current=True, needs_confirmation=needs_confirmation
    )
    run.refresh_from_db()
    return run, True, star_changes(current, run) if current is not None else []


def _store_villages(run: StarRun, bands: Bands, statuses: list[VillageStatus]) -> bool:
    """Each village's status and overflow (from the stored results); whether any band overflows by more than one."""
    counts = {row["village_id"]: row for row in village_summary(run)}
    rows = []
    for village in statuses:
        summary = counts.get(village.village_id)
        overflow = 0
        if summary is not None:
            overflow = band_overflow(summary["n"], summary["five"], summary["four"], summary["three"], bands)
        rows.append(
            StarRunVillage(
                township_id=run.township_id,
                run=run,
                village_id=village.village_id,
                status=village.status,
                households=village.households,
                overflow=overflow,
                override_reason=village.override.reason if village.override else "",
                overridden_by_id=village.override.created_by_id if village.override else None,
            )
        )
    StarRunVillage.objects.bulk_create(rows)
    return any(row.overflow > 1 for row in rows)


def override_village_round(*, actor, scheme: Scheme, village: Village, reason: str) -> StarVillageOverride:
    """The township office lets a village be rated before its annual round is approved, saying why (shown on
    every run that rates it so). The current run goes stale: the next rating includes the village."""
    require_action(
        actor, scheme.township_id, Action.APPROVE_ROUND, message=_("Only the township office decides this.")
    )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why this village is rated before its annual round is approved."),
            field="reason",
            code="reason_required",
        )
    if village.township_id != scheme.township_id:
        raise DomainError(_("No such village."), field="village", code="no_such_village")
    approved = ReviewRound.objects.filter(
        scheme=scheme, village=village, kind=RoundKind.ANNUAL, state=RoundState.APPROVED
    )
    if approved.exists():
        raise DomainError(
            _("The annual round of %(village)s is approved: the village is rated without an override.")
            % {"village": village.name},
            field="village",
            code="round_approved",
        )
    with transaction.atomic():
        override, _created = StarVillageOverride.objects.update_or_create(
            scheme=scheme,
            village=village,
            defaults={"township_id": scheme.township_id, "reason": reason[:300], "created_by": actor},
        )
        mark_stale(scheme=scheme, cause=StaleCause.OVERRIDE, village=village)
    return override


def publish_run(*, actor, run: StarRun, confirm_overflow: bool = False) -> StarRun:
    """The township office makes the current run's stars official (they stay proposals until then).

    Refused, with nothing changed: a run that is not current or stale (the ledger changed: rate again), a
    published one, and — unless `confirm_overflow` — one where tied households make a band overflow by more than
    one household; the confirmation is recorded (who, when).
    """
    require_action(
        actor,
        run.township_id,
        Action.APPROVE_ROUND,
        message=_("Only the township office publishes star ratings."),
    )
    with transaction.atomic():
        run = StarRun.objects.select_for_update().get(pk=run.pk)
        if not run.current:
            raise DomainError(
                _("This rating is out of date: the ledger changed. Publish the current rating instead."),
                code="not_current",
            )
        if run.stale_since is not None:
            raise DomainError(
                _("This rating is stale: %(what)s since it was rated. Rate the stars again, then publish.")
                % {"what": stale_reason(run)},
                code="stale",
            )
        if run.state == StarRunState.PUBLISHED:
            raise DomainError(_("This rating is already published."), code="already_published")
        now = timezone.now()
        fields = ["state", "published_by", "published_at"]
        if run.needs_confirmation:
            if not confirm_overflow:
                raise DomainError(
                    _(
                        "Tied households make a star band hold more than one household over its share: confirm "
                        "that the township accepts this before publishing."
                    ),
                    field="confirm_overflow",
                    code="overflow_not_confirmed",
                )
            run.overflow_confirmed_by, run.overflow_confirmed_at = actor, now
            fields += ["overflow_confirmed_by", "overflow_confirmed_at"]
        run.state, run.published_by, run.published_at = StarRunState.PUBLISHED, actor, now
        run.save(update_fields=fields)
    return run


def stale_reason(run: StarRun) -> str:
    """What changed since the run was rated, in the reader's language ("" when it is not stale)."""
    if run.stale_since is None:
        return ""
    what = StaleCause(run.stale_cause).label if run.stale_cause in StaleCause.values else run.stale_cause
    details = []
    if run.stale_entry_id:
        details.append(_("entry %(id)s") % {"id": run.stale_entry_id})
    if run.stale_household_id:
        household = Household.objects.filter(pk=run.stale_household_id).first()
        if household is not None:
            details.append(_("household %(number)s") % {"number": household.number})
    elif run.stale_village_id:
        village = Village.objects.filter(pk=run.stale_village_id).first()
        if village is not None:
            details.append(village.name)
    text = f"{what} ({', '.join(details)})" if details else str(what)
    if run.stale_changes > 1:
        text += " " + _("and %(count)d more changes") % {"count": run.stale_changes - 1}
    return text


def set_star_rule(
    *, actor, scheme: Scheme, fewer_penalties: bool, category: Category | None, category_first: bool = False
) -> StarRule:
    """The scheme's tie-breakers (township office); the current run goes stale when they change."""
    require_action(
        actor,
        scheme.township_id,
        Action.MANAGE_REWARDS,
        message=_("Only the township office sets the star rules."),
    )
    if category is not None and category.scheme_id != scheme.pk:
        raise DomainError(
            _("Choose a category of this scheme."), field="tie_break_category", code="other_scheme_category"
        )
    with transaction.atomic():
        rule, _created = StarRule.objects.get_or_create(
            scheme=scheme, defaults={"township_id": scheme.township_id, **inherited_settings(scheme)}
        )
        before = tie_break_of(scheme)
        rule.tie_break_fewer_penalties = fewer_penalties
        rule.tie_break_category = category
        rule.tie_break_category_first = category_first
        rule.save()
        if tie_break_of(scheme) != before:
            mark_stale(scheme=scheme, cause=StaleCause.SETTINGS)
    return rule


# The bands, the floor and the supermarket's settings (the tie-breakers: set_star_rule).
SETTINGS_FIELDS = INHERITED_SETTINGS


def set_reward_settings(*, actor, scheme: Scheme, **settings) -> StarRule:
    """The scheme's star bands, the floor and what the supermarket can spend (a new rating uses them)."""
    unknown = set(settings) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    before = bands_of(scheme)
    rule = star_rule(scheme)
    for name, value in settings.items():
        setattr(rule, name, value)
    full_clean_or_raise(rule)
    with transaction.atomic():
        _keep_copies_settings(scheme)
        rule.save()
        if bands_of(scheme) != before:
            mark_stale(scheme=scheme, cause=StaleCause.SETTINGS)
    return rule


def _keep_copies_settings(scheme: Scheme) -> None:
    """Schemes copied from this one without settings of their own keep the settings they were copied with."""
    copies = Scheme.objects.filter(copied_from=scheme, star_rule__isnull=True)
    inherited = {name: getattr(star_rule(scheme), name) for name in INHERITED_SETTINGS}
    StarRule.objects.bulk_create(
        StarRule(township_id=copy.township_id, scheme=copy, **inherited) for copy in copies
    )
