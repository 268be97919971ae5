"""Read queries of the star ratings: the rating's inputs, the runs and their results, a scheme's star rule."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Abs
from django.utils.translation import gettext as _

from households.models import Household, Village
from review.models import ReviewRound, RoundKind, RoundState
from scoring.models import (
    Entry,
    EntrySource,
    EntryState,
    ItemKind,
    Scheme,
)

from ..models import (
    StaleCause,
    StarResult,
    StarRule,
    StarRun,
    StarRunState,
    StarRunVillage,
    StarVillageOverride,
    VillageRating,
)


def _counted(also_counting: QuerySet[Entry] | None) -> Q:
    """Approved entries, and (for a round's notice) the round's proposals as if approved."""
    counted = Q(state=EntryState.APPROVED)
    if also_counting is not None:
        counted |= Q(state=EntryState.PROPOSED, pk__in=also_counting.order_by().values("pk"))
    return counted


def standing_entries(scheme: Scheme, also_counting: QuerySet[Entry] | None = None) -> QuerySet[Entry]:
    """Approved entries of the scheme that are not corrections and that no approved correction has reversed.

    With `also_counting` (a round's entries, for its notice) its proposals count as if approved.
    """
    counted = _counted(also_counting)
    reversed_by_correction = Entry.objects.filter(
        counted, corrects=OuterRef("pk"), source=EntrySource.CORRECTION
    )
    return (
        Entry.objects.filter(counted, township_id=scheme.township_id, scheme=scheme)
        .exclude(source=EntrySource.CORRECTION)
        .exclude(Exists(reversed_by_correction))
    )


def disqualifying_entries(scheme: Scheme, also_counting: QuerySet[Entry] | None = None) -> QuerySet[Entry]:
    """Standing entries of a disqualifying (一票否决) item (`standing_entries`).

    A correction copies the item of the entry it reverses, so corrections themselves are left out.
    """
    return standing_entries(scheme, also_counting).filter(item__disqualifying=True)


def penalty_points(scheme: Scheme, also_counting: QuerySet[Entry] | None = None) -> QuerySet[Any, Any]:
    """Per household (`household_id`, `penalties`): the points of its standing penalties (`standing_entries`), as
    a positive number.

    A corrected penalty no longer counts (the correction reverses it); the correction itself is not a penalty.
    """
    return (
        standing_entries(scheme, also_counting)
        .filter(item_kind=ItemKind.PENALTY)
        .order_by()
        .values("household_id")
        .annotate(penalties=Sum(Abs("points")))
    )


def rating_households(scheme: Scheme, villages: Iterable[int] | None = None) -> QuerySet[Household]:
    """The households a rating ranks: taking part, of the scheme's township (of these villages, if given)."""
    households = Household.objects.filter(township_id=scheme.township_id).taking_part()
    if villages is not None:
        households = households.filter(village_id__in=list(villages))
    return households


@dataclass(frozen=True)
class VillageStatus:
    """Whether a rating ranks a village, and why (not)."""

    village_id: int
    status: str
    households: int
    override: StarVillageOverride | None = None

    @property
    def rated(self) -> bool:
        return self.status in (VillageRating.RATED, VillageRating.OVERRIDDEN)


def village_statuses(scheme: Scheme) -> list[VillageStatus]:
    """Each village with households taking part, by id: rated; rated on the township's override before its
    annual round is approved; or not rated — no standing approved entry in the year, or the annual round not
    approved and no override. (Four queries.)"""
    counts = dict(
        rating_households(scheme)
        .order_by()
        .values("village_id")
        .annotate(n=Count("pk"))
        .values_list("village_id", "n")
    )
    # Per village, does one standing entry exist: a semi-join that stops at the first entry of each village (an
    # index look-up, 20 ms for a township of 20,000 households), not a DISTINCT over the whole ledger (1.4 s).
    with_entries = set(
        Village.objects.filter(
            Exists(
                standing_entries(scheme).filter(
                    household__in=rating_households(scheme), household__village_id=OuterRef("pk")
                )
            )
        )
        .order_by()
        .values_list("pk", flat=True)
    )
    approved = set(
        ReviewRound.objects.filter(
            scheme=scheme, kind=RoundKind.ANNUAL, state=RoundState.APPROVED
        ).values_list("village_id", flat=True)
    )
    overrides = {o.village_id: o for o in StarVillageOverride.objects.filter(scheme=scheme)}
    statuses = []
    for village_id in sorted(counts):
        override = None
        if village_id not in with_entries:
            status = VillageRating.NO_ENTRIES
        elif village_id in approved:
            status = VillageRating.RATED
        elif village_id in overrides:
            status, override = VillageRating.OVERRIDDEN, overrides[village_id]
        else:
            status = VillageRating.ROUND_NOT_APPROVED
        statuses.append(VillageStatus(village_id, status, counts[village_id], override))
    return statuses


def run_villages(run: StarRun) -> QuerySet[StarRunVillage]:
    """A run's villages, by name: rated or not and why, with the overflow (one query)."""
    return StarRunVillage.objects.filter(run=run).select_related("village", "overridden_by")


def current_run(scheme: Scheme) -> StarRun | None:
    """The run that matches the ledger as last rated (a proposal or published)."""
    return StarRun.objects.filter(scheme=scheme, current=True).first()


def published_run(scheme: Scheme) -> StarRun | None:
    """The newest published run of the scheme (what rewards and incentive lists use)."""
    return StarRun.objects.filter(scheme=scheme, state=StarRunState.PUBLISHED).order_by("-version").first()


# Each household's newest published rating: of the latest year, then the latest published, then the latest run.
# Written out: the roster's pages show it on every list and household page, and the ORM spent 0.8 ms building it
# for 0.1 ms of reading (issue 19). Only the households' township is read.
LATEST_STARS = """
    SELECT DISTINCT ON (r.household_id) r.household_id, r.stars
    FROM rewards_starresult r
    JOIN rewards_starrun run ON run.id = r.run_id AND run.township_id = r.township_id
    JOIN scoring_scheme s ON s.id = run.scheme_id
    WHERE r.township_id = %s AND r.household_id = ANY(%s) AND run.state = %s
    ORDER BY r.household_id, s.year DESC, run.published_at DESC, run.id DESC
"""


def latest_stars(households: Sequence[Household]) -> dict[int, int]:
    """{household id: stars (0, 3, 4 or 5)} from each household's newest published rating, for the households
    ever rated in one (the roster's pages: `households.figures`). One query."""
    if not households:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            LATEST_STARS, [households[0].township_id, [h.pk for h in households], StarRunState.PUBLISHED]
        )
        return dict(cursor.fetchall())


def runs_to_publish() -> QuerySet[StarRun]:
    """The ratings waiting for the township office: current, proposed and not stale, with their scheme (one query)."""
    return (
        StarRun.objects.filter(current=True, state=StarRunState.PROPOSED, stale_since__isnull=True)
        .select_related("scheme")
        .order_by("-scheme__year", "scheme__name", "pk")
    )


def run_results(run: StarRun) -> QuerySet[StarResult]:
    """A run's results village by village, best first, with what a row shows (one query)."""
    return (
        StarResult.objects.filter(run=run)
        .select_related("household", "village")
        .order_by("village__sort_key", "village_id", "rank", "household__number")
    )


def results_by_village(scheme: Scheme) -> tuple[StarRun | None, dict[Village, list[StarResult]]]:
    """The current run and its results grouped by village (two queries, whatever the number of rows)."""
    run = current_run(scheme)
    grouped: dict[Village, list[StarResult]] = defaultdict(list)
    if run is not None:
        for result in run_results(run):
            grouped[result.village].append(result)
    return run, dict(grouped)


def village_summary(run: StarRun) -> list[dict[str, Any]]:
    """Per village: name, N, and the number of five-, four- and three-star households (one query)."""
    rows = (
        StarResult.objects.filter(run=run)
        .values("village_id", "village__name")
        .annotate(
            n=Count("pk"),
            five=Count("pk", filter=Q(stars=5)),
            four=Count("pk", filter=Q(stars=4)),
            three=Count("pk", filter=Q(stars=3)),
            disqualified=Count("pk", filter=Q(disqualified=True)),
        )
        .order_by("village__sort_key", "village_id")
    )
    return [dict(row) for row in rows]


def star_households(year: int, *, published_only: bool = True) -> QuerySet[StarResult]:
    """The star households (3 stars and up) of a year, from each scheme's published run (or current run).

    Call inside the township scope; one query.
    """
    runs = StarRun.objects.filter(scheme__year=year)
    if published_only:
        newest = StarRun.objects.filter(
            scheme=OuterRef("scheme"), state=StarRunState.PUBLISHED, version__gt=OuterRef("version")
        )
        runs = runs.filter(state=StarRunState.PUBLISHED).exclude(Exists(newest))
    else:
        runs = runs.filter(current=True)
    return (
        StarResult.objects.filter(run__in=runs, stars__gte=3)
        .select_related("household", "village", "run", "run__scheme")
        .order_by("-stars", "village__sort_key", "rank", "household__number")
    )


@dataclass(frozen=True)
class StarChange:
    """A household whose stars differ between two runs (None: not ranked in that run)."""

    household: Household
    old: int | None
    new: int | None


def star_changes(old: StarRun, new: StarRun) -> list[StarChange]:
    """Households whose stars differ from `old` to `new`, by household number (two queries)."""
    old_stars = StarResult.objects.filter(run=old, household=OuterRef("household")).values("stars")[:1]
    differing = (
        StarResult.objects.filter(run=new)
        .annotate(old_stars=Subquery(old_stars))
        .filter(Q(old_stars__isnull=True) | ~Q(old_stars=F("stars")))
        .select_related("household")
    )
    gone = (
        StarResult.objects.filter(run=old)
        .exclude(Exists(StarResult.objects.filter(run=new, household=OuterRef("household"))))
        .select_related("household")
    )
    changes = [StarChange(r.household, r.old_stars, r.stars) for r in differing]
    changes += [StarChange(r.household, r.stars, None) for r in gone]
    return sorted(changes, key=lambda c: (c.household.number, c.household.pk))


# A scheme's reward settings ---------------------------------------------------------------------------------------

# What a copied scheme takes over from its source (the tie-breakers name the source's categories: they are not).
INHERITED_SETTINGS = (
    "star_five_percent",
    "star_four_percent",
    "star_three_percent",
    "star_floor",
    "spendable_basis",
    "spendable_resets_yearly",
    "prize_first",
    "prize_second",
    "prize_third",
)


def inherited_settings(scheme: Scheme) -> dict:
    """The settings a scheme without its own StarRule starts from: those of the nearest scheme it was copied from
    that has one (scoring.services.copy_scheme copies the catalogue, rewards its own settings), else none."""
    source_id, seen = scheme.copied_from_id, set()
    while source_id is not None and source_id not in seen:
        seen.add(source_id)
        rule = StarRule.objects.filter(scheme_id=source_id).first()
        if rule is not None:
            return {name: getattr(rule, name) for name in INHERITED_SETTINGS}
        source_id = Scheme.objects.filter(pk=source_id).values_list("copied_from_id", flat=True).first()
    return {}


def star_rule(scheme: Scheme) -> StarRule:
    """The scheme's reward settings; unsaved when it has none yet (its source's settings, else the defaults)."""
    return StarRule.objects.filter(scheme=scheme).first() or _unsaved_star_rule(scheme)


def selected_star_rule(scheme: Scheme) -> StarRule:
    """`star_rule` of a scheme read with `select_related("star_rule")`, without a query more."""
    return getattr(scheme, "star_rule", None) or _unsaved_star_rule(scheme)


def _unsaved_star_rule(scheme: Scheme) -> StarRule:
    return StarRule(township_id=scheme.township_id, scheme=scheme, **inherited_settings(scheme))


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
