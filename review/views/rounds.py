"""Rounds: the member's worklist, the list, a new round, one round with its trail and the moves the member may
make, and the township's approval queue. Every move goes through `review.services.move_round`, which checks the
role and the preconditions and says why a move is refused."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError
from core.permissions import Action, can, sees_household_records
from core.views import township_view
from core.vocabulary import OrganisationKind
from households.forms import add_domain_error
from households.selectors import villages_visible_to
from households.validators import mask_name
from scoring.models import Scheme, SchemeState

from .. import selectors, services
from ..forms import BatchForm, BulkApproveForm, MoveForm, RoundForm
from ..models import RoundKind, RoundState
from ..selectors.counts import notices_ending_today
from .common import back, get_round, get_visible, render_page, round_url, url

ROUNDS_PER_PAGE = 30


def available_moves(membership, round_) -> list[dict]:
    """The moves this member may try on the round now (the service still checks the preconditions)."""
    return [
        {"name": name, "label": services.MOVE_LABELS[name], "needs_comment": name == "return"}
        for name in services.possible_moves(round_)
        if can(membership, services.MOVES[name][2], round_.village)
    ]


@township_view(Action.VIEW)
def worklist(request, township, membership):
    context = {
        "work": selectors.worklist(membership),
        "work_counts": selectors.work_counts(membership),  # the same counts as the home page
        "can_run": can(membership, Action.RUN_ROUND),
        "can_claim": can(membership, Action.RECORD_CLAIM),
        # A school's classes where the member records: the duty monitor's daily record and the weekly summary.
        "classes": villages_visible_to(membership).order_by("sort_key", "pk")
        if township.kind == OrganisationKind.SCHOOL and can(membership, Action.RECORD_ENTRY)
        else [],
    }
    return render_page(request, "review/worklist.html", context)


@township_view(Action.VIEW)
def round_list(request, township, membership):
    rounds = selectors.round_list(membership)
    state = request.GET.get("state", "")
    ending = request.GET.get("ending") == "today"  # the home's "notices ending today" links here
    if ending:
        rounds, state = notices_ending_today(rounds, membership), ""
    elif state in RoundState.values:  # the home's "rounds per stage" links here; any other value shows all
        rounds = rounds.filter(state=state)
    else:
        state = ""
    page = Paginator(rounds, ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_notice(page.object_list)
    context = {
        "page": page,
        "state": state,
        "ending": ending,
        "filter_query": "ending=today&" if ending else (f"state={state}&" if state else ""),
        "state_label": dict(RoundState.choices).get(state, ""),
        "can_run": can(membership, Action.RUN_ROUND),
        "can_approve": can(membership, Action.APPROVE_ROUND),
    }
    return render_page(request, "review/round_list.html", context)


@township_view(Action.RUN_ROUND)
def round_create(request, township, membership):
    form = RoundForm(
        request.POST or None,
        villages=villages_visible_to(membership).order_by("sort_key", "pk"),
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
        move.label = services.TRAIL_LABELS.get(move.move, move.move)
    private = not sees_household_records(membership)
    # A county viewer: household names masked as on the public notice, objectors unnamed (issue 17.8).
    if private:
        for proposal in detail.proposals:
            proposal.head_name = mask_name(proposal.head_name or "")
    village = round_.village
    context = {
        "round": detail.round,
        "detail": detail,
        "moves": available_moves(membership, round_),
        "can_run": can(membership, Action.RUN_ROUND, village),
        "can_panel": can(membership, Action.PANEL_WORK, village),
        "can_resolve": can(membership, Action.RUN_ROUND, village)
        or can(membership, Action.PANEL_WORK, village),
        "notice_running": selectors.notice_is_running(round_),
        "private": private,
        # The batch's reward slips (printed by publicity): only when some of its claims are approved.
        "approved_claims": selectors.approved_claims_of_batch(membership, round_).count()
        if round_.kind == RoundKind.BATCH
        else 0,
    }
    return render_page(request, "review/round_detail.html", context)


@township_view(Action.VIEW)
def round_move(request, township, membership, pk):
    round_ = get_round(membership, pk)  # first: another township's or village's round is "not found"
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
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


@township_view(Action.RUN_ROUND)
def batch_post(request, township, membership):
    """公示批次: the villages whose directly recorded entries wait for a notice, one button each."""
    schemes = Scheme.objects.filter(state=SchemeState.ACTIVE).order_by("-year", "name", "pk")
    scheme_id = request.POST.get("scheme") or request.GET.get("scheme")
    scheme = get_visible(schemes, scheme_id) if scheme_id else schemes.first()
    form = BatchForm(request.POST or None)
    if request.method == "POST" and scheme is not None and form.is_valid():
        village = get_visible(villages_visible_to(membership), request.POST.get("village"))
        try:
            round_ = services.post_notice_batch(
                membership=membership, village=village, scheme=scheme, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "The notice batch %(round)s is on public notice until %(end)s. Print the sheet and post it."
                )
                % {
                    "round": round_,
                    "end": date_format(timezone.localtime(round_.notice_ends_at), "DATETIME_FORMAT"),
                },
            )
            return redirect(round_url(request, round_))
    rows = selectors.villages_with_direct_proposals(membership, scheme) if scheme else []
    context = {"scheme": scheme, "schemes": schemes, "rows": rows, "form": form}
    return render_page(request, "review/batch_post.html", context)


@township_view(Action.APPROVE_ROUND)
def approvals(request, township, membership):
    """The rounds and notice batches waiting for the township, all or one village's (`?village=`), each approved
    on its own or all the ticked ones at once (`approvals/approve/`)."""
    villages = villages_visible_to(membership).order_by("sort_key", "pk")
    village = get_visible(villages, request.GET["village"]) if request.GET.get("village") else None
    rounds = selectors.approval_queue(membership, village=village)
    for round_ in rounds:
        round_.moves_for_me = available_moves(membership, round_)
    context = {
        "rounds": rounds,
        "village": village,
        "villages": villages,
        "proposal_total": sum(round_.proposal_count for round_ in rounds),
    }
    return render_page(request, "review/approvals.html", context)


@township_view(Action.APPROVE_ROUND)
def approvals_approve(request, township, membership):
    """Approve the ticked rounds and batches at once: one by one through `move_round` in one transaction, with one
    comment for the trail. A round of another township or village, or not submitted, is "not found"."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = BulkApproveForm(request.POST)
    if not form.is_valid():
        raise Http404
    ids = form.cleaned_data["rounds"]
    rounds = list(selectors.rounds_visible_to(membership).filter(pk__in=ids).select_related("village"))
    if len(rounds) != len(ids):
        raise Http404
    try:
        approved = services.approve_rounds(
            membership=membership, rounds=rounds, comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(rounds)d round or batch approved: its %(entries)d entries now count.",
                "%(rounds)d rounds or batches approved: their %(entries)d entries now count.",
                len(rounds),
            )
            % {"rounds": len(rounds), "entries": approved},
        )
    return back(request, url(request, "approvals"))


urlpatterns = [
    path("", round_list, name="round-list"),
    path("work/", worklist, name="worklist"),
    path("new/", round_create, name="round-create"),
    path("approvals/", approvals, name="approvals"),
    path("approvals/approve/", approvals_approve, name="approvals-approve"),
    path("batches/new/", batch_post, name="batch-post"),
    path("rounds/<int:pk>/", round_detail, name="round-detail"),
    path("rounds/<int:pk>/move/", round_move, name="round-move"),
]
