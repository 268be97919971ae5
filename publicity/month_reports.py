"""The monthly report to parents (class scheme, seed 2, 附说明 5): "每个月把积分情况及时通报给家长,并由家长写出评语,
积分后三名且月扣分高于10分的同学在返校时将家长叫来与班主任交流情况。"

A student's report of a month: the month's entries (date, item, points, state), the balance at the month's end
(the term's score so far: the one score rule, `scoring.selectors.household_scores` counting entries up to the
month's last day), the student's band in the class (前/中/后 1/3: never the places of others) and the parent's
comment. The class's reports print as one PDF (a student a page) through a job; the talk list names the bottom
three of the class by that balance (students tied at the third place included) whose month's deductions exceed
10 points.

Deductions of a month: the points of the student's standing penalties that happened in the month (approved, not
reversed by a correction: `rewards.selectors.standing_entries`, the star rating's own reading), as a positive
number — an officer's doubled penalty counts doubled, as the ledger holds it.
"""

import calendar
import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Abs
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.jobs import runner
from core.pdf import render_pdf
from core.permissions import Role
from core.views import get_visible
from core.vocabulary import in_language
from households.models import Household, Membership, Resident, Village
from households.selectors import villages_visible_to
from review.selectors.rhythm import class_students
from rewards.selectors import standing_entries
from scoring.models import Entry, ItemKind, Scheme, SchemeState, schemes_covering
from scoring.selectors import household_scores

from .models import ParentComment

TALK_DEDUCTIONS = Decimal("10")  # "月扣分高于10分": more than 10, not 10 itself
TALK_PLACES = 3  # "积分后三名"
MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
BANDS = ("top", "middle", "bottom")


@dataclass(frozen=True)
class Month:
    key: str  # "2025-11"
    first: datetime.date
    last: datetime.date

    @property
    def started(self) -> bool:
        return self.first <= timezone.localdate()

    def previous(self) -> "Month":
        return month_of(self.first - datetime.timedelta(days=1))

    def next(self) -> "Month":
        return month_of(self.last + datetime.timedelta(days=1))


def month_of(day: datetime.date) -> Month:
    last = calendar.monthrange(day.year, day.month)[1]
    return Month(f"{day.year}-{day.month:02d}", day.replace(day=1), day.replace(day=last))


def latest_month() -> Month:
    """The month a report opens on: this month (in the school's time zone) when a term covers it, else the last
    month of the latest term (between terms, the report of the term's last month is the latest)."""
    today = timezone.localdate()
    this = month_of(today)
    if scheme_of_month(this) is not None:
        return this
    latest = (
        Scheme.objects.exclude(state=SchemeState.DRAFT)
        .filter(starts_on__lte=today)
        .order_by("-starts_on")
        .first()
    )
    if latest is None or latest.ends_on is None:
        return this
    return month_of(min(latest.ends_on, today))


def parse_month(value: object) -> Month:
    """A month "YYYY-MM" (`latest_month` when empty); DomainError otherwise."""
    if value in (None, ""):
        return latest_month()
    match = MONTH.match(str(value))
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        raise DomainError(_("Give the month as YYYY-MM, e.g. 2025-11."), field="month", code="bad_month")
    return month_of(datetime.date(int(match.group(1)), int(match.group(2)), 1))


def scheme_of_month(month: Month) -> Scheme | None:
    """The term (a scheme in force, not a draft) that covers the month, the latest starting one first."""
    return schemes_covering(month.first, month.last).first()


