"""What the programme's notices show, on the public page and on the printed sheet (no personal data: the village's
figures as applied with, or the selected villages and their scores), and the panels of the staff pages.

The sheets use the printed notices' machinery (`core.pdf`: WeasyPrint with the CJK font named, a QR code of the
public page); the public pages take objections like a round's (`core.security.over_objection_limit`,
`review.public_forms.PublicObjectionForm`).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.pdf import qr_data_uri, render_pdf
from core.permissions import can, can_in_region
from core.tenancy import dangerously_all_townships
from core.vocabulary import in_language

from .models import Application, ApplicationNotice, ApplicationState, ResultNotice
from .moves import CALL_RIGHT, TOWNSHIP_RIGHT

RESULT_STATES = (ApplicationState.SELECTED, ApplicationState.AWARDED)


def application_notice_url(notice: ApplicationNotice) -> str:
    return settings.JIFEN_PUBLIC_BASE_URL.rstrip("/") + reverse(
        "demonstration_public:application-notice", kwargs={"token": notice.token}
    )


def result_notice_url(notice: ResultNotice) -> str:
    return settings.JIFEN_PUBLIC_BASE_URL.rstrip("/") + reverse(
        "demonstration_public:result-notice", kwargs={"token": notice.token}
    )


def selected_applications(notice: ResultNotice) -> list[Application]:
    """The villages on the result's notice: the call's selected (and since awarded) applications, across its
    townships (filtered by the call before anything is read), best score first."""
    with dangerously_all_townships():
        return list(
            Application.objects.filter(call_id=notice.call_id, state__in=RESULT_STATES)
            .select_related("village", "township", "township__county_link__county")
            .order_by("-score", "village__sort_key", "id")
        )


@dataclass
class NoticeState:
    """A notice as the staff pages and the sheets show it."""

    notice: ApplicationNotice | ResultNotice
    url: str
    first_day: datetime.date
    last_day: datetime.date
    running: bool
    days_left: int
    objections: list = field(default_factory=list)

    @property
    def open_objections(self) -> int:
        return sum(1 for objection in self.objections if objection.is_open)


def application_notice_state(notice: ApplicationNotice) -> NoticeState:
    first, last = notice.local_days(notice.application.township.timezone)
    return NoticeState(
        notice=notice,
        url=application_notice_url(notice),
        first_day=first,
        last_day=last,
        running=notice.is_running(),
        days_left=notice.days_left(),
        objections=list(notice.objections.select_related("resolved_by").order_by("filed_at", "id")),
    )


def result_notice_state(notice: ResultNotice) -> NoticeState:
    first, last = notice.local_days(settings.TIME_ZONE)
    return NoticeState(
        notice=notice,
        url=result_notice_url(notice),
        first_day=first,
        last_day=last,
        running=notice.is_running(),
        days_left=notice.days_left(),
        objections=list(notice.objections.select_related("resolved_by").order_by("filed_at", "id")),
    )


def application_notice_pdf(notice: ApplicationNotice) -> tuple[bytes, str]:
    """The sheet the township posts: the village's application and figures, the notice's days and the QR code."""
    state = application_notice_state(notice)
    with in_language("zh-hans"):
        content = render_pdf(
            "demonstration/notice_sheet.html",
            {
                "state": state,
                "application": notice.application,
                "qr": qr_data_uri(state.url),
                "issued_on": timezone.localdate(),
            },
        )
    return content, f"notice-{notice.application.village.name}-{notice.application.call_id}.pdf"


def result_notice_pdf(notice: ResultNotice) -> tuple[bytes, str]:
    """The sheet the call's region posts: the selected villages with their scores, the days and the QR code."""
    state = result_notice_state(notice)
    with in_language("zh-hans"):
        content = render_pdf(
            "demonstration/result_notice_sheet.html",
            {
                "state": state,
                "call": notice.call,
                "rows": selected_applications(notice),
                "qr": qr_data_uri(state.url),
                "issued_on": timezone.localdate(),
            },
        )
    return content, f"result-notice-{notice.call_id}.pdf"


# The panels of the staff pages ---------------------------------------------------------------------------------


def application_panel(township, membership, application: Application) -> dict | None:
    """The township's notice of the application on its page: state, days left, objections, the resolve form."""
    notice = ApplicationNotice.objects.filter(application=application).first()
    if notice is None:
        return None
    kwargs = {"township_slug": township.slug, "pk": application.pk}
    return {
        "state": application_notice_state(notice),
        "pdf_url": reverse("demonstration:application-notice-sheet", kwargs=kwargs),
        "resolve_url": reverse("demonstration:application-resolve-objection", kwargs=kwargs),
        "may_resolve": can(membership, TOWNSHIP_RIGHT, application)
        and application.state == ApplicationState.ON_NOTICE,
        "title": _("Notice in the township"),
    }


def result_panel(region, region_membership, call) -> dict | None:
    """The region's notice of the call's result on the call's page (the call's region resolves its objections)."""
    notice = ResultNotice.objects.filter(call=call).first()
    if notice is None:
        return None
    kwargs = {"region_slug": region.slug, "pk": call.pk}
    state = result_notice_state(notice)
    villages = {a.pk: a.village.name for a in selected_applications(notice)}
    for objection in state.objections:
        objection.village_name = villages.get(objection.application_id, "")
    return {
        "state": state,
        "pdf_url": reverse("demonstration_region:call-notice-sheet", kwargs=kwargs),
        "resolve_url": reverse("demonstration_region:call-resolve-objection", kwargs=kwargs),
        "may_resolve": can_in_region(region_membership, CALL_RIGHT, call.region)
        and call.state == "result_published",
        "title": _("Notice of the result"),
    }
