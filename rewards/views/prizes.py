"""Term-end prizes of a class (seed 2): the prizes waiting to be handed out from earlier terms (待兑现奖品), and a
term's list — computed, special prizes, published with a confirmation, certificates. The head teacher's
(MANAGE_REWARDS, their classes only; another class is "not found")."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action
from core.views import township_view
from households.models import Household, Resident
from households.selectors import villages_visible_to
from scoring.models import Scheme, SchemeState

from .. import selectors, services
from ..models import PrizeTier
from .common import get_visible, parse_id, render_page


def _schemes():
    return Scheme.objects.exclude(state=SchemeState.DRAFT).order_by("-starts_on", "-pk")


def _default_scheme(schemes: list[Scheme]) -> Scheme | None:
    """The latest term that has ended (its prizes are due), else the latest term."""
    today = timezone.localdate()
    ended = [s for s in schemes if s.ends_on is not None and s.ends_on < today]
    return ended[0] if ended else (schemes[0] if schemes else None)


def _page_url(township, village_pk: int, scheme_pk: int | None = None) -> str:
    url = reverse("rewards:class-prizes", kwargs={"township_slug": township.slug, "village_pk": village_pk})
    return f"{url}?{urlencode({'scheme': scheme_pk})}" if scheme_pk else url


def _names(household_ids) -> dict[int, str]:
    heads = Resident.objects.filter(household_id__in=list(household_ids), is_head=True)
    return dict(heads.values_list("household_id", "name"))


def _class(membership, village_pk):
    return get_visible(villages_visible_to(membership), village_pk)


@township_view(Action.MANAGE_REWARDS)
def class_prizes(request, township, membership, village_pk):
    village = _class(membership, village_pk)
    schemes = list(_schemes())
    scheme_pk = parse_id(request.GET.get("scheme"))
    scheme = next((s for s in schemes if s.pk == scheme_pk), None) if scheme_pk else _default_scheme(schemes)
    pending = list(selectors.pending_prizes(membership, village))
    prize_list = (
        selectors.prize_lists_visible_to(membership).filter(scheme=scheme, village=village).first()
        if scheme is not None
        else None
    )
    prizes = list(prize_list.prizes.select_related("household")) if prize_list else []
    names = _names([p.household_id for p in pending + prizes])
    students = (
        list(Household.objects.filter(village=village).taking_part().order_by("number", "pk"))
        if prize_list is not None and not prize_list.published
        else []
    )
    student_names = _names([s.pk for s in students])
    context = {
        "village": village,
        "schemes": schemes,
        "scheme": scheme,
        "pending": [(p, names.get(p.household_id, "")) for p in pending],
        "prize_list": prize_list,
        "prizes": [(p, names.get(p.household_id, "")) for p in prizes],
        "students": [(s, student_names.get(s.pk, "")) for s in students],
        "term_over": scheme is not None
        and scheme.ends_on is not None
        and scheme.ends_on < timezone.localdate(),
        "special": PrizeTier.SPECIAL,
    }
    return render_page(request, "rewards/class_prizes.html", context)


@township_view(Action.MANAGE_REWARDS)
@require_POST
def prizes_compute(request, township, membership, village_pk):
    village = _class(membership, village_pk)
    scheme = get_visible(_schemes(), request.POST.get("scheme"))
    try:
        services.compute_term_prizes(
            membership=membership,
            scheme=scheme,
            village=village,
            close_early=request.POST.get("close_early") == "on",
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The prize list is computed. Check it, then publish it."))
    return redirect(_page_url(township, village.pk, scheme.pk))


@township_view(Action.MANAGE_REWARDS)
@require_POST
def prize_special(request, township, membership, pk):
    prize_list = get_visible(selectors.prize_lists_visible_to(membership), pk)
    household = get_visible(
        Household.objects.filter(village_id=prize_list.village_id), request.POST.get("household")
    )
    try:
        services.award_special_prize(
            membership=membership,
            prize_list=prize_list,
            household=household,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Special prize set for %(number)s.") % {"number": household.number})
    return redirect(_page_url(township, prize_list.village_id, prize_list.scheme_id))


@township_view(Action.MANAGE_REWARDS)
@require_POST
def prizes_publish(request, township, membership, pk):
    prize_list = get_visible(selectors.prize_lists_visible_to(membership), pk)
    try:
        services.publish_prize_list(
            membership=membership, prize_list=prize_list, confirm=request.POST.get("confirm") == "on"
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The prize list is published: print the certificates."))
    return redirect(_page_url(township, prize_list.village_id, prize_list.scheme_id))


@township_view(Action.MANAGE_REWARDS)
@require_POST
def prize_hand_out(request, township, membership, pk):
    prize = get_visible(selectors.term_prizes_visible_to(membership).select_related("household"), pk)
    try:
        services.hand_out_prize(membership=membership, prize=prize)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Handed out to %(number)s.") % {"number": prize.household.number})
    return redirect(_page_url(township, prize.village_id))


urlpatterns = [
    path("classes/<int:village_pk>/prizes/", class_prizes, name="class-prizes"),
    path("classes/<int:village_pk>/prizes/compute/", prizes_compute, name="prizes-compute"),
    path("prize-lists/<int:pk>/special/", prize_special, name="prize-special"),
    path("prize-lists/<int:pk>/publish/", prizes_publish, name="prizes-publish"),
    path("term-prizes/<int:pk>/hand-out/", prize_hand_out, name="prize-hand-out"),
]
