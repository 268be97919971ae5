"""The printed notice sheet (staff) and the public notice page with its objection form (no login)."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core import jobs
from core.errors import DomainError
from core.permissions import Action, sees_household_records
from core.security import over_objection_limit
from core.tenancy import dangerously_all_townships, township_scope
from core.views import township_view
from households.models import Household
from households.selectors import areas_visible_to, households_visible_to, villages_visible_to
from households.validators import mask_name
from review.models import ReviewRound, RoundKind, RoundState
from review.selectors import notice_is_running
from review.services import file_public_objection
from rewards.forms import IncentiveListForm
from rewards.selectors import budgets_visible_to
from scoring import services as scoring_services
from scoring.models import RankingList, Scheme, SchemeState
from scoring.rankings import lists_of

from . import account_views, villager
from .documents import honour_roll_pdf, notice_sheet_pdf, passbooks_pdf, star_rows
from .forms import ObjectionForm
from .incentives import incentive_pdf, incentive_xlsx, reward_list_pdf
from .models import IncentivePolicy
from .notice import NoticeRow, build_notice
from .policies import qualifying_households


@township_view(Action.VIEW)
def notice_sheet(request, township, membership, pk):
    round_ = get_object_or_404(ReviewRound.objects.filter(village__in=villages_visible_to(membership)), pk=pk)
    size = request.GET.get("size", "a4") if request.GET.get("size") in ("a4", "a3") else "a4"
    try:
        rows = Household.objects.taking_part().filter(village=round_.village).count()
        if rows > settings.JIFEN_DOCUMENT_INLINE_ROWS:
            if round_.state != RoundState.ON_NOTICE:
                build_notice(round_)  # says what is wrong before anything is queued
            job = jobs.start_job(
                membership=membership,
                kind="notice_sheet",
                params={"round_id": round_.pk, "size": size},
            )
            return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)
        content, filename = notice_sheet_pdf(round_, size=size)
    except DomainError as exc:
        return render(
            request, "publicity/document_error.html", {"message": exc.message, "round": round_}, status=400
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    return response


def _scheme_for(request):
    """The scheme asked for (?scheme=), else the active scheme of the latest year."""
    schemes = Scheme.objects.order_by("-year", "-id")
    scheme_id = request.GET.get("scheme", "")
    if scheme_id.isdigit() and len(scheme_id) < 12:
        return get_object_or_404(schemes, pk=int(scheme_id))
    scheme = schemes.filter(state=SchemeState.ACTIVE).first() or schemes.first()
    if scheme is None:
        raise Http404
    return scheme


@township_view(Action.VIEW)
def passbook_print(request, township, membership, pk):
    household = get_object_or_404(households_visible_to(membership), pk=pk)
    scheme = _scheme_for(request)
    try:
        content = passbooks_pdf(Household.objects.filter(pk=household.pk), scheme)
    except DomainError as exc:
        return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"passbook-{household.number}-{scheme.year}.pdf"
    )
    return response


@township_view(Action.VIEW)
@require_POST
def passbook_code_issue(request, township, membership, pk):
    """Issue (or reprint: revoke the old one and issue a new one) the code of the household's passbook, and print
    the passbook with its QR now: only the code's hash is kept, so this is the one time it can be printed."""
    household = get_object_or_404(households_visible_to(membership), pk=pk)
    scheme = _scheme_for(request)
    try:
        with transaction.atomic():  # no PDF (a missing font), no new code: the old passbook keeps working
            _row, code = scoring_services.issue_code(membership=membership, household=household)
            content = passbooks_pdf(
                Household.objects.filter(pk=household.pk), scheme, villager_codes={household.pk: code}
            )
    except DomainError as exc:
        return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)
    response = _pdf(content, f"passbook-{household.number}-{scheme.year}.pdf")
    response["Cache-Control"] = "no-store, private"  # it carries a live code
    return response


