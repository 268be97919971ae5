"""奖状: the certificates of a class's published term prizes (class scheme, seed 2, 附说明 4), one A4 landscape
page per student, best tier first; and the talk list as a printed sheet (附说明 5)."""

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.pdf import render_pdf
from core.vocabulary import in_language
from households.models import Resident, Village
from rewards.models import PrizeList

from .month_reports import Month, talk_list


def term_label(prize_list: PrizeList) -> str:
    """The term by its months: 2025年9月—2026年1月学期."""
    scheme = prize_list.scheme
    end = f"{scheme.ends_on:%Y年%-m月}" if scheme.ends_on else ""
    return f"{scheme.starts_on:%Y年%-m月}—{end}学期"


def prize_certificates_pdf(prize_list: PrizeList) -> tuple[bytes, str]:
    if not prize_list.published:
        raise DomainError(
            _("The prize list is not published yet: publish it before printing its certificates."),
            code="not_published",
        )
    head = Resident.objects.filter(household=OuterRef("household_id"), is_head=True).values("name")[:1]
    prizes = (
        prize_list.prizes.select_related("household")
        .annotate(name=Subquery(head))
        .order_by("tier", "rank", "household__number")
    )
    with in_language("zh-hans"):  # handed to Chinese students
        rows = [
            {
                "village": prize_list.village.name,
                "name": prize.name or prize.household.number,
                "tier": prize.get_tier_display(),
                "total": prize.total,
                "reason": prize.reason,
            }
            for prize in prizes
        ]
        content = render_pdf(
            "publicity/prize_certificates.html",
            {
                "rows": rows,
                "term": term_label(prize_list),
                "school": prize_list.township.name,
                "issued_on": timezone.localdate(),
            },
        )
    return content, f"奖状-{prize_list.village.name}-{prize_list.scheme.starts_on:%Y-%m}.pdf"


def talk_list_pdf(village: Village, month: Month) -> tuple[bytes, str]:
    with in_language("zh-hans"):
        content = render_pdf(
            "publicity/talk_list.html",
            {
                "village": village,
                "month": month,
                "rows": talk_list(village, month),
                "school": village.township.name,
            },
        )
    return content, f"约谈名单-{village.name}-{month.key}.pdf"
