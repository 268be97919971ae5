"""Lists that leave the township: a year's star households for the bank (credit lines, 积分贷), for party
recommendations and for commendations (.xlsx and PDF), and a budget's reward list with a column to sign."""

import io

import openpyxl
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.pdf import render_pdf
from households.models import Resident
from households.validators import mask_id_number, mask_mobile
from rewards.models import Budget, RewardAllocation
from rewards.selectors import star_households

PURPOSES = {
    "bank": gettext_lazy("Star households for the bank (credit lines, 积分贷)"),
    "party": gettext_lazy("Star households recommended to the party organisation"),
    "commendation": gettext_lazy("Star households proposed for commendation"),
}


def _heads():
    heads = Resident.objects.filter(household=OuterRef("household_id"), is_head=True)
    return {
        "head": Subquery(heads.values("name")[:1]),
        "head_id_number": Subquery(heads.values("id_number")[:1]),
        "head_mobile": Subquery(heads.values("mobile")[:1]),
    }


def incentive_rows(year: int, village_ids=None) -> list[dict]:
    """The published star households of the year (one query). ID and mobile numbers are masked: the bank or
    the party branch asks the household itself for the full numbers."""
    results = star_households(year).annotate(**_heads())
    if village_ids is not None:
        results = results.filter(village_id__in=village_ids)
    rows = [
        {
            "village": r.village.name,
            "number": r.household.number,
            "head": r.head or "",
            "id_number": mask_id_number(r.head_id_number or ""),
            "mobile": mask_mobile(r.head_mobile or ""),
            "stars": r.stars,
            "total": r.total,
            "rank": f"{r.rank}/{r.n}",
        }
        for r in results
    ]
    if not rows:
        raise DomainError(
            _("No published star rating of %(year)d has star households: run and publish the rating first.")
            % {"year": year},
            code="not_published",
        )
    return rows


COLUMNS = [
    gettext_lazy("Village"),
    gettext_lazy("Household number"),
    gettext_lazy("Head of household"),
    gettext_lazy("ID number"),
    gettext_lazy("Mobile number"),
    gettext_lazy("Stars"),
    gettext_lazy("Annual total"),
    gettext_lazy("Rank in the village"),
]
KEYS = ["village", "number", "head", "id_number", "mobile", "stars", "total", "rank"]


def incentive_xlsx(township, year: int, purpose: str, rows: list[dict]) -> bytes:
    with translation.override("zh-hans"):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = str(year)
        sheet.append([f"{township.name} {year} {PURPOSES[purpose]}"])
        sheet.append([str(c) for c in COLUMNS])
        for row in rows:
            sheet.append([row[k] for k in KEYS])
        for letter, width in zip("ABCDEFGH", (14, 14, 12, 22, 14, 8, 12, 12), strict=True):
            sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def incentive_pdf(township, year: int, purpose: str, rows: list[dict]) -> bytes:
    with translation.override("zh-hans"):
        return render_pdf(
            "publicity/incentive_list.html",
            {
                "title": f"{township.name}{year}年度{PURPOSES[purpose]}",
                "columns": [str(c) for c in COLUMNS],
                "rows": [[row[k] for k in KEYS] for row in rows],
                "township": township,
                "issued_on": timezone.localdate(),
            },
        )


def reward_list_pdf(budget: Budget) -> bytes:
    """The village's standing rewards of the year, with a column for the household to sign on receipt."""
    allocations = (
        RewardAllocation.objects.filter(budget=budget, reverses__isnull=True, reversed_by__isnull=True)
        .select_related("household")
        .annotate(**_heads())
        .order_by("-stars", "household__number")
    )
    rows = list(allocations)
    if not rows:
        raise DomainError(_("No rewards are allocated from this budget yet."))
    with translation.override("zh-hans"):
        return render_pdf(
            "publicity/reward_list.html",
            {
                "budget": budget,
                "rows": rows,
                "total": sum(a.value for a in rows),
                "issued_on": timezone.localdate(),
            },
        )
