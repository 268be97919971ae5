"""What waits for one member, as counts with the page where the work is done (issue 17, "what should I do now").

The home page and 待办 (the worklist) both show `work_counts`, so they always say the same. Each line is computed
only for a member whose role may do that work (`core.permissions.can`). The queries are a fixed number per role,
whatever the number of villages, rounds or entries; the links end in the filtered list where the work is done.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.permissions import Action, can
from core.vocabulary import OrganisationKind
from households.models import Membership, Role
from households.selectors import households_visible_to, lacking, villages_visible_to
from scoring.appeal_selectors import pending_appeals, pending_self_declarations
from scoring.models import EntryState, SchemeState
from scoring.selectors import entries_visible_to, recorded_on_day

from ..models import Objection, ObjectionState, ReviewRound, RoundState
from .claims import claims_to_check
from .notices import waiting_for_a_notice
from .rounds import rounds_visible_to
from .worklist import _inspections_waiting

# The stages a round goes through before it counts (an approved round waits for nobody).
OPEN_STAGES = (
    RoundState.DRAFT,
    RoundState.COLLECTING,
    RoundState.PANEL_REVIEW,
    RoundState.REPRESENTATIVES,
    RoundState.ON_NOTICE,
    RoundState.SUBMITTED,
)


@dataclass(frozen=True)
class Line:
    key: str  # stable, for tests and anchors: "approvals", "approvals-village-12", "missing-head", …
    label: str
    url: str | None
    count: int | None = None  # None: a link to a page, not a count (the counter, a report)
    detail: str = ""
    part: bool = False  # a breakdown of the line above (per village, per stage): not added to the total


@dataclass
class Section:
    key: str
    title: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class WorkCounts:
    sections: list[Section] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        """How many things wait in all (what the member should do now)."""
        return sum(line.count or 0 for section in self.sections for line in section.lines if not line.part)

    def count(self, key: str) -> int | None:
        return next((ln.count for s in self.sections for ln in s.lines if ln.key == key), None)


def _url(
    name: str, membership: Membership, query: dict | None = None, anchor: str = "", **kwargs: object
) -> str | None:
    """A page's address with its filters, or None while that page does not exist."""
    try:
        address = reverse(name, kwargs={"township_slug": membership.township.slug, **kwargs})
    except NoReverseMatch:
        return None
    if query:
        address += "?" + urlencode(query)
    return address + (f"#{anchor}" if anchor else "")


def _today_bounds(membership: Membership) -> tuple[datetime.date, datetime.datetime, datetime.datetime]:
    zone = zoneinfo.ZoneInfo(membership.township.timezone)
    today = timezone.now().astimezone(zone).date()
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    return today, start, start + datetime.timedelta(days=1)


def notices_ending_today(rounds: QuerySet[ReviewRound], membership: Membership) -> QuerySet[ReviewRound]:
    """The rounds on notice whose notice ends before the township's next midnight (the count and its list)."""
    _today, start, end = _today_bounds(membership)
    return rounds.filter(state=RoundState.ON_NOTICE, notice_ends_at__gt=start, notice_ends_at__lte=end)


def work_counts(membership: Membership) -> WorkCounts:
    """The member's work as counts, by what their role may do (call inside the township scope)."""
    work = WorkCounts()
    if can(membership, Action.APPROVE_ROUND):
        work.sections.append(_approvals(membership))
    if can(membership, Action.RUN_ROUND):
        work.sections.append(_rounds(membership))
    checks = _checks(membership)
    if checks.lines:
        work.sections.append(checks)
    if membership.role == Role.VILLAGE_CLERK or (
        membership.township.kind == OrganisationKind.SCHOOL and can(membership, Action.RECORD_ENTRY)
    ):
        work.sections.append(_records(membership))
    if can(membership, Action.PANEL_WORK):
        work.sections.append(_inspections(membership))
    if membership.role in (Role.SUPERVISOR, Role.COUNTY_VIEWER):
        work.sections.append(_reports(membership))
    return work


def _approvals(membership: Membership) -> Section:
    """Rounds and notice batches whose notice has ended, waiting for the township: per village, with their
    proposals (one query)."""
    section = Section("approvals", _("Waiting for your approval"))
    rows = (
        rounds_visible_to(membership)
        .filter(state=RoundState.SUBMITTED)
        .order_by()
        .values("village_id", "village__name", "village__sort_key")
        .annotate(
            rounds=Count("pk", distinct=True),
            entries=Count("round_entries", filter=Q(round_entries__entry__state=EntryState.PROPOSED)),
        )
        .order_by("village__sort_key", "village_id")
    )
    for row in rows:
        section.lines.append(
            Line(
                key=f"approvals-village-{row['village_id']}",
                label=row["village__name"],
                url=_url("review:approvals", membership, {"village": row["village_id"]}),
                count=row["entries"],
                detail=_("%(n)d rounds or batches") % {"n": row["rounds"]},
                part=True,
            )
        )
    section.lines.insert(
        0,
        Line(
            key="approvals",
            label=_("Entries on rounds and batches whose notice has ended"),
            url=_url("review:approvals", membership),
            count=sum(line.count or 0 for line in section.lines),
        ),
    )
    return section