@township_view(Action.VIEW)
@require_POST
def passbook_code_revoke(request, township, membership, pk):
    household = get_object_or_404(households_visible_to(membership), pk=pk)
    try:
        scoring_services.revoke_code(membership=membership, household=household)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The passbook code of household %(number)s was revoked: its QR no longer opens the page.")
            % {"number": household.number},
        )
    return redirect("scoring:passbook", township_slug=township.slug, household_pk=household.pk)


@township_view(Action.VIEW)
def area_passbooks(request, township, membership, pk):
    """A whole area's passbooks: always a job (a batch), with progress and the file kept."""
    area = get_object_or_404(areas_visible_to(membership), pk=pk)
    scheme = _scheme_for(request)
    job = jobs.start_job(
        membership=membership,
        kind="area_passbooks",
        params={"area_id": area.pk, "scheme_id": scheme.pk},
    )
    return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=False, filename=filename)
    return response


@township_view(Action.VIEW)
def honour_roll(request, township, membership, pk):
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    scheme = _scheme_for(request)
    ranking = request.GET.get("list", RankingList.HOUSEHOLD)  # villagers', party members', units' honours too
    if ranking not in RankingList.values or (
        ranking != RankingList.HOUSEHOLD and ranking not in lists_of(scheme)
    ):
        raise Http404
    try:
        return _pdf(
            honour_roll_pdf(village, scheme, ranking),
            f"honour-roll-{village.name}-{scheme.year}-{ranking}.pdf",
        )
    except DomainError as exc:
        return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)


@township_view(Action.VIEW)
def certificates(request, township, membership, pk):
    """Certificates of a village's star households: a batch, so a job with progress and a kept file."""
    village = get_object_or_404(villages_visible_to(membership), pk=pk)
    scheme = _scheme_for(request)
    try:
        star_rows(village, scheme, full_names=True)  # says what is wrong before anything is queued
    except DomainError as exc:
        return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)
    job = jobs.start_job(
        membership=membership,
        kind="certificates",
        params={"village_id": village.pk, "scheme_id": scheme.pk},
    )
    return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)


@never_cache
def public_notice(request, token: str):
    # The token is the only key to the round: the one cross-township lookup a public page makes.
    with dangerously_all_townships():
        round_ = ReviewRound.objects.select_related("township", "village").filter(notice_token=token).first()
    if round_ is None or round_.notice_opened_at is None:
        raise Http404
    with township_scope(round_.township):
        return _public_notice(request, round_)


SEARCH_MAX_LENGTH = 40


def _matches(row: NoticeRow, query: str) -> bool:
    """Does the row match what was typed: its household number, area or name as the notice shows it? A full name
    typed is masked the same way first (张三明 finds 张*明), so a search never tells more than the page shows."""
    shown = f"{row.area} {row.number} {row.head}".casefold()
    return query.casefold() in shown or mask_name(query) == row.head


