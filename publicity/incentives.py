"""Lists that leave the township: who qualifies for an incentive policy in a year (.xlsx and PDF; the rows come
from publicity.policies), and a budget's reward list with a column to sign."""

import io

import openpyxl
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.pdf import render_pdf
from core.vocabulary import in_language
from rewards.models import Budget, RewardAllocation

from .models import IncentivePolicy
from .policies import head_columns

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
# A list of villagers, party members or units: their own name, no stars, the township's rank.
ACCOUNT_COLUMNS = [
    *COLUMNS[:2],
    gettext_lazy("Holder"),
    *COLUMNS[3:6],
    gettext_lazy("Total"),
    gettext_lazy("Rank in the township"),
]


def _columns(policy: IncentivePolicy) -> list[str]:
    return [str(c) for c in (COLUMNS if policy.account_list == "household" else ACCOUNT_COLUMNS)]


def _title(policy: IncentivePolicy, year: int) -> str:
    partner = f"（{policy.partner}）" if policy.partner else ""
    return f"{year}年度 {policy.name}{partner}"


def incentive_xlsx(township, year: int, policy: IncentivePolicy, rows: list[dict]) -> bytes:
    with in_language("zh-hans"):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = str(year)
        sheet.append([f"{township.name} {_title(policy, year)}"])
        sheet.append(_columns(policy))
        for row in rows:
            sheet.append([row[k] for k in KEYS])
        for letter, width in zip("ABCDEFGH", (14, 14, 12, 22, 14, 8, 12, 12), strict=True):
            sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def incentive_pdf(township, year: int, policy: IncentivePolicy, rows: list[dict]) -> bytes:
    with in_language("zh-hans"):
        return render_pdf(
            "publicity/incentive_list.html",
            {
                "title": f"{township.name}{_title(policy, year)}",
                "policy": policy,
                "columns": _columns(policy),
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
        .annotate(**head_columns())
        .order_by("-stars", "household__number")
    )
    rows = list(allocations)
    if not rows:
        raise DomainError(_("No rewards are allocated from this budget yet."))
    with in_language("zh-hans"):
        return render_pdf(
            "publicity/reward_list.html",
            {
                "budget": budget,
                "rows": rows,
                "total": sum(a.value for a in rows),
                "issued_on": timezone.localdate(),
            },
        )
