"""Rounds: the member's worklist, the list, a new round, one round with its trail and the moves the member may
make, and the township's approval queue. Every move goes through `review.services.move_round`, which checks the
role and the preconditions and says why a move is refused."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from households.errors import DomainError
from households.forms import add_domain_error
from households.permissions import Action, can, villages_visible_to
from households.views.base import township_view
from scoring.models import Scheme, SchemeState

from .. import selectors, services
from ..forms import MoveForm, RoundForm
from ..models import RoundKind, RoundState
from .common import back, get_round, render_page, require_any, round_url, url

ROUNDS_PER_PAGE = 30


def available_moves(membership, round_) -> list[dict]:
    """The moves this member may try on the round now (the service still checks the preconditions)."""
    moves = []
    for name, (sources, _target, action) in services.MOVES.items():
        if round_.state not in sources or not can(membership, action, round_.village):
            continue
        if name == "to_representatives" and round_.kind != RoundKind.ANNUAL:
            continue
        if (
            name == "open_notice"
            and round_.kind == RoundKind.ANNUAL
            and round_.state != RoundState.REPRESENTATIVES
        ):
            continue
        moves.append({"name": name, "label": services.MOVE_LABELS[name], "needs_comment": name == "return"})
    return moves


@township_view(Action.VIEW)
def worklist(request, township, membership):
    context = {"work": selectors.worklist(membership), "can_run": can(membership, Action.RUN_ROUND)}
    return render_page(request, "review/worklist.html", context)


@township_view(Action.VIEW)
def round_list(request, township, membership):
    page = Paginator(selectors.round_list(membership), ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_notice(page.object_list)
    context = {
        "page": page,
        "can_run": can(membership, Action.RUN_ROUND),
        "can_approve": can(membership, Action.APPROVE_ROUND),
    }
    return render_page(request, "review/round_list.html", context)


@township_view(Action.RUN_ROUND)
def round_create(request, township, membership):
    form = RoundForm(
        request.POST or None,
        villages=villages_visible_to(membership).order_by("name", "pk"),
        schemes=Scheme.objects.filter(state=SchemeState.ACTIVE).order_by("-year", "name", "pk"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.create_round(membership=membership, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("The round %(round)s was created.") % {"round": round_})
            return redirect(url(request, "assignments", pk=round_.pk))
    return render_page(request, "review/round_form.html", {"form": form})


@township_view(Action.VIEW)
def round_detail(request, township, membership, pk):
    round_ = get_round(membership, pk)
    detail = selectors.round_detail(round_)
    for move in detail.moves:
        move.label = services.MOVE_LABELS.get(move.move) or _("fresh notice after an upheld objection")
    village = round_.village
    context = {
        "round": detail.round,
        "detail": detail,
        "moves": available_moves(membership, round_),
        "can_run": can(membership, Action.RUN_ROUND, village),
        "can_panel": can(membership, Action.PANEL_WORK, village),
        "can_resolve": can(membership, Action.RUN_ROUND, village)
        or can(membership, Action.PANEL_WORK, village),
        "notice_running": services.notice_is_running(round_),
    }
    return render_page(request, "review/round_detail.html", context)


@township_view(Action.VIEW)
def round_move(request, township, membership, pk):
    round_ = get_round(membership, pk)  # first: another township's or village's round is "not found"
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_any(membership, round_.village, Action.RUN_ROUND, Action.APPROVE_ROUND)
    form = MoveForm(request.POST)
    if not form.is_valid() or form.cleaned_data["move"] not in services.MOVES:
        raise Http404
    move = form.cleaned_data["move"]
    try:
        services.move_round(
            membership=membership, round=round_, move=move, comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        round_.refresh_from_db()
        messages.success(
            request,
            _("Done: %(move)s. The round is now %(state)s.")
            % {"move": services.MOVE_LABELS[move], "state": round_.get_state_display()},
        )
    return back(request, round_url(request, round_))


@township_view(Action.APPROVE_ROUND)
def approvals(request, township, membership):
    rounds = selectors.approval_queue(membership)
    for round_ in rounds:
        round_.moves_for_me = available_moves(membership, round_)
    return render_page(request, "review/approvals.html", {"rounds": rounds})


urlpatterns = [
    path("", round_list, name="round-list"),
    path("work/", worklist, name="worklist"),
    path("new/", round_create, name="round-create"),
    path("approvals/", approvals, name="approvals"),
    path("rounds/<int:pk>/", round_detail, name="round-detail"),
    path("rounds/<int:pk>/move/", round_move, name="round-move"),
]
