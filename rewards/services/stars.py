"""Star ratings: rate a scheme's year (one transaction, versioned, idempotent), publish a run, set the rules.

The rule (issues 6 and 12): a village is rated only when it has standing approved entries in the year and its
annual round is approved (or the township overrode that, with a reason). In each rated village, rank the
households taking part by approved annual total, then by the scheme's tie-breakers in order (fewer penalty
points; a higher score in a named category); rank = 1 + the number of the village's households strictly better,
so households still exactly tied share a rank and the higher band. With N households: five stars if
100·r ≤ five% · N, four if 100·r ≤ four% · N, three if 100·r ≤ three% · N — integers, never floats — and only with
total ≥ the floor and no standing disqualification. When ties make the households of a band (and the bands above)
outnumber its share ⌊p·N/100⌋ by more than one, publishing needs the township's explicit confirmation.

The inputs come from the ledger's own read queries (`scoring.selectors.score_statement`, the one statement of the
scores, whose column of the tie-break category is that category's score; rewards' standing, disqualifying and
penalty entries). The rule runs in PostgreSQL, once (`RANKED`, in rewards.selectors.rule): the rating stores
what it selects in one INSERT … SELECT and computes the fingerprint from the stored rows (`_rate_in_database`);
the annual notice reads the same SELECT on its proposed totals (`proposed_stars`). tests/rewards/oracle.py keeps the rule in Python as the
tests' oracle; bench/stars.py checks the stars against one hand-written SQL query.

A run goes stale (database triggers, rewards migration 0007) in the same transaction as any change of its
inputs; a stale run is not published. Rating again clears the mark on the run it returns.
"""

import uuid
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, full_clean_or_raise
from core.permissions import Action, require
from households.models import Membership, Village
from review.models import ReviewRound, RoundKind, RoundState
from scoring.models import Category, Scheme, SchemeState

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
    Bands,
    StarChange,
    TieBreak,
    VillageStatus,
    band_overflow,
    bands_of,
    inherited_settings,
    ranked_sql,
    rating_households,
    stale_reason,
    star_changes,
    star_rule,
    tie_break_of,
    village_statuses,
    village_summary,
    villages_header,
)


def _mark_stale(*, scheme: Scheme, cause: str, village: Village | None = None) -> None:
    """The scheme's current run goes stale (the triggers' own function, for changes made in rewards)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rewards_mark_star_runs_stale(%s, %s, NULL, NULL, %s, 1)",
            [scheme.pk, cause, village.pk if village is not None else None],
        )


def rate_stars(
    *, membership: Membership, scheme: Scheme, override_villages: dict[int, str] | None = None
) -> tuple[StarRun, bool, list[StarChange]]:
    """Rate the scheme's year. Returns (the current run, whether it was created, what changed since the last).

    `override_villages` ({village id: reason}) first records the township's decision to rate those villages
    before their annual round is approved (`override_village_round`; the township office only).
    All in one transaction under a lock on the scheme row: a killed worker leaves nothing, two concurrent
    ratings run one after the other. The same inputs give the same run (nothing is written); changed inputs
    give version n + 1 and the households whose stars changed; inputs seen before make that run current again.
    The run returned matches the ledger: its stale mark, if any, is cleared.
    """
    require(membership, Action.MANAGE_REWARDS, scheme, message=_("Only the township office rates the stars."))
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
            override_village_round(membership=membership, scheme=scheme, village=village, reason=reason)
        current = StarRun.objects.filter(scheme=scheme, current=True).first()
        run, created, changes = _rate_in_database(
            membership, scheme, bands_of(scheme), tie_break_of(scheme), village_statuses(scheme), current
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


def _back_to(known: StarRun, current: StarRun | None) -> tuple[StarRun, bool, list[StarChange]]:
    """Inputs rated before: their run becomes current again (nothing new is written)."""
    if current is not None and current.pk == known.pk:
        return current, False, []
    if current is not None:
        StarRun.objects.filter(pk=current.pk).update(current=False)
    StarRun.objects.filter(pk=known.pk).update(current=True)
    known.current = True
    return known, False, star_changes(current, known) if current is not None else []


def _new_run(
    membership: Membership, scheme: Scheme, bands: Bands, tie_break: TieBreak, digest: str
) -> StarRun:
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
        created_by=membership.user,
    )


# The rating stores the rule's rows (RANKED, rewards.selectors.rule) with no row through Python.
RANK_AND_STORE = """
    INSERT INTO rewards_starresult
        (township_id, run_id, village_id, household_id, total, penalties, tie_score, rank, n, stars, disqualified,
         account_id)
    SELECT %s, %s, ranked.*, a.id FROM ({ranked}) ranked LEFT JOIN scoring_account a ON a.household_id = ranked.household_id
