"""Pages of a household's life where points move: split (分户), merge (合户), moving out (迁出) and the closing slip.

Households are looked up among those the member sees (404 otherwise); a household typed by number that is not
among them — another township's, or one the member does not keep — is a form error, and nothing is written."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.permissions import Action
from core.views import township_view
from households.forms import add_domain_error
from households.models import Household, Resident
from households.selectors import area_choices, households_visible_to

from .. import life_selectors
from ..life_forms import MergeForm, MoveOutForm, SplitForm
from ..models import Entry, Scheme
from ..services import life
from .common import get_visible, render_page

LAST_ENTRIES = 20


def _household(membership, pk):
    return get_visible(households_visible_to(membership).select_related("village", "area"), pk)


def _detail(request, household) -> str:
    return reverse(
        "households:household-detail", kwargs={"township_slug": request.township.slug, "pk": household.pk}
    )


def _by_number(membership, number: str, form, field: str, *, exclude: Household) -> Household | None:
    """An open household the member sees, by its number; a form error when there is none."""
    number = number.strip()
    found = households_visible_to(membership).open().exclude(pk=exclude.pk).filter(number=number).first()
    if found is None:
        form.add_error(
            field,
            _("No open household %(number)s among the households you keep in this township.")
            % {"number": number},
        )
    return found


def _ended(request, household):
    messages.info(request, _("This household has ended; its record can be read but not changed."))
    return redirect(_detail(request, household))


@township_view(Action.EDIT_ROSTER)
def household_split(request, township, membership, household_pk):
    household = _household(membership, household_pk)
    if not household.is_open:
        return _ended(request, household)
    members = Resident.objects.filter(household=household).current().order_by("-is_head", "pk")
    form = SplitForm(request.POST or None, members=members, areas=area_choices(membership))
    scheme = life_selectors.scheme_in_force(timezone.localdate())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event = life.split_household(
                membership=membership,
                household=household,
                leaving=list(data["leaving"]),
                head=data["head"],
                number=data["number"],
                area=data["area"],
                split_on=data["split_on"],
                reason=data["reason"],
                points=data["points"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Household %(number)s was split off from household %(original)s.") % {
                "number": event.other_household.number, "original": household.number,
            })  # fmt: skip
            return redirect(_detail(request, event.other_household))
    context = {
        "form": form,
        "household": household,
        "scheme": scheme,
        "held": sum(life_selectors.balances(household, scheme).values()) if scheme else None,
    }
    return render_page(request, "scoring/household_split.html", context)


@township_view(Action.EDIT_ROSTER)
def household_merge(request, township, membership, household_pk):
    household = _household(membership, household_pk)
    if not household.is_open:
        return _ended(request, household)
    form = MergeForm(request.POST or None, areas=area_choices(membership))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["absorbed"].strip() == household.number:
            form.add_error("absorbed", _("A household cannot merge with itself."))
        elif (
            absorbed := _by_number(membership, data["absorbed"], form, "absorbed", exclude=household)
        ) is not None:
            try:
                life.merge_households(
                    membership=membership,
                    household=household,
                    absorbed=absorbed,
                    merged_on=data["merged_on"],
                    reason=data["reason"],
                    area=data["area"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Household %(absorbed)s was merged into household %(number)s.") % {
                    "absorbed": absorbed.number, "number": household.number,
                })  # fmt: skip
                return redirect(_detail(request, household))
    return render_page(request, "scoring/household_merge.html", {"form": form, "household": household})


@township_view(Action.EDIT_ROSTER)
def household_move_out(request, township, membership, household_pk):
    household = _household(membership, household_pk)
    if not household.is_open:
        return _ended(request, household)
    form = MoveOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        transfer_to = None
        if data["transfer_to"].strip():
            transfer_to = _by_number(membership, data["transfer_to"], form, "transfer_to", exclude=household)
        if not form.errors:
            try:
                life.close_household(
                    membership=membership,
                    household=household,
                    moved_out_on=data["moved_out_on"],
                    reason=data["reason"],
                    transfer_to=transfer_to,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Household %(number)s moved out; its account is closed.") % {
                    "number": household.number,
                })  # fmt: skip
                return redirect(
                    reverse(
                        "scoring:closing-slip",
                        kwargs={"township_slug": township.slug, "household_pk": household.pk},
                    )
                )
    context = {"form": form, "household": household, "balance": life_selectors.closing_balance(household)}
    return render_page(request, "scoring/household_move_out.html", context)


@township_view(Action.VIEW)
def closing_slip(request, township, membership, household_pk):
    """The closing slip (printable): the balance per scheme and the last entries, as the passbook shows them."""
    household = _household(membership, household_pk)
    entries = list(
        Entry.objects.filter(household=household)
        .select_related("scheme")
        .order_by("-occurred_on", "-id")[:LAST_ENTRIES]
    )
    context = {
        "household": household,
        "head": household.members.filter(is_head=True).first(),
        "balance": life_selectors.closing_balance(household),
        "entries": entries,
        "event": household.life_events.filter(kind="moved_out").select_related("other_household").first(),
        "printed_on": timezone.localdate(),
    }
    return render_page(request, "scoring/closing_slip.html", context)


@township_view(Action.EDIT_SCHEME)
@require_POST
def scheme_split_points(request, township, membership, pk):
    scheme = get_visible(Scheme.objects.all(), pk)
    try:
        life.set_split_points(
            membership=membership, scheme=scheme, split_points=request.POST.get("split_points", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("On a split: %(rule)s.") % {"rule": scheme.get_split_points_display()})
    return redirect(
        reverse("scoring:scheme-detail", kwargs={"township_slug": township.slug, "pk": scheme.pk})
    )


urlpatterns = [
    path("schemes/<int:pk>/split-points/", scheme_split_points, name="scheme-split-points"),
    path("households/<int:household_pk>/split/", household_split, name="household-split"),
    path("households/<int:household_pk>/merge/", household_merge, name="household-merge"),
    path("households/<int:household_pk>/move-out/", household_move_out, name="household-move-out"),
    path("households/<int:household_pk>/closing-slip/", closing_slip, name="closing-slip"),
]
