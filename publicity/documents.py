"""The printed documents: the notice sheet (A4 portrait or A3 landscape) and the passbook print.

Small documents render straight away; big ones (more than settings.JIFEN_DOCUMENT_INLINE_ROWS rows, or a batch)
run as a job on the "documents" queue, with progress in the browser and the file kept for download.
"""

from itertools import groupby, zip_longest

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.jobs import runner
from core.pdf import PAGE_SIZES, join_pdfs, qr_data_uri, render_pdf
from core.vocabulary import OrganisationKind, in_language
from households.models import Area, Household, Resident, Village
from households.validators import mask_name
from review.models import ReviewRound
from rewards.models import StarResult
from rewards.selectors import card_code, list_stars, published_run
from scoring.models import Account, RankingList, Scheme
from scoring.rankings import ranking_year
from scoring.selectors import passbook

from .notice import build_notice
from .selectors import notice_settings
from .villager import villager_url

# The A3 sheet is read from a step away on the notice board: bigger type, and two columns of households side by side
# on each landscape page (down the left column, then the right). Rows are 8 mm high (the sheet's CSS): 263 mm of
# page under the margins hold the header and 30 rows, or 23 under the first page's title block.
A3_FIRST_PAGE_ROWS = 23
A3_PAGE_ROWS = 30
# More categories than this do not fit twice across: one column of households then, in bigger type still.
A3_MAX_CATEGORIES = 7