def _rounds(membership: Membership) -> Section:
    """Entries waiting for a notice batch, notices ending today, open objections, rounds per stage (four queries)."""
    section = Section("rounds", _("Notices and review rounds"))
    villages = villages_visible_to(membership)
    waiting = (
        waiting_for_a_notice(None).filter(scheme__state=SchemeState.ACTIVE, village__in=villages).count()
    )
    section.lines.append(
        Line(
            "batch",
            _("Directly recorded entries waiting for a notice"),
            _url("review:batch-post", membership),
            waiting,
        )
    )
    rounds = rounds_visible_to(membership)
    ending = notices_ending_today(rounds, membership).count()
    section.lines.append(
        Line(
            "notices-ending-today",
            _("Notices ending today"),
            _url("review:round-list", membership, {"ending": "today"}),
            ending,
        )
    )
    objections = Objection.objects.filter(round__in=rounds, state=ObjectionState.OPEN).count()
    section.lines.append(
        Line(
            "open-objections",
            _("Open objections (also from the public page)"),
            _url("review:worklist", membership, anchor="open-objections"),
            objections,
        )
    )
    stages = dict(
        rounds.filter(state__in=OPEN_STAGES).order_by().values_list("state").annotate(n=Count("pk"))
    )
    labels = dict(RoundState.choices)
    if stages:
        section.lines.append(Line("stages", _("Rounds by stage"), _url("review:round-list", membership)))
    for stage in OPEN_STAGES:
        if stages.get(stage):
            section.lines.append(
                Line(
                    f"stage-{stage}",
                    str(labels[stage]),
                    _url("review:round-list", membership, {"state": stage}),
                    stages[stage],
                    part=True,
                )
            )
    return section


def _checks(membership: Membership) -> Section:
    """Claims, villagers' self-declarations and appeals waiting for this member (one query each)."""
    section = Section("checks", _("To check and decide"))
    if membership.role in (Role.GRID_WORKER, Role.VILLAGE_CLERK, Role.TOWNSHIP_ADMIN):
        section.lines.append(
            Line(
                "claims",
                _("Claims to check"),
                _url("review:worklist", membership, anchor="claims-to-check"),
                claims_to_check(membership).count(),
            )
        )
        section.lines.append(
            Line(
                "self-declarations",
                _("Self-declarations to check"),
                _url("review:self-declaration-list", membership),
                pending_self_declarations(membership).count(),
            )
        )
    if can(membership, Action.DECIDE_APPEAL):
        section.lines.append(
            Line(
                "appeals",
                _("Appeals to decide"),
                _url("review:appeal-list", membership),
                pending_appeals(membership).count(),
            )
        )
    return section


def _records(membership: Membership) -> Section:
    """The clerk's day: entries recorded today, households the roster still lacks a head or a phone for, the
    counter (two queries)."""
    section = Section("records", _("Today in my villages"))
    today, _start, _end = _today_bounds(membership)
    recorded = recorded_on_day(entries_visible_to(membership), today).count()
    section.lines.append(
        Line(
            "entries-today",
            _("Entries recorded today"),
            _url("scoring:entry-list", membership, {"recorded_on": today.isoformat()}),
            recorded,
        )
    )
    if membership.township.kind != OrganisationKind.SCHOOL and can(membership, Action.EDIT_ROSTER):
        households = households_visible_to(membership)
        gaps = households.aggregate(
            head=Count("pk", filter=Q(pk__in=lacking(households, "head").values("pk"))),
            phone=Count("pk", filter=Q(pk__in=lacking(households, "phone").values("pk"))),
        )
        section.lines.append(
            Line(
                "missing-head",
                _("Households without a head"),
                _url("households:household-list", membership, {"missing": "head"}),
                gaps["head"],
            )
        )
        section.lines.append(
            Line(
                "missing-phone",
                _("Households without a mobile number"),
                _url("households:household-list", membership, {"missing": "phone"}),
                gaps["phone"],
            )
        )
    if can(membership, Action.RUN_SHOP):
        section.lines.append(
            Line("counter", _("The counter: redeem points"), _url("rewards:shop-list", membership))
        )
    return section


def _inspections(membership: Membership) -> Section:
    """Per assigned area of a collecting round: the households still to inspect (three queries)."""
    section = Section("inspections", _("Households to inspect"))
    for row in _inspections_waiting(membership):
        round_, area = row["round"], row["area"]
        section.lines.append(
            Line(
                f"inspect-{round_.pk}-{area.pk}",
                f"{round_.village.name} {round_.period} · {area.name}",
                _url("review:inspect-list", membership, pk=round_.pk),
                row["total"] - row["inspected"],
                detail=_("%(inspected)d of %(total)d inspected") % row,
            )
        )
    if not section.lines:
        section.lines.append(Line("inspect", _("Households to inspect in the current round"), None, 0))
    return section


def _reports(membership: Membership) -> Section:
    """Supervisors and county viewers read: their reports (no query)."""
    section = Section("reports", _("My reports"))
    section.lines.append(
        Line("dashboard", _("The township's dashboard"), _url("oversight:dashboard", membership))
    )
    section.lines.append(
        Line("dashboard-pdf", _("The township's report (PDF)"), _url("oversight:dashboard-pdf", membership))
    )
    if can(membership, Action.VIEW_HISTORY):
        section.lines.append(Line("history", _("The audit trail"), _url("households:history", membership)))
    if membership.role == Role.COUNTY_VIEWER:
        try:
            county = reverse("oversight:county")
        except NoReverseMatch:
            county = None
        section.lines.append(Line("county", _("Townships compared"), county))
    return section
