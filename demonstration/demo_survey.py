"""The demo's survey answers (issue 20, item 5): households of the demo's demonstration villages answer the
village survey, on paper entered by the township office, so the evaluation pages and the city's comparison show
figures. Deterministic (a seeded random generator) and idempotent: a household that answered is left as it is.

Call inside the villages' township scope, after the roster and the ledger are seeded:
    seed_survey_answers(villages)   # e.g. the villages that applied to the demo's call
"""

import random
from collections.abc import Iterable

from households.models import TAKING_PART_STATUSES, Household, Membership, Role, Village

from .models import SurveyAnswer
from .services import enter_paper_answer
from .survey import QUESTIONS, Scale, survey_year

SHARE = 0.6  # about this share of a village's households taking part answer
SEED = 20


def _answers(rng: random.Random) -> dict[str, int]:
    """Mostly favourable answers, as a working demonstration village would get."""
    answers = {}
    for question in QUESTIONS:
        if question.scale == Scale.YES_NO:
            answers[question.field] = 1 if rng.random() < 0.8 else 0
        else:
            answers[question.field] = rng.choices((5, 4, 3, 2, 1), weights=(35, 35, 18, 8, 4))[0]
    return answers


def seed_survey_answers(villages: Iterable[Village], *, share: float = SHARE) -> bool:
    """Paper answers for about `share` of each village's households taking part, this survey year. Returns
    whether anything was written."""
    created = False
    for village in villages:
        office = (
            Membership.objects.filter(township_id=village.township_id, role=Role.TOWNSHIP_ADMIN)
            .order_by("pk")
            .first()
        )
        if office is None:
            continue
        rng = random.Random(f"{SEED}-{village.pk}")
        answered = set(
            SurveyAnswer.objects.filter(village=village, year=survey_year(village.township)).values_list(
                "household_id", flat=True
            )
        )
        households = Household.objects.filter(village=village, participation__in=TAKING_PART_STATUSES)
        for household in households.order_by("number", "pk"):
            answers = _answers(rng)
            if rng.random() >= share or household.pk in answered:
                continue
            enter_paper_answer(membership=office, household=household, answers=answers)
            created = True
    return created