def two_column_pages(rows: list, *, first: int, rest: int) -> list[tuple[list, list]]:
    """Rows as pages of (left column, right column): `first` rows a column on the first page, `rest` after it; a
    page that is not full is shared evenly between its two columns."""
    pages: list[tuple[list, list]] = []
    start, per_column = 0, first
    while start < len(rows):
        chunk = rows[start : start + 2 * per_column]
        left = min(per_column, (len(chunk) + 1) // 2)
        pages.append((chunk[:left], chunk[left:]))
        start += len(chunk)
        per_column = rest
    return pages


def notice_parts(rows: list, size: int) -> list[list]:
    """The sheet's rows in parts of at most `size`, cut between areas where a whole area fits (a part starts a page:
    an area then starts on a page of its own); an area of more than `size` rows is cut every `size` rows."""
    parts: list[list] = []
    current: list = []
    for _area, group in groupby(rows, key=lambda row: row.area):
        area_rows = list(group)
        if current and len(current) + len(area_rows) > size:
            parts.append(current)
            current = []
        while len(area_rows) > size:
            parts.append(area_rows[:size])
            area_rows = area_rows[size:]
        current += area_rows
    if current:
        parts.append(current)
    return parts


def notice_sheet_pdf(
    round_: ReviewRound,
    *,
    size: str = "a4",
    archive: bool = False,
    part_rows: int | None = None,
    progress=None,
) -> tuple[bytes, str]:
    """The sheet to post; with `archive`, the sheet of a round whose notice has ended (the year-end archive).

    WeasyPrint's time and memory grow with the length of one document (PITFALLS: 3,000 rows in one go took ~11 s and
    ~500 MB): a sheet of more than `part_rows` rows (settings.JIFEN_NOTICE_PART_ROWS) renders in parts, whole areas
    where they fit, joined into one PDF; its page numbers ("第 x 页 共 y 页") are then rendered alone for all the
    joined pages and drawn over them."""
    part_rows = part_rows or settings.JIFEN_NOTICE_PART_ROWS
    with in_language("zh-hans"):  # the sheet goes on a Chinese village notice board
        notice = build_notice(round_, require_on_notice=not archive)
        context = {
            "notice": notice,
            "qr": qr_data_uri(notice.url),
            "page_size": PAGE_SIZES.get(size, PAGE_SIZES["a4"]),
            "a3": size == "a3",
            "school": round_.township.kind == OrganisationKind.SCHOOL,  # a class's words on its sheet
        }
        if size == "a3" and len(notice.categories) <= A3_MAX_CATEGORIES:
            # A batch's entries come first: its scores then start on a page of their own.
            first = A3_PAGE_ROWS if notice.entries else A3_FIRST_PAGE_ROWS
            columns = [
                list(zip_longest(left, right))
                for left, right in two_column_pages(notice.rows, first=first, rest=A3_PAGE_ROWS)
            ]
            # Each A3 page is a table of its own (its page break is the sheet's): parts of whole pages.
            per_part = max(1, part_rows // (2 * A3_PAGE_ROWS))
            parts = [{"columns": columns[n : n + per_part]} for n in range(0, len(columns), per_part)]
        else:
            parts = [{"rows": rows} for rows in notice_parts(notice.rows, part_rows)]
        if len(parts) <= 1:
            content = render_pdf(
                "publicity/notice_sheet.html",
                {**context, **(parts[0] if parts else {}), "part": "whole", "first": True, "last": True},
            )
        else:
            rendered = []
            for number, part in enumerate(parts):
                if progress:
                    progress(number, len(parts))
                rendered.append(
                    render_pdf(
                        "publicity/notice_sheet.html",
                        {
                            **context,
                            **part,
                            "part": "body",
                            "first": number == 0,
                            "last": number == len(parts) - 1,
                        },
                    )
                )
            content = join_pdfs(
                rendered,
                overlay=lambda pages: render_pdf(
                    "publicity/notice_sheet.html", {**context, "part": "numbers", "pages": range(pages)}
                ),
            )
    return content, f"notice-{round_.village.name}-{round_.period}-{size}.pdf"


def _round_source(job) -> tuple[str, str]:
    round_ = ReviewRound.objects.select_related("village").get(pk=job.params["round_id"])
    url = reverse("review:round-detail", kwargs={"township_slug": job.township.slug, "pk": round_.pk})
    return str(round_), url


def _village_source(job) -> tuple[str, str]:
    area_id = job.params.get("area_id")
    if area_id:
        area = Area.objects.select_related("village").get(pk=area_id)
        village, label = area.village, f"{area.village.name} · {area.name}"
    else:
        village = Village.objects.get(pk=job.params["village_id"])
        label = village.name
    url = reverse("households:village-detail", kwargs={"township_slug": job.township.slug, "pk": village.pk})
    return label, url


@runner("notice_sheet", queue="documents", title=gettext_lazy("Notice sheet (PDF)"), source=_round_source)
def run_notice_sheet(job, progress) -> tuple[bytes, str]:
    round_ = ReviewRound.objects.get(pk=job.params["round_id"])
    progress(0, 1, "")
    return notice_sheet_pdf(
        round_, size=job.params.get("size", "a4"), archive=job.params.get("archive", False), progress=progress
    )


def passbooks_pdf(
    households, scheme: Scheme, progress=None, villager_codes: dict[int, str] | None = None
) -> bytes:
    """行为银行存折: one section per household (page break between), fitting A4.

    `villager_codes` (household id → a code just issued) adds the QR of the villagers' own page: the code is only
    known when it is issued (only its hash is stored), so it is printed then (publicity.views.passbook_code_issue).
    """
    villager_codes = villager_codes or {}
    households = list(households.select_related("village", "area", "township").prefetch_related("members"))
    books = []
    for done, household in enumerate(households):
        if progress and done % 20 == 0:
            progress(done, len(households))
        head = next((m.name for m in household.members.all() if m.is_head), "")
        code = card_code(household)  # the counter of the points supermarket finds the household by it
        books.append(
            {
                "household": household,
                "village": household.village.name,
                "who": f"户号 {household.number} · 户主 {head or '—'} · {household.area.name}",
                "data": passbook(household, scheme),
                "card_code": code,
                "card_qr": qr_data_uri(code),
                "villager_qr": qr_data_uri(villager_url(villager_codes[household.pk]))
                if household.pk in villager_codes
                else None,
                "villager_url": villager_url(villager_codes[household.pk])
                if household.pk in villager_codes
                else "",
            }
        )
    with in_language("zh-hans"):
        return render_pdf("publicity/passbook.html", {"books": books, "scheme": scheme})


def account_passbook_pdf(account: Account, scheme: Scheme, villager_code: str | None = None) -> bytes:
    """The passbook of a villager's or a unit's account (a family's is its household's, above); with the QR of
    the account's own page when its code was just issued (`villager_code`)."""
    if account.resident_id is not None:
        resident = account.resident
        party = "（党员）" if resident.is_party_member else ""
        who = f"村民 {resident.name}{party} · 户号 {resident.household.number} · {account.area.name}"
    else:
        who = f"单位 {account.unit.name} · 联系人 {account.unit.contact_name}"
    book = {
        "village": account.village.name,
        "who": who,
        "data": passbook(account, scheme),
        "villager_qr": qr_data_uri(villager_url(villager_code)) if villager_code else None,
        "villager_url": villager_url(villager_code) if villager_code else "",
    }
    with in_language("zh-hans"):
        return render_pdf("publicity/passbook.html", {"books": [book], "scheme": scheme})


@runner(
    "area_passbooks",
    queue="documents",
    title=gettext_lazy("Passbooks of an area (PDF)"),
    source=_village_source,
)
def run_area_passbooks(job, progress) -> tuple[bytes, str]:
    area = Area.objects.select_related("village").get(pk=job.params["area_id"])
    scheme = Scheme.objects.get(pk=job.params["scheme_id"])
    households = Household.objects.filter(area=area).order_by("number")
    return passbooks_pdf(
        households, scheme, progress
    ), f"passbooks-{area.village.name}-{area.name}-{scheme.year}.pdf"


def star_rows(village: Village, scheme: Scheme, *, full_names: bool) -> list[dict]:
    """The published star households of a village, best first (one query)."""
    run = published_run(scheme)
    if run is None:
        raise DomainError(
            _("The star rating of %(year)d is not published yet: run and publish it first.")
            % {"year": scheme.year},
            code="not_published",
        )
    head = Resident.objects.filter(household=OuterRef("household_id"), is_head=True).values("name")[:1]
    results = (
        StarResult.objects.filter(run=run, village=village, stars__gt=0)
        .select_related("household")
        .annotate(head=Subquery(head))
        .order_by("-stars", "rank", "household__number")
    )
    rows = [
        {
            "number": r.household.number,
            "head": (r.head or "") if full_names else mask_name(r.head or ""),
            "stars": r.stars,
            "star_range": range(r.stars),
            "total": r.total,
            "village": village.name,
        }
        for r in results
    ]
    if not rows:
        raise DomainError(
            _("No household of %(village)s earned a star in %(year)d.")
            % {"village": village.name, "year": scheme.year}
        )
    return rows


HONOURED = {
    RankingList.RESIDENT: "积分先进村民",
    RankingList.PARTY_MEMBER: "积分先进党员",
    RankingList.UNIT: "积分先进单位",
}


def honour_roll_pdf(village: Village, scheme: Scheme, ranking: str = RankingList.HOUSEHOLD) -> bytes:
    """光荣榜: the village's five-, four- and three-star households of the year (names as the township's notices);
    for villagers, party members or units, the stars of their list (rewards.selectors.list_stars)."""
    full_names = notice_settings(village.township_id).full_names
    if ranking == RankingList.HOUSEHOLD:
        rows = star_rows(village, scheme, full_names=full_names)
        levels = [(level, [r for r in rows if r["stars"] == level]) for level in (5, 4, 3)]
        sections = [(f"{level}星级文明户（{len(rs)}户）", rs) for level, rs in levels if rs]
        subtitle = f"{scheme.year}年度星级文明户"
    else:
        honoured = HONOURED[RankingList(ranking)]
        rows = _starred_accounts(village, scheme, ranking, full_names)
        levels = [(level, [r for r in rows if r["stars"] == level]) for level in (5, 4, 3)]
        sections = [(f"{level}星{honoured}（{len(rs)}）", rs) for level, rs in levels if rs]
        year = ranking_year(scheme)
        subtitle = f"{year}年度{honoured}" if year else f"{honoured}（累计积分）"
    with in_language("zh-hans"):
        return render_pdf(
            "publicity/honour_roll.html",
            {
                "village": village,
                "subtitle": subtitle,
                "sections": sections,
                "issued_on": timezone.localdate(),
            },
        )


def _starred_accounts(village: Village, scheme: Scheme, ranking: str, full_names: bool) -> list[dict]:
    """The village's villagers, party members or units with stars, names as on notices (a unit's in full)."""
    person = ranking != RankingList.UNIT
    rows = [
        {
            "number": r.number if person else "",
            "head": mask_name(r.name) if person and not full_names else r.name,
            "stars": stars,
        }
        for r, stars in list_stars(scheme, ranking, village)
        if stars
    ]
    if not rows:
        raise DomainError(
            _("Nobody of this list in %(village)s has earned a star yet: there is no one to honour.")
            % {"village": village.name}
        )
    return rows


def certificates_pdf(village: Village, scheme: Scheme, progress=None) -> bytes:
    """One certificate page per star household (given to the household itself: its head's full name)."""
    rows = star_rows(village, scheme, full_names=True)
    if progress:
        progress(0, len(rows))
    with in_language("zh-hans"):
        return render_pdf(
            "publicity/certificates.html",
            {
                "rows": rows,
                "year": scheme.year,
                "township": village.township.name,
                "issued_on": timezone.localdate(),
            },
        )


@runner(
    "certificates", queue="documents", title=gettext_lazy("Star certificates (PDF)"), source=_village_source
)
def run_certificates(job, progress) -> tuple[bytes, str]:
    village = Village.objects.get(pk=job.params["village_id"])
    scheme = Scheme.objects.get(pk=job.params["scheme_id"])
    return certificates_pdf(village, scheme, progress), f"certificates-{village.name}-{scheme.year}.pdf"
