"""Read queries for star ratings, shared by pages, API, jobs and the command."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery

from households.models import Household, Village
from scoring.models import Entry, EntrySource, EntryState, Scheme
from scoring.selectors import annual_totals

from .models import StarResult, StarRun, StarRunState


class StarInput(NamedTuple):
    """What a household's stars depend on: the rating's inputs, hashed into the run's fingerprint."""

    household_id: int
    village_id: int
    total: Decimal
    disqualified: bool


def disqualifying_entries(scheme: Scheme) -> QuerySet[Entry]:
    """Approved entries of a disqualifying (一票否决) item that no approved correction has reversed.

    A correction copies the item of the entry it reverses, so corrections themselves are left out.
    """
    reversed_by_correction = Entry.objects.filter(
        corrects=OuterRef("pk"), state=EntryState.APPROVED, source=EntrySource.CORRECTION
    )
    return (
        Entry.objects.approved()
        .filter(township_id=scheme.township_id, scheme=scheme, item__disqualifying=True)
        .exclude(source=EntrySource.CORRECTION)
        .exclude(Exists(reversed_by_correction))
    )


def star_inputs(scheme: Scheme) -> list[StarInput]:
    """Every household taking part, with its village, approved annual total and disqualification, by household.

    The totals are `scoring.selectors.annual_totals`: the scores pages' numbers, by construction.
    """
    households = Household.objects.filter(township_id=scheme.township_id)
    totals = annual_totals(scheme, households.taking_part())
    # Every household's village, not only those taking part: one may stop taking part between the two queries.
    villages = dict(households.order_by().values_list("pk", "village_id"))
    disqualified = set(disqualifying_entries(scheme).order_by().values_list("household_id", flat=True))
    return sorted(
        StarInput(household_id, villages[household_id], total, household_id in disqualified)
        for household_id, total in totals.items()
    )


def current_run(scheme: Scheme) -> StarRun | None:
    """The run that matches the ledger as last rated (a proposal or published)."""
    return StarRun.objects.filter(scheme=scheme, current=True).first()


def published_run(scheme: Scheme) -> StarRun | None:
    """The newest published run of the scheme (what rewards and incentive lists use)."""
    return StarRun.objects.filter(scheme=scheme, state=StarRunState.PUBLISHED).order_by("-version").first()


def run_results(run: StarRun) -> QuerySet[StarResult]:
    """A run's results village by village, best first, with what a row shows (one query)."""
    return (
        StarResult.objects.filter(run=run)
        .select_related("household", "village")
        .order_by("village__name", "village_id", "rank", "household__number")
    )


def results_by_village(scheme: Scheme) -> tuple[StarRun | None, dict[Village, list[StarResult]]]:
    """The current run and its results grouped by village (two queries, whatever the number of rows)."""
    run = current_run(scheme)
    grouped: dict[Village, list[StarResult]] = defaultdict(list)
    if run is not None:
        for result in run_results(run):
            grouped[result.village].append(result)
    return run, dict(grouped)


def village_summary(run: StarRun) -> list[dict]:
    """Per village: name, N, and the number of five-, four- and three-star households (one query)."""
    return list(
        StarResult.objects.filter(run=run)
        .values("village_id", "village__name")
        .annotate(
            n=Count("pk"),
            five=Count("pk", filter=Q(stars=5)),
            four=Count("pk", filter=Q(stars=4)),
            three=Count("pk", filter=Q(stars=3)),
            disqualified=Count("pk", filter=Q(disqualified=True)),
        )
        .order_by("village__name", "village_id")
    )


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
        .order_by("-stars", "village__name", "rank", "household__number")
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