def _household_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _public_notice(request, round_):
    notice = build_notice(round_, require_on_notice=False)
    running = notice_is_running(round_)
    on_notice: dict[int, NoticeRow] = {}  # the households an objection may concern: those on the notice
    for row in notice.rows:
        if row.household_id is not None:
            on_notice.setdefault(row.household_id, row)
    form = ObjectionForm(
        request.POST or None,
        households=[(pk, f"{row.number} {row.head}") for pk, row in on_notice.items()],
    )
    # The household the objection is about: picked on its row (?household=), kept in the form when it is sent.
    chosen = on_notice.get(
        _household_id(
            request.POST.get("household") if request.method == "POST" else request.GET.get("household")
        )
    )
    status = 200
    if request.method == "POST":
        if not running:
            messages.error(request, _("The notice has ended: objections are no longer accepted."))
            status = 400
        elif over_objection_limit(request):
            messages.error(
                request,
                _(
                    "Too many objections from this connection; please try again in an hour or go to the village office."
                ),
            )
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            if data["website"]:  # honeypot filled: a bot. Answer as if accepted, keep nothing.
                messages.success(request, _("Your objection has been received. The panel will look into it."))
                return redirect(request.path)
            try:
                file_public_objection(
                    round=round_,
                    household=Household.objects.get(pk=int(data["household"])),
                    objector_name=data["objector_name"],
                    objector_phone=data["objector_phone"],
                    reason=data["reason"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 400
            else:
                messages.success(request, _("Your objection has been received. The panel will look into it."))
                return redirect(request.path)
        else:
            status = 400
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    names = [category.name for category in notice.categories]
    rows = [
        (
            row,
            list(zip(names, row.scores, strict=True)),
        )  # each score with its category's name: its label on a phone
        for row in notice.rows
        if not query or _matches(row, query)
    ]
    context = {
        "notice": notice,
        "running": running,
        "form": form,
        "chosen": chosen,
        "query": query,
        "rows": rows,
        "annual": round_.kind == RoundKind.ANNUAL,
    }
    return render(request, "publicity/public_notice.html", context, status=status)


# Incentive lists and the reward list (township office) -------------------------------------------------------


@township_view(Action.MANAGE_REWARDS)
def incentive_lists(request, township, membership):
    """Pick a year and a purpose; download the star households as .xlsx or PDF."""
    form = IncentiveListForm(request.GET or None, initial={"year": timezone.localdate().year - 1})
    error = None
    if form.is_bound and form.is_valid():
        year, purpose = form.cleaned_data["year"], form.cleaned_data["purpose"]
        village_ids = list(villages_visible_to(membership).values_list("pk", flat=True))
        try:
            # The three purposes are the township's seeded policies (publicity 0003): one rule for all lists.
            policy = get_object_or_404(IncentivePolicy.objects.filter(township=township), key=purpose)
            rows = qualifying_households(policy, year, village_ids)
            name = f"star-households-{purpose}-{year}"
            if request.GET.get("format") == "pdf":
                return _pdf(incentive_pdf(township, year, policy, rows), f"{name}.pdf")
            response = HttpResponse(incentive_xlsx(township, year, policy, rows), content_type=XLSX)
            response["Content-Disposition"] = content_disposition_header(
                as_attachment=True, filename=f"{name}.xlsx"
            )
            return response
        except DomainError as exc:
            error = exc.message
    return render(request, "publicity/incentive_lists.html", {"form": form, "error": error})


@township_view(Action.VIEW)
def reward_list(request, township, membership, pk):
    budget = get_object_or_404(budgets_visible_to(membership).select_related("village"), pk=pk)
    if not sees_household_records(membership):  # the list names each rewarded household and its head
        raise Http404
    try:
        return _pdf(reward_list_pdf(budget), f"rewards-{budget.village.name}-{budget.year}.pdf")
    except DomainError as exc:
        return render(request, "publicity/document_error.html", {"message": exc.message}, status=400)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

urlpatterns = [
    path("notice/<str:token>/", public_notice, name="public-notice"),
    path("t/<slug:township_slug>/publicity/incentive-lists/", incentive_lists, name="incentive-lists"),
    path("t/<slug:township_slug>/publicity/budgets/<int:pk>/rewards.pdf", reward_list, name="reward-list"),
    path("t/<slug:township_slug>/publicity/rounds/<int:pk>/notice.pdf", notice_sheet, name="notice-sheet"),
    path(
        "t/<slug:township_slug>/publicity/households/<int:pk>/passbook.pdf",
        passbook_print,
        name="passbook-print",
    ),
    path(
        "t/<slug:township_slug>/publicity/households/<int:pk>/passbook-code/",
        passbook_code_issue,
        name="passbook-code-issue",
    ),
    path(
        "t/<slug:township_slug>/publicity/households/<int:pk>/passbook-code/revoke/",
        passbook_code_revoke,
        name="passbook-code-revoke",
    ),
    *account_views.urlpatterns,
    *villager.urlpatterns,
    path("t/<slug:township_slug>/publicity/areas/<int:pk>/passbooks/", area_passbooks, name="area-passbooks"),
    path(
        "t/<slug:township_slug>/publicity/villages/<int:pk>/honour-roll.pdf", honour_roll, name="honour-roll"
    ),
    path(
        "t/<slug:township_slug>/publicity/villages/<int:pk>/certificates/", certificates, name="certificates"
    ),
]
