"""The villages' evaluation: a household answers the village survey once a year, on its phone (by its passbook
code, publicity's second factor answered) or on paper (entered by the clerk), and an application keeps the
evaluation it applied with.

One answer per household and survey year: checked first for a clear message, and held by the database's unique
constraint, so two answers sent at once leave one row and the other gets the same refusal. Nothing personal is
kept: the household's row, the village, the answers, and for paper the clerk who entered it.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import require
from households.models import TAKING_PART_STATUSES, Household, Membership
from scoring.models import PassbookCode

from .. import selectors
from ..models import Application, ApplicationEvaluation, SurveyAnswer, SurveyChannel
from ..moves import VILLAGE_RIGHT
from ..survey import QUESTIONS, survey_year


def _clean_answers(answers: dict) -> dict[str, int]:
    """Every question answered with one of its values, else a clear message naming the first one missing."""
    cleaned = {}
    for question in QUESTIONS:
        value = answers.get(question.field)
        try:
            value = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            value = None
        if value not in question.values:
            raise DomainError(
                _("Answer every question: “%(question)s” has no answer.") % {"question": question.text},
                field=question.field,
                code="unanswered",
            )
        cleaned[question.field] = value
    return cleaned


def _already_answered(household: Household, channel: str) -> DomainError:
    if channel == SurveyChannel.PAPER:  # the clerk's words
        message = _(
            "Household %(number)s has already answered this year's survey, on paper or on the phone: one answer "
            "per household. Nothing was saved."
        ) % {"number": household.number}
    else:
        message = _(
            "Your household has already answered this year's survey: one answer per household. Nothing was saved."
        )
    return DomainError(message, code="already_answered")


def _record(*, household: Household, answers: dict, channel: str, entered_by: Any = None) -> SurveyAnswer:
    cleaned = _clean_answers(answers)
    if household.participation not in TAKING_PART_STATUSES:
        raise DomainError(
            _("Household %(number)s does not take part in the points scheme: it is not surveyed.")
            % {"number": household.number},
            code="not_taking_part",
        )
    year = survey_year(household.township)
    if SurveyAnswer.objects.filter(household=household, year=year).exists():
        raise _already_answered(household, channel)
    try:
        with transaction.atomic():
            return SurveyAnswer.objects.create(
                township_id=household.township_id,
                village_id=household.village_id,
                household=household,
                year=year,
                channel=channel,
                entered_by=entered_by,
                **cleaned,
            )
    except IntegrityError as exc:  # the same household answered at the same moment: the constraint decides
        if "one_survey_answer_per_household_and_year" in str(exc):
            raise _already_answered(household, channel) from exc
        raise


def answer_survey(*, code: PassbookCode, answers: dict) -> SurveyAnswer:
    """A household's own answer from its phone.

    Right: none of a member — the caller (the survey page) opens it only for a code whose second factor was
    answered; the live code names the household (a villager's own account answers for their household; a unit's
    code answers nothing)."""
    row = PassbookCode.objects.select_related("account__household", "account__resident__household").get(
        pk=code.pk
    )
    if row.revoked_at is not None:
        raise DomainError(
            _(
                "This QR code was revoked (the passbook was reprinted or reported lost). Use your newest passbook."
            ),
            code="code_revoked",
        )
    account = row.account
    household = account.household or (account.resident.household if account.resident is not None else None)
    if household is None:
        raise DomainError(_("The survey is answered by households, not by units."), code="not_a_household")
    return _record(household=household, answers=answers, channel=SurveyChannel.PHONE)


def enter_paper_answer(*, membership: Membership, household: Household, answers: dict) -> SurveyAnswer:
    """The clerk enters a household's paper answer (the village's clerk or the township office); the row says who
    entered it. The same one-answer rule as on the phone."""
    require(
        membership,
        VILLAGE_RIGHT,
        household,
        message=_("Only the village's clerk or the township office can enter a paper answer."),
    )
    return _record(
        household=household, answers=answers, channel=SurveyChannel.PAPER, entered_by=membership.user
    )


def snapshot_evaluation(application: Application) -> ApplicationEvaluation:
    """The evaluation the application carries, taken when it applies (called by `apply` inside its transaction,
    after `apply` checked the member's right)."""
    village_id = application.village_id
    year = application.call.year
    results = selectors.evaluation_results([village_id], year=year)[village_id]
    figures = selectors.four_full_figures([village_id], year=year)[village_id]
    return ApplicationEvaluation.objects.create(
        township_id=application.township_id,
        application=application,
        survey_answers=results["answers"],
        survey_answer_share=results["answer_share"],
        awareness=results["awareness"],
        participation=results["participation"],
        satisfaction=results["satisfaction"],
        items_used=figures["items_used"],
        households_with_entry=figures["households_with_entry"],
        entries_recorded=figures["entries_recorded"],
        rewards_public=figures["rewards_public"],
    )