"""
# sha256 of the settings, then one line per household by id (household|village|total|disqualified|penalties|
# tie score): tests/rewards/oracle.py computes the same text in Python.
DIGEST = """
    SELECT encode(sha256(convert_to(%s || COALESCE(string_agg(
               household_id || '|' || village_id || '|' || total::text || '|' || disqualified::int
               || '|' || penalties::text || '|' || COALESCE(tie_score::text, ''),
               E'\\n' ORDER BY household_id), ''), 'UTF8')), 'hex'),
           count(*)
    FROM rewards_starresult WHERE run_id = %s
"""


def _rate_in_database(
    membership: Membership,
    scheme: Scheme,
    bands: Bands,
    tie_break: TieBreak,
    statuses: list[VillageStatus],
    current: StarRun | None,
) -> tuple[StarRun, bool, list[StarChange]]:
    """Rank and store into a new run, then fingerprint what was stored; inputs rated before undo the new run."""
    rated = [v.village_id for v in statuses if v.rated]
    header = bands.header() + tie_break.header() + villages_header(statuses)
    savepoint = transaction.savepoint()
    run = _new_run(membership, scheme, bands, tie_break, f"pending-{uuid.uuid4().hex}")
    with connection.cursor() as cursor:
        if rated:  # no village rated: nothing to rank (and no statement: `IN ()` is not SQL)
            ranked, params = ranked_sql(scheme, bands, tie_break, rating_households(scheme, rated))
            cursor.execute(RANK_AND_STORE.format(ranked=ranked), [run.township_id, run.pk, *params])
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


def override_village_round(
    *, membership: Membership, scheme: Scheme, village: Village, reason: str
) -> StarVillageOverride:
    """The township office lets a village be rated before its annual round is approved, saying why (shown on
    every run that rates it so). The current run goes stale: the next rating includes the village."""
    require(membership, Action.APPROVE_ROUND, scheme, message=_("Only the township office decides this."))
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
            defaults={
                "township_id": scheme.township_id,
                "reason": reason[:300],
                "created_by": membership.user,
            },
        )
        _mark_stale(scheme=scheme, cause=StaleCause.OVERRIDE, village=village)
    return override


def publish_run(*, membership: Membership, run: StarRun, confirm_overflow: bool = False) -> StarRun:
    """The township office makes the current run's stars official (they stay proposals until then).

    Refused, with nothing changed: a run that is not current or stale (the ledger changed: rate again), a
    published one, and — unless `confirm_overflow` — one where tied households make a band overflow by more than
    one household; the confirmation is recorded (who, when).
    """
    require(
        membership, Action.MANAGE_REWARDS, run, message=_("Only the township office publishes star ratings.")
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
            run.overflow_confirmed_by, run.overflow_confirmed_at = membership.user, now
            fields += ["overflow_confirmed_by", "overflow_confirmed_at"]
        run.state, run.published_by, run.published_at = StarRunState.PUBLISHED, membership.user, now
        run.save(update_fields=fields)
    return run


def set_star_rule(
    *,
    membership: Membership,
    scheme: Scheme,
    fewer_penalties: bool,
    category: Category | None,
    category_first: bool = False,
) -> StarRule:
    """The scheme's tie-breakers (township office); the current run goes stale when they change."""
    require(
        membership, Action.MANAGE_REWARDS, scheme, message=_("Only the township office sets the star rules.")
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
            _mark_stale(scheme=scheme, cause=StaleCause.SETTINGS)
    return rule


# The bands, the floor and the supermarket's settings (the tie-breakers: set_star_rule).
SETTINGS_FIELDS = INHERITED_SETTINGS


def set_reward_settings(*, membership: Membership, scheme: Scheme, **settings: Any) -> StarRule:
    """The scheme's star bands, the floor and what the supermarket can spend (a new rating uses them)."""
    require(
        membership, Action.MANAGE_REWARDS, scheme, message=_("Only the township office sets the star rules.")
    )
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
            _mark_stale(scheme=scheme, cause=StaleCause.SETTINGS)
    return rule


def _keep_copies_settings(scheme: Scheme) -> None:
    """Schemes copied from this one without settings of their own keep the settings they were copied with."""
    copies = Scheme.objects.filter(copied_from=scheme, star_rule__isnull=True)
    inherited = {name: getattr(star_rule(scheme), name) for name in INHERITED_SETTINGS}
    StarRule.objects.bulk_create(
        StarRule(township_id=copy.township_id, scheme=copy, **inherited) for copy in copies
    )