def rank_band(rank: int, n: int) -> str:
    """The third of the class a place falls in ("top", "middle", "bottom"): places 1–15 of 45 are the top."""
    return BANDS[min(2, 3 * (rank - 1) // n)] if n else BANDS[0]


def band_label(band: str) -> str:
    return {"top": _("Top third"), "middle": _("Middle third"), "bottom": _("Bottom third")}[band]


@dataclass
class Report:
    household: Household
    name: str
    village: Village
    month: Month
    scheme: Scheme | None
    entries: list[Entry] = field(default_factory=list)
    balance: Decimal | None = None
    rank: int | None = None
    n: int = 0
    deductions: Decimal = Decimal("0")
    comment: ParentComment | None = None

    @property
    def band(self) -> str | None:
        return rank_band(self.rank, self.n) if self.rank is not None else None

    @property
    def band_label(self) -> str:
        return band_label(self.band) if self.band else "—"


def class_reports(village: Village, month: Month, only: Household | None = None) -> list[Report]:
    """The reports of the class's students taking part (or of `only`), in 学号 order, in a fixed number of
    queries: the class's balances in one statement, the month's entries, deductions and comments in one each."""
    students = list(class_students(village).select_related("village", "township"))
    scheme = scheme_of_month(month)
    reports = {s.pk: Report(s, s.head or "", village, month, scheme) for s in students}
    comments = ParentComment.objects.filter(household__in=[s.pk for s in students], month=month.key)
    for comment in comments.select_related("written_by", "read_by"):
        reports[comment.household_id].comment = comment
    if scheme is not None and students:
        ids = [s.pk for s in students]
        scores = household_scores(scheme, Household.objects.filter(pk__in=ids), until=month.last)
        totals = {pk: score.total for pk, score in scores.items()}
        for pk, report in reports.items():
            report.balance = totals.get(pk)
            report.n = len(totals)
            report.rank = 1 + sum(1 for t in totals.values() if t > totals[pk]) if pk in totals else None
        month_entries = Entry.objects.filter(
            scheme=scheme, household__in=ids, occurred_on__range=(month.first, month.last)
        )
        if only is not None:
            month_entries = month_entries.filter(household=only)
        for entry in month_entries.order_by("occurred_on", "pk"):
            reports[entry.household_id].entries.append(entry)
        deducted = (
            standing_entries(scheme)
            .filter(
                household__in=ids, item_kind=ItemKind.PENALTY, occurred_on__range=(month.first, month.last)
            )
            .order_by()
            .values("household_id")
            .annotate(points=Sum(Abs("points")))
        )
        for row in deducted:
            reports[row["household_id"]].deductions = row["points"]
    if only is not None:
        return [reports[only.pk]] if only.pk in reports else []
    return list(reports.values())


def student_report(household: Household, month: Month) -> Report:
    """One student's report (their band needs the class's balances: one statement for the class)."""
    reports = class_reports(household.village, month, only=household)
    if not reports:  # not taking part: no rank, entries still shown
        head = Resident.objects.filter(household=household, is_head=True).first()
        report = Report(
            household, head.name if head else "", household.village, month, scheme_of_month(month)
        )
        if report.scheme is not None:
            report.entries = list(
                Entry.objects.filter(
                    scheme=report.scheme, household=household, occurred_on__range=(month.first, month.last)
                ).order_by("occurred_on", "pk")
            )
        return report
    return reports[0]


def talk_list(village: Village, month: Month) -> list[Report]:
    """积分后三名且月扣分高于10分: the class's bottom three by balance at the month's end (all students tied at the
    third place from the bottom included), those of them whose month's deductions exceed 10, lowest first."""
    reports = [r for r in class_reports(village, month) if r.balance is not None]
    if not reports:
        return []
    balances = sorted(r.balance for r in reports if r.balance is not None)
    third_lowest = balances[min(TALK_PLACES, len(balances)) - 1]
    bottom = [r for r in reports if r.balance is not None and r.balance <= third_lowest]
    chosen = [r for r in bottom if r.deductions > TALK_DEDUCTIONS]
    return sorted(chosen, key=lambda r: (r.balance, r.household.number))


def class_for_reports(membership: Membership, pk: object) -> Village:
    """A class the member sees (its head teacher's, or the school office's), else 404. A parent reads their own
    student's report only, never the class's list."""
    if membership.role == Role.PARENT:
        raise Http404
    return get_visible(villages_visible_to(membership), pk)


# The PDF ---------------------------------------------------------------------------------------------------------


def reports_pdf(reports: list[Report], progress=None) -> bytes:
    """One A4 page per student: the month's entries, the balance, the band, and room for the parent's comment and
    signature."""
    if progress:
        progress(0, len(reports))
    with in_language("zh-hans"):  # handed to Chinese parents
        pages = [
            {"report": r, "band": band_label(r.band) if r.band else "—", "school": r.household.township.name}
            for r in reports
        ]
        return render_pdf("publicity/month_report.html", {"pages": pages, "printed_on": timezone.localdate()})


def student_report_pdf(household: Household, month: Month, *, with_comment: bool = True) -> tuple[bytes, str]:
    """`with_comment` False: the parent's comment left out (for readers other than the parent and the teacher)."""
    report = student_report(household, month)
    if not with_comment:
        report.comment = None
    return reports_pdf([report]), f"月报-{household.number}-{month.key}.pdf"


def class_reports_pdf(village: Village, month: Month, progress=None) -> tuple[bytes, str]:
    reports = class_reports(village, month)
    if not reports:
        raise DomainError(_("The class has no student taking part: there is no report to print."))
    return reports_pdf(reports, progress), f"月报-{village.name}-{month.key}.pdf"


def _class_source(job) -> tuple[str, str]:
    village = Village.objects.get(pk=job.params["village_id"])
    url = reverse(
        "publicity:class-reports", kwargs={"township_slug": job.township.slug, "village_pk": village.pk}
    )
    return f"{village.name} · {job.params['month']}", url


@runner("month_reports", queue="documents", title=gettext_lazy("Monthly reports (PDF)"), source=_class_source)
def run_month_reports(job, progress) -> tuple[bytes, str]:
    # The starter's membership now: the job prints only a class they still see.
    membership = Membership.objects.filter(user=job.created_by, township_id=job.township_id).first()
    if membership is None:
        raise Http404
    village = class_for_reports(membership, job.params["village_id"])
    return class_reports_pdf(village, parse_month(job.params["month"]), progress)
