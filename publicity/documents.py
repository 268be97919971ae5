"""The printed documents: the notice sheet (A4 portrait or A3 landscape) and the passbook print.

Small documents render straight away; big ones (more than settings.JIFEN_DOCUMENT_INLINE_ROWS rows, or a batch)
run as a job on the "documents" queue, with progress in the browser and the file kept for download.
"""

from django.utils import translation

from households.jobs import runner
from households.models import Area, Household
from review.models import ReviewRound
from scoring.models import Scheme
from scoring.selectors import passbook

from .notice import build_notice
from .pdf import PAGE_SIZES, qr_data_uri, render_pdf


def notice_sheet_pdf(round_: ReviewRound, *, size: str = "a4") -> tuple[bytes, str]:
    with translation.override("zh-hans"):  # the sheet goes on a Chinese village notice board
        notice = build_notice(round_)
        content = render_pdf(
            "publicity/notice_sheet.html",
            {
                "notice": notice,
                "qr": qr_data_uri(notice.url),
                "page_size": PAGE_SIZES.get(size, PAGE_SIZES["a4"]),
            },
        )
    return content, f"notice-{round_.village.name}-{round_.period}-{size}.pdf"


@runner("notice_sheet", queue="documents")
def run_notice_sheet(job, progress) -> tuple[bytes, str]:
    round_ = ReviewRound.objects.get(pk=job.params["round_id"])
    progress(0, 1, "")
    return notice_sheet_pdf(round_, size=job.params.get("size", "a4"))


def passbooks_pdf(households, scheme: Scheme, progress=None) -> bytes:
    """行为银行存折: one section per household (page break between), fitting A4."""
    households = list(households.select_related("village", "area").prefetch_related("members"))
    books = []
    for done, household in enumerate(households):
        if progress and done % 20 == 0:
            progress(done, len(households))
        head = next((m.name for m in household.members.all() if m.is_head), "")
        books.append({"household": household, "head": head, "data": passbook(household, scheme)})
    with translation.override("zh-hans"):
        return render_pdf("publicity/passbook.html", {"books": books, "scheme": scheme})


@runner("area_passbooks", queue="documents")
def run_area_passbooks(job, progress) -> tuple[bytes, str]:
    area = Area.objects.select_related("village").get(pk=job.params["area_id"])
    scheme = Scheme.objects.get(pk=job.params["scheme_id"])
    households = Household.objects.filter(area=area).order_by("number")
    return passbooks_pdf(
        households, scheme, progress
    ), f"passbooks-{area.village.name}-{area.name}-{scheme.year}.pdf"
