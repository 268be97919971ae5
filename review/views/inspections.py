"""The panel member's pages, used outdoors on a phone: the households of the areas assigned to their panel, and
one household's findings with photos. Small pages, plain forms; a hidden key makes a double submit harmless."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import uploads
from core.errors import DomainError
from core.permissions import Action, can
from core.views import township_view
from households.forms import add_domain_error
from households.selectors import households_visible_to
from scoring.evidence import check_evidence_file
from scoring.models import EntryState

from .. import selectors, services
from ..forms import InspectionForm
from ..models import Inspection, RoundEntry, RoundKind, RoundState
from .common import get_round, get_visible, render_page, require_any, url


def default_inspection_day(round_, today: datetime.date | None = None) -> datetime.date:
    """Today, or the last day of the round's period when it is over (late paperwork), or its first day."""
    today = today or timezone.localdate()
    if round_.kind == RoundKind.QUARTERLY:
        year, quarter = int(round_.period[:4]), int(round_.period[-1])
        first = datetime.date(year, 3 * quarter - 2, 1)
        last = (datetime.date(year + quarter // 4, 3 * quarter % 12 + 1, 1)) - datetime.timedelta(days=1)
    else:
        year = int(round_.period)
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return min(max(today, first), last)


@township_view(Action.PANEL_WORK)
def inspect_list(request, township, membership, pk):
    round_ = get_round(membership, pk)
    households = list(selectors.households_for_inspector(round_, request.user))
    areas: dict[int, dict] = {}
    for household in households:
        area = areas.setdefault(household.area_id, {"area": household.area, "households": [], "inspected": 0})
        area["households"].append(household)
        area["inspected"] += household.inspected
    context = {
        "round": round_,
        "areas": list(areas.values()),
        "assigned": list(selectors.assigned_areas(round_, request.user)),
        "collecting": round_.state == RoundState.COLLECTING,
    }
    return render_page(request, "review/inspect_list.html", context)


@township_view(Action.VIEW)
def inspect_household(request, township, membership, pk, household_pk):
    round_ = get_round(membership, pk)
    # A panel member's page; the township office may record in the panel's place with a cross-review override.
    require_any(membership, round_.village, Action.PANEL_WORK, Action.APPROVE_ROUND)
    household = get_visible(
        households_visible_to(membership).filter(village=round_.village).select_related("area"), household_pk
    )
    kept = uploads.kept_from(request, "photos")  # photos kept from a failed submit: the sender's own only
    form = InspectionForm(
        request.POST or None,
        request.FILES or None,
        items=selectors.inspectable_items(round_),
        default_day=default_inspection_day(round_),
        can_override=can(membership, Action.APPROVE_ROUND, round_.village),
        kept_photos=len(kept),
    )
    photos_refused = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        key = data["idempotency_key"]
        photos = data["photos"] + uploads.as_uploaded_files(kept)
        findings = [
            {
                "item": item,
                "comment": data["comment"],
                "evidence": photos,
                "idempotency_key": f"{key}:{item.pk}",
            }
            for item in data["findings"]
        ]
        try:
            services.record_inspection(
                membership=membership,
                round=round_,
                household=household,
                inspected_on=data["inspected_on"],
                findings=findings,
                comment=data["comment"],
                override_reason=form.override_reason(),
            )
        except DomainError as exc:
            if exc.field == "evidence":  # the ledger's name for what this form calls photos
                exc.field, photos_refused = "photos", True
            add_domain_error(form, exc)
        else:
            uploads.discard(kept)
            messages.success(
                request,
                ngettext(
                    "Household %(number)s inspected: %(count)d finding proposed.",
                    "Household %(number)s inspected: %(count)d findings proposed.",
                    len(findings),
                )
                % {"number": household.number, "count": len(findings)},
            )
            return _after_saving(request, round_, household)
    if request.method == "POST" and not photos_refused:  # the other errors must not cost the photos
        kept = uploads.keep_for_form(request, form=form, field="photos", kept=kept, check=check_evidence_file)
    inspection = (
        Inspection.objects.filter(round=round_, household=household).select_related("inspector").first()
    )
    findings = (
        list(
            RoundEntry.objects.filter(inspection=inspection)
            .select_related("entry")
            .prefetch_related("entry__evidence")
            .order_by("entry__pk")
        )
        if inspection
        else []
    )
    context = {
        "round": round_,
        "household": household,
        "head": household.members.filter(is_head=True).first(),
        "form": form,
        "inspection": inspection,
        "findings": findings,
        "withdrawn": EntryState.WITHDRAWN,
        "collecting": round_.state == RoundState.COLLECTING,
        "kept": kept,
        "next_pk": selectors.next_household_to_inspect(round_, request.user, household),
    }
    return render_page(request, "review/inspect_household.html", context)


def _after_saving(request, round_, household):
    """To the next household still to inspect when asked (the message on top of its form), else the list's top:
    never an anchor further down, which would hide the message."""
    if request.POST.get("then") == "next":
        next_pk = selectors.next_household_to_inspect(round_, request.user, household)
        if next_pk is not None:
            return redirect(url(request, "inspect-household", pk=round_.pk, household_pk=next_pk))
        messages.info(request, _("Every household of your areas is inspected in this round."))
    return redirect(url(request, "inspect-list", pk=round_.pk))


urlpatterns = [
    path("rounds/<int:pk>/inspect/", inspect_list, name="inspect-list"),
    path("rounds/<int:pk>/inspect/<int:household_pk>/", inspect_household, name="inspect-household"),
]
