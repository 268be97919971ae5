"""The villages' evaluation (示范村: 知晓度, 参与度, 满意度): the questionnaire, one source for the phone page, the
paper form, the clerk's form and the results.

Each question belongs to one dimension and is answered on a yes/no or a 1–5 scale. An answer scores as a
percentage: yes 100, no 0; on the 1–5 scale (value − 1) / 4 × 100 (1 → 0, 3 → 50, 5 → 100). A dimension's score is
the mean of its questions' scores. The wording is English here and Chinese in the catalogue (locale/survey).
"""

import datetime
import enum
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Dimension(enum.StrEnum):
    AWARENESS = "awareness"  # 知晓度
    PARTICIPATION = "participation"  # 参与度
    SATISFACTION = "satisfaction"  # 满意度


DIMENSION_LABELS: dict[Dimension, Promise] = {
    Dimension.AWARENESS: pgettext_lazy("survey dimension", "Awareness"),
    Dimension.PARTICIPATION: pgettext_lazy("survey dimension", "Participation"),
    Dimension.SATISFACTION: pgettext_lazy("survey dimension", "Satisfaction"),
}


class Scale(enum.StrEnum):
    YES_NO = "yes_no"  # 1 yes, 0 no
    ONE_TO_FIVE = "one_to_five"  # 1 … 5


@dataclass(frozen=True)
class Question:
    field: str  # the column of demonstration.models.SurveyAnswer
    dimension: Dimension
    scale: Scale
    text: Promise

    @property
    def values(self) -> tuple[int, ...]:
        return (1, 0) if self.scale == Scale.YES_NO else (5, 4, 3, 2, 1)

    def score(self, value: Decimal | int) -> Decimal:
        """The answer as a percentage."""
        if self.scale == Scale.YES_NO:
            return Decimal(100 * value)
        return Decimal(100 * (value - 1)) / 4


QUESTIONS: tuple[Question, ...] = (
    Question(
        "knows_scheme",
        Dimension.AWARENESS,
        Scale.YES_NO,
        _("Do you know that our village runs points-based management?"),
    ),
    Question(
        "knows_items",
        Dimension.AWARENESS,
        Scale.YES_NO,
        _("Do you know which deeds earn points and which lose points?"),
    ),
    Question(
        "knows_notices",
        Dimension.AWARENESS,
        Scale.YES_NO,
        _("Do you know where the village posts the scores and how to raise an objection?"),
    ),
    Question(
        "earned_points",
        Dimension.PARTICIPATION,
        Scale.YES_NO,
        _("Did your household earn points this year?"),
    ),
    Question(
        "used_shop",
        Dimension.PARTICIPATION,
        Scale.YES_NO,
        _("Did your household exchange points at the points supermarket this year?"),
    ),
    Question(
        "joins_activities",
        Dimension.PARTICIPATION,
        Scale.ONE_TO_FIVE,
        _("How often does your household take part in the village's activities (1 never, 5 always)?"),
    ),
    Question(
        "fair_scoring",
        Dimension.SATISFACTION,
        Scale.ONE_TO_FIVE,
        _("Are the scores fair and open (1 not at all, 5 fully)?"),
    ),
    Question(
        "shop_goods",
        Dimension.SATISFACTION,
        Scale.ONE_TO_FIVE,
        _("Are you satisfied with the points supermarket (1 not at all, 5 fully)?"),
    ),
    Question(
        "overall",
        Dimension.SATISFACTION,
        Scale.ONE_TO_FIVE,
        _("Overall, are you satisfied with points-based management (1 not at all, 5 fully)?"),
    ),
)
FIELDS = tuple(q.field for q in QUESTIONS)
YES_NO_FIELDS = tuple(q.field for q in QUESTIONS if q.scale == Scale.YES_NO)
SCALE_FIELDS = tuple(q.field for q in QUESTIONS if q.scale == Scale.ONE_TO_FIVE)

SCALE_LABELS = {
    Scale.YES_NO: {1: _("Yes"), 0: _("No")},
    Scale.ONE_TO_FIVE: {5: "5", 4: "4", 3: "3", 2: "2", 1: "1"},
}


def dimension_scores(averages: dict[str, Decimal | None]) -> dict[Dimension, Decimal | None]:
    """{dimension: mean score in %, one decimal} from each question's mean answer (None when nobody answered)."""
    result: dict[Dimension, Decimal | None] = {}
    for dimension in Dimension:
        scores = []
        for question in QUESTIONS:
            mean = averages.get(question.field)
            if question.dimension == dimension and mean is not None:
                scores.append(question.score(mean))  # the score is linear: the mean's score is the mean score
        result[dimension] = (sum(scores) / len(scores)).quantize(Decimal("0.1")) if scores else None
    return result


def survey_year(township, now: datetime.datetime | None = None) -> int:
    """The survey period: the calendar year in the township's time zone."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(township.timezone)).year
