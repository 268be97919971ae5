"""The demo's notices of the demonstration programme (issue 20.1), on the objects the demo seed builds.

Call `seed_programme_notices` from the demo seed once it has built the programme (`publicity/management/commands/
seed_demo.py`, after the city's call has its selected villages): it goes the route real notices go (the moves and
the objection services); only the clock is the demo's, as in `review.demo.seed_notices`: the result's notice is
dated in the past so that it has ended and the award may be paid.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from core.tenancy import township_scope
from households.models import Membership
from review.services import notice_end

from .models import (
    Application,
    ApplicationNotice,
    ApplicationState,
    Call,
    CallState,
    RegionMembership,
    ResultNotice,
)
from .services import (
    file_application_objection,
    file_result_objection,
    move_application,
    move_call,
    resolve_result_objection,
)

DEMO_COMMENT = "示例数据"


def seed_programme_notices(
    *,
    township_admin: Membership,
    application: Application,
    city_officer: RegionMembership,
    call: Call,
) -> bool:
    """Post `application` (submitted) in its township, with a villager's objection waiting on the application's
    page; and post the result of `call` (a city's call in selection, its villages selected), with an objection
    dismissed in writing, its notice ended. Idempotent: what is already posted is left as it is."""
    created = False
    if application.state == ApplicationState.SUBMITTED:
        with township_scope(application.township):
            move_application(membership=township_admin, application=application, move="publish")
            file_application_objection(
                notice=ApplicationNotice.objects.get(application=application),
                objector_name="李大爷",
                reason="村里参加积分超市兑换的人数没有这么多，请核实。",
            )
        created = True
    if call.state == CallState.SELECTION:
        move_call(membership=city_officer, call=call, move="publish_result", comment=DEMO_COMMENT)
        notice = ResultNotice.objects.get(call=call)
        objection = file_result_objection(
            notice=notice, objector_name="张先生", reason="希望公开各村的评分细则。"
        )
        resolve_result_objection(
            membership=city_officer,
            objection=objection,
            upheld=False,
            outcome="评分细则已随申报通知公布，评审过程符合规定；异议不成立。",
        )
        opened = timezone.now() - datetime.timedelta(days=notice.days + 2)
        ResultNotice.objects.filter(pk=notice.pk).update(
            opened_at=opened, ends_at=notice_end(opened, notice.days, settings.TIME_ZONE)
        )
        created = True
    return created
