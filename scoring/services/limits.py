"""Filing a class's weekly list of limits reached (上自习名单): "每周六晚学委统计并宣布上自习名单" (seed 2).

Filing closes the week: from then on no hit of a limit that carries over may be back-dated into it or an earlier
week (scoring.limits.closed_period_message)."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.permissions import Action, require
from households.models import Membership, Village

from .. import limits
from ..models import Scheme, SchemeState, StudyListFiling
from ..periods import Cadence, period_of


def file_study_list(
    *, membership: Membership, village: Village, scheme: Scheme, monday: datetime.date
) -> StudyListFiling:
    """File the list of the week starting `monday` for the class (village). From the week's Saturday on, in the
    school's calendar; once per class, scheme and week.

    Right: RUN_ROUND on the village (the class officers who announce the list, the head teacher; a village clerk or
    the township office for a township)."""
    require(
        membership, Action.RUN_ROUND, village, message=_("Only the class committee or its teacher files it.")
    )
    if scheme.township_id != village.township_id:
        raise DomainError(_("This scheme belongs to another township."), field="scheme")
    if scheme.state == SchemeState.DRAFT:
        raise DomainError(_("The scheme %(scheme)s is a draft.") % {"scheme": scheme}, field="scheme")
    if monday.weekday() != 0:
        raise DomainError(_("A week starts on a Monday."), field="week")
    sunday = monday + datetime.timedelta(days=6)
    if not (scheme.covers(monday) or scheme.covers(sunday)):
        raise DomainError(
            _("The week of %(start)s is outside the scheme %(scheme)s.")
            % {"start": monday, "scheme": scheme},
            field="week",
        )
    saturday = monday + datetime.timedelta(days=5)
    if timezone.localdate() < saturday:
        raise DomainError(
            _("The list of the week of %(start)s is filed from its Saturday (%(saturday)s) on.")
            % {"start": monday, "saturday": saturday},
            field="week",
        )
    week = period_of(Cadence.WEEKLY, monday)
    refusal = _("The list of %(village)s for the week of %(start)s was already filed.") % {
        "village": village.name,
        "start": monday,
    }
    if StudyListFiling.objects.filter(village=village, scheme=scheme, week=week).exists():
        raise DomainError(refusal, field="week")
    try:
        with transaction.atomic():
            return StudyListFiling.objects.create(
                township_id=village.township_id,
                village=village,
                scheme=scheme,
                week=week,
                starts_on=monday,
                students=len({row.household.pk for row in limits.weekly_list(village, scheme, monday)}),
                filed_by=membership.user,
            )
    except IntegrityError as exc:  # filed at the same moment by someone else
        raise DomainError(refusal, field="week") from exc
