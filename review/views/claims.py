"""Claims outside rounds (积分申报, issue 14): the phone form of a grid worker (or the clerk, the township office),
one claim with the trail of its steps, its first check and finding it false. Every change goes through
`scoring.services` (record_claim, check_claim, penalise_false_declaration), which check the member's right."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from core import uploads
from core.errors import DomainError
from core.permissions import Action, can, restrict_to_visible
from core.views import township_view
from households.forms import add_domain_error
from households.selectors import households_visible_to
from scoring import services as scoring
from scoring.evidence import check_evidence_file
from scoring.models import Account, AccountKind, EntryState, Item, ItemKind, SchemeState

from .. import selectors, services
from ..forms import ClaimForm, FalseClaimForm
from .common import get_visible, render_page, url


def claim_items():
    return (
        Item.objects.filter(active=True, kind=ItemKind.BONUS, category__scheme__state=SchemeState.ACTIVE)
        .select_related("category")
        .order_by("category__name", "name", "pk")
    )


def _chosen_account(request, membership) -> Account | None:
    """`?account=` from an account's page (a villager's or a unit's; a family's is chosen by its number)."""
    if "account" not in request.GET:
        return None
    accounts = restrict_to_visible(membership, Account.objects.exclude(kind=AccountKind.HOUSEHOLD))
    return get_visible(accounts.select_related("resident", "unit", "village"), request.GET["account"])


@township_view(Action.RECORD_CLAIM)
def claim_create(request, township, membership):
    account = _chosen_account(request, membership)
    kept = uploads.kept_from(request, "photos")  # photos kept from a failed submit: the sender's own only
    form = ClaimForm(
        request.POST or None,
        request.FILES or None,
        households=households_visible_to(membership),
        items=claim_items(),
        account=account,
    )
    photos_refused = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = scoring.record_claim(
                membership=membership,
                household=data.get("household"),
                account=account,
                item=data["item"],
                occurred_on=data["occurred_on"],
                happened_at=data["happened_at"],
                place=data["place"],
                cause=data["cause"],
                channel=data["channel"],
                declarer_name=data["declarer_name"],
                declarer_relation=data["declarer_relation"],
                photos=data["photos"] + uploads.as_uploaded_files(kept),
            )
        except DomainError as exc:
            photos_refused = exc.field in ("photos", "evidence")
            add_domain_error(form, exc)
        else:
            uploads.discard(kept)
            messages.success(
                request,
                _("The claim of %(holder)s was recorded: %(item)s. It goes on the village's next notice.")
                % {
                    "holder": entry.household.number if entry.household else entry.account.holder_name,
                    "item": entry.item_name,
                },
            )
            return redirect(url(request, "worklist"))
    if request.method == "POST" and not photos_refused:  # the other errors must not cost the photos
        kept = uploads.keep_for_form(request, form=form, field="photos", kept=kept, check=check_evidence_file)
    return render_page(request, "review/claim_form.html", {"form": form, "account": account, "kept": kept})


@township_view(Action.VIEW)
def claim_detail(request, township, membership, pk):
    entry = get_visible(selectors.claims_visible_to(membership), pk)
    trail = [
        {"step": s, "label": s.label or services.TRAIL_LABELS.get(s.step, s.step)}
        for s in selectors.claim_trail(entry)
    ]
    proposed = entry.state == EntryState.PROPOSED
    context = {
        "entry": entry,
        "claim": entry.claim,
        "trail": trail,
        "can_check": proposed and not entry.claim.checked_at and can(membership, Action.CHECK_CLAIM, entry),
        "can_find_false": entry.state != EntryState.WITHDRAWN
        and any(can(membership, a, entry) for a in (Action.CHECK_CLAIM, Action.APPROVE_ENTRY)),
        "false_form": FalseClaimForm(),
        "can_print_slip": entry.state == EntryState.APPROVED,  # who sees the claim may print its slip
    }
    return render_page(request, "review/claim_detail.html", context)


@township_view(Action.CHECK_CLAIM)
def claim_check(request, township, membership, pk):
    entry = get_visible(selectors.claims_visible_to(membership), pk)
    if request.method == "POST":
        try:
            scoring.check_claim(membership=membership, entry=entry)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Checked: the claim goes on the village's next notice batch."))
    return redirect(url(request, "claim-detail", pk=entry.pk))


@township_view(Action.VIEW)
def claim_false(request, township, membership, pk):
    entry = get_visible(selectors.claims_visible_to(membership), pk)
    form = FalseClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            penalty = scoring.penalise_false_declaration(
                membership=membership, entry=entry, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Found false: a penalty of %(points)s points is proposed and goes on the village's next notice."
                )
                % {"points": penalty.points},
            )
            return redirect(url(request, "claim-detail", pk=entry.pk))
    return render_page(request, "review/claim_false.html", {"entry": entry, "form": form})


urlpatterns = [
    path("claims/new/", claim_create, name="claim-create"),
    path("claims/<int:pk>/", claim_detail, name="claim-detail"),
    path("claims/<int:pk>/check/", claim_check, name="claim-check"),
    path("claims/<int:pk>/false/", claim_false, name="claim-false"),
]
