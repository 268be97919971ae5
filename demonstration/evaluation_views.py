"""Pages of the villages' evaluation (issue 20, item 4).

Township pages under /t/<township_slug>/demonstration/evaluation/: each village's survey results and its four "全"
figures, the paper survey to print, and the clerk's form for a paper answer. The public page /v/<code>/survey/ is
the household's own: reached from its passbook page once the second factor was answered there (the same signed
cookie, `scoring.passbook_access`), one answer per household and year (`demonstration.services.survey`).
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.cache import never_cache

from core.errors import DomainError
from core.pdf import render_pdf
from core.permissions import Action, can
from core.tenancy import township_scope
from core.views import parse_id, township_view
from households.forms import add_domain_error
from households.models import TAKING_PART_STATUSES
from households.selectors import households_visible_to, villages_visible_to
from scoring.passbook_access import find_code, page_is_open

from . import selectors, services
from .forms import SurveyForm
from .models import SurveyAnswer
from .moves import VILLAGE_RIGHT
from .survey import DIMENSION_LABELS, QUESTIONS, SCALE_LABELS, Dimension, survey_year

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _year_asked(request, township) -> int:
    value = request.GET.get("year", "")
    if value.isdigit() and FIRST_YEAR <= int(value) <= LAST_YEAR:
        return int(value)
    return survey_year(township)


def _village(membership, village_pk):
    village = villages_visible_to(membership).filter(pk=parse_id(village_pk)).first()
    if village is None:
        raise Http404
    return village


@township_view(Action.VIEW)
def evaluation_page(request, township, membership):
    year = _year_asked(request, township)
    villages = list(villages_visible_to(membership).order_by("sort_key", "pk"))
    ids = [village.pk for village in villages]
    results = selectors.evaluation_results(ids, year=year)
    figures = selectors.four_full_figures(ids, year=year)
    rows = [{"village": v, "results": results[v.pk], "figures": figures[v.pk]} for v in villages]
    context = {
        "township": township,
        "membership": membership,
        "year": year,
        "rows": rows,
        "can_enter": can(membership, VILLAGE_RIGHT),
    }
    return render(request, "demonstration/evaluation.html", context)


def _questions_by_dimension() -> list[dict]:
    return [
        {
            "label": DIMENSION_LABELS[dimension],
            "questions": [
                {"question": q, "choices": [SCALE_LABELS[q.scale][value] for value in q.values]}
                for q in QUESTIONS
                if q.dimension == dimension
            ],
        }
        for dimension in Dimension
    ]


@township_view(Action.VIEW)
def paper_survey(request, township, membership, village_pk):
    """The paper survey of one village, to print and hand out (the wording is the catalogue's Chinese, whatever
    language the clerk's browser asks for)."""
    village = _village(membership, village_pk)
    year = _year_asked(request, township)
    with override("zh-hans"):
        content = render_pdf(
            "demonstration/survey_paper.pdf.html",
            {"village": village, "township": township, "year": year, "dimensions": _questions_by_dimension()},
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=False, filename=f"survey-{village.pk}-{year}.pdf"
    )
    return response


@township_view(VILLAGE_RIGHT)
def enter_paper_answer(request, township, membership, village_pk):
    village = _village(membership, village_pk)
    households = list(
        households_visible_to(membership)
        .filter(village=village, participation__in=TAKING_PART_STATUSES)
        .order_by("number", "pk")
    )
    form = SurveyForm(request.POST or None, households=households)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            chosen = data.pop("household")
            household = next(h for h in households if h.pk == chosen)
            try:
                services.enter_paper_answer(membership=membership, household=household, answers=data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("The paper answer of household %(number)s was saved.") % {"number": household.number},
                )
                return redirect(request.path)
        status = 400
    year = survey_year(township)
    context = {
        "township": township,
        "membership": membership,
        "village": village,
        "form": form,
        "year": year,
        "answered": SurveyAnswer.objects.filter(village=village, year=year).count(),
        "households": len(households),
    }
    return render(request, "demonstration/survey_enter.html", context, status=status)


urlpatterns = [
    path("evaluation/", evaluation_page, name="evaluation"),
    path("evaluation/villages/<int:village_pk>/survey.pdf", paper_survey, name="survey-paper"),
    path("evaluation/villages/<int:village_pk>/enter/", enter_paper_answer, name="survey-enter"),
]


# The household's own survey page (no login) ---------------------------------------------------------------------


def _private(response):
    """Cached by nobody; the address (it holds the code) sent to no other site (as the passbook page)."""
    response["Cache-Control"] = "no-store, private, max-age=0"
    response["Referrer-Policy"] = "same-origin"
    return response


def _refuse(request, message: str, status: int):
    return _private(render(request, "demonstration/survey_refused.html", {"message": message}, status=status))


@never_cache
def survey_page(request, code: str):
    row = find_code(code)
    if row is None or row.revoked_at is not None:
        return _refuse(
            request, _("This QR code is not valid. Ask your village clerk for your passbook."), 404
        )
    with township_scope(row.township):
        return _survey_page(request, row, code)


def _survey_page(request, row, code: str):
    passbook_url = reverse("publicity:villager-page", kwargs={"code": code})
    account = row.account
    household = account.household or (account.resident.household if account.resident_id else None)
    context = {"village": account.village, "passbook_url": passbook_url, "household": household}
    if not page_is_open(request, row.code_hash):
        # The second factor (and its lockout) is the passbook page's: answer it there, then come back.
        return _private(render(request, "demonstration/survey_locked.html", context, status=403))
    if household is None:
        return _refuse(request, _("The survey is answered by households, not by units."), 400)
    year = survey_year(row.township)
    answered = SurveyAnswer.objects.filter(household=household, year=year).first()
    form = SurveyForm(request.POST or None)
    status = 200
    if request.method == "POST" and answered is None and form.is_valid():
        try:
            services.answer_survey(code=row, answers=form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _private(redirect(request.path))
    if request.method == "POST":
        status = 400
        if answered is not None:
            messages.error(
                request,
                _(
                    "Your household has already answered this year's survey: one answer per household. "
                    "Nothing was saved."
                ),
            )
    context.update(form=form, year=year, answered=answered, dimensions=_questions_by_dimension())
    return _private(render(request, "demonstration/survey.html", context, status=status))


public_urlpatterns = [path("v/<str:code>/survey/", survey_page, name="survey")]
