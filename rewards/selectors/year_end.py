"""What a year-end close (年度结算) of a scheme's year would do, read without writing anything: the dry run the
page shows and the summary the close keeps (rewards.services.year_end).

Per village: is its annual round approved, is it rated in the published star rating; then the accounts whose
spendable points carry over or are cleared, the next year's draft scheme and the archive's files."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from households.models import Village
from review.models import ReviewRound, RoundKind, RoundState
from scoring.models import Account, Entry, EntryState, Scheme, YearClose, format_points

from ..models import StarRunVillage
from .balance import spendable_balances
from .stars import published_run, rating_households, star_rule

CARRY, CLEAR = "carry", "clear"


@dataclass
class VillageCheck:
    village: Village
    round_state: str  # the annual round's state label, or "" when the village has none
    round_ok: bool
    stars_ok: bool
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing


@dataclass
class AccountLine:
    account_id: int
    household_id: int | None
    holder: str
    village: str
    points: Decimal


@dataclass
class YearEndPlan:
    scheme: Scheme
    year: int
    close: YearClose | None
    villages: list[VillageCheck]
    stars_problem: str
    pending_proposals: int
    spendable: str  # CARRY or CLEAR
    accounts: list[AccountLine]
    next_name: str
    next_year: int
    next_starts_on: datetime.date
    next_ends_on: datetime.date | None
    next_scheme: Scheme | None  # a scheme of that name and year already there: the close takes it
    archive_files: list[str]

    @property
    def ok(self) -> bool:
        return not self.stars_problem and all(v.ok for v in self.villages)

    @property
    def total_points(self) -> Decimal:
        return sum((a.points for a in self.accounts), Decimal("0"))

    def problems(self) -> list[str]:
        """Each village still open and what it misses (then the township's own), as the refusal says them."""
        lines = [
            _("%(village)s: %(missing)s") % {"village": v.village.name, "missing": "; ".join(v.missing)}
            for v in self.villages
            if not v.ok
        ]
        if self.stars_problem:
            lines.append(self.stars_problem)
        return lines

    def summary(self) -> dict[str, Any]:
        """What the close keeps of it (JSON): the figures a later reader needs."""
        return {
            "villages": [{"id": v.village.pk, "name": v.village.name} for v in self.villages],
            "pending_proposals": self.pending_proposals,
            "spendable": self.spendable,
            "accounts": len(self.accounts),
            "points": format_points(self.total_points),
            "next_scheme": {
                "name": self.next_name,
                "year": self.next_year,
                "starts_on": self.next_starts_on.isoformat(),
                "ends_on": self.next_ends_on.isoformat() if self.next_ends_on else None,
            },
            "archive_files": self.archive_files,
        }


def next_period(scheme: Scheme, year: int | None = None) -> tuple[int, datetime.date, datetime.date | None]:
    """The dates after the closed `year`: the next calendar year for a year's scheme (open-ended when its points
    carry forward); for a term (a school's), the next term starts the day after this one ends and lasts as long."""
    start = scheme.starts_on
    if scheme.ends_on is None:
        following = (year or scheme.year) + 1
        return following, datetime.date(following, 1, 1), None
    if (start.month, start.day, scheme.ends_on.month, scheme.ends_on.day) == (1, 1, 12, 31):
        year = scheme.ends_on.year + 1
        return year, datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    first = scheme.ends_on + datetime.timedelta(days=1)
    return first.year, first, first + (scheme.ends_on - start)


def year_end_plan(scheme: Scheme, year: int | None = None) -> YearEndPlan:
    """The dry run of closing `year` of `scheme` (its own year unless said): reads only, a fixed number of
    queries whatever the number of villages (the accounts' balances: spendable_balances')."""
    year = year or scheme.year
    villages = _villages(scheme, year)
    run = published_run(scheme)
    stars_problem = ""
    rated: set[int] = set()
    if run is None:
        stars_problem = _("The star rating of %(scheme)s is not published.") % {"scheme": scheme}
    elif not run.current or run.stale:
        stars_problem = _(
            "The published star rating of %(scheme)s no longer matches the ledger: rate again and publish."
        ) % {"scheme": scheme}
    else:
        rated = {v.village_id for v in StarRunVillage.objects.filter(run=run) if v.rated}
    for check in villages:
        check.stars_ok = check.village.pk in rated
        if run is not None and not stars_problem and not check.stars_ok:
            check.missing.append(_("not rated in the published star rating"))
    next_year, starts_on, ends_on = next_period(scheme, year)
    rule = star_rule(scheme)
    return YearEndPlan(
        scheme=scheme,
        year=year,
        close=YearClose.objects.filter(scheme=scheme, year=year)
        .select_related("closed_by", "next_scheme")
        .first(),
        villages=villages,
        stars_problem=stars_problem,
        pending_proposals=Entry.objects.filter(scheme=scheme, year=year, state=EntryState.PROPOSED).count(),
        spendable=CLEAR if rule.spendable_resets_yearly else CARRY,
        accounts=_accounts(scheme, year),
        next_name=scheme.name,
        next_year=next_year,
        next_starts_on=starts_on,
        next_ends_on=ends_on,
        next_scheme=Scheme.objects.filter(
            township_id=scheme.township_id, year=next_year, name=scheme.name
        ).first(),
        archive_files=_archive_files(scheme, year),
    )


def _villages(scheme: Scheme, year: int) -> list[VillageCheck]:
    """Every village with households taking part or an annual round of the year, by name."""
    rounds = {
        r.village_id: r
        for r in ReviewRound.objects.filter(scheme=scheme, kind=RoundKind.ANNUAL, period=str(year)).order_by(
            "pk"
        )
    }
    ids = set(rating_households(scheme).order_by().values_list("village_id", flat=True).distinct()) | set(
        rounds
    )
    checks = []
    for village in Village.objects.filter(pk__in=ids).order_by("sort_key", "pk"):
        round_ = rounds.get(village.pk)
        check = VillageCheck(
            village=village,
            round_state=round_.get_state_display() if round_ else "",
            round_ok=round_ is not None and round_.state == RoundState.APPROVED,
            stars_ok=False,
        )
        if round_ is None:
            check.missing.append(_("no annual round of %(year)d") % {"year": year})
        elif not check.round_ok:
            check.missing.append(
                _("the annual round is not approved (%(state)s)") % {"state": check.round_state}
            )
        checks.append(check)
    return checks


def _accounts(scheme: Scheme, year: int) -> list[AccountLine]:
    """The accounts with points in the scheme's year and a spendable balance left (what carries or is cleared)."""
    accounts = list(
        Account.objects.filter(pk__in=Entry.objects.filter(scheme=scheme, year=year).values("account_id"))
        .select_related("household", "resident", "unit", "village")
        .order_by("village__sort_key", "pk")
    )
    balances = spendable_balances(accounts, year=year)
    return [
        AccountLine(
            account_id=a.pk,
            household_id=a.household_id,
            holder=a.household.number if a.household is not None else a.holder_name,
            village=a.village.name,
            points=balances[a.pk].available,
        )
        for a in accounts
        if balances[a.pk].available > 0
    ]


@dataclass(frozen=True)
class ArchivePart:
    """One file of the year's archive: made by the job runner of `kind` (core.jobs.RUNNERS: the report, the
    figures, a round's notice sheet) with `params`, or by the archive itself when `kind` is empty."""

    name: str
    kind: str
    params: dict


def archive_parts(scheme: Scheme, year: int) -> list[ArchivePart]:
    """The archive's files: the report PDF and the figures of the year, the published star rating, the roster,
    and the notice sheet of every round of the year that went on notice."""
    parts = [
        ArchivePart(f"report-{year}.pdf", "oversight_report", {"year": year}),
        ArchivePart(f"figures-{year}.xlsx", "oversight_workbook", {"year": year}),
        ArchivePart(f"stars-{year}.xlsx", "", {"part": "stars", "scheme_id": scheme.pk}),
        ArchivePart(f"roster-{year}.xlsx", "", {"part": "roster"}),
    ]
    rounds = (
        ReviewRound.objects.filter(
            scheme=scheme, period__startswith=str(year), notice_opened_at__isnull=False
        )
        .select_related("village")
        .order_by("village__sort_key", "period", "pk")
    )
    parts += [
        ArchivePart(
            f"notice-{r.village.name}-{r.period}.pdf",
            "notice_sheet",
            {"round_id": r.pk, "size": "a4", "archive": True},
        )
        for r in rounds
    ]
    return parts


def _archive_files(scheme: Scheme, year: int) -> list[str]:
    return [part.name for part in archive_parts(scheme, year)]
