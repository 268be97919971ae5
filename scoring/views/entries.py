"""Ledger pages: the entries a member may see, recording (one household or many) and the township's decisions.

Recording is open to clerks for the households of their villages and to the township office; approving,
withdrawing and correcting to the township office. Household and entry ids that arrive in a form are looked up
among what the member sees (404 otherwise). A refused entry re-renders the form with what was typed.
"""

import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import uploads
from core.errors import DomainError
from core.permissions import Action, can, check
from core.views import township_view
from households.selectors import areas_visible_to, villages_visible_to

from .. import selectors, services
from ..evidence import check_evidence_file
from ..forms import (
    AreaPickerForm,
    BulkRecordForm,
    EntryFilterForm,
    EntryRecordForm,
    ReasonForm,
    add_domain_error,
)
from ..models import Scheme, ThresholdAlert
from .common import get_visible, parse_id, parse_ids, render_page, url

ENTRIES_PER_PAGE = 50
SEARCH_RESULTS = 20
IDEMPOTENCY_KEY = re.compile(r"[0-9a-f]{32}")
RECORD_FIELDS = ("item", "source", "occurred_on", "reason", "idempotency_key")


# The ledger ----------------------------------------------------------------------------------------------------


@township_view(Action.VIEW)
def entry_list(request, township, membership):
    filter_form = EntryFilterForm(
        request.GET or None,
        schemes=Scheme.objects.order_by("-year", "name", "pk"),
        villages=villages_visible_to(membership).order_by("sort_key", "pk"),
    )
    entries = selectors.ledger(membership, **filter_form.filters())
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "page": page,
        "can_approve": can(membership, Action.APPROVE_ENTRY),
        "can_record": can(membership, Action.RECORD_ENTRY),
        "can_post_batch": can(membership, Action.RUN_ROUND),
        "query": request.GET.urlencode(),
    }
    return render_page(request, "scoring/entry_list.html", context)


def _back_to_list(request):
    """The ledger again, with the filters the member was looking at (only known filter names are kept)."""
    query = request.POST.get("query", "")
    kept = QueryDict(query).dict() if query else {}
    kept = {
        k: v
        for k, v in kept.items()
        if k in ("scheme", "village", "state", "source", "number", "recorded_on", "page")
    }
    target = url(request, "entry-list")
    return redirect(f"{target}?{urlencode(kept)}" if kept else target)


def _visible_entry(membership, pk):
    entries = selectors.entries_visible_to(membership).select_related(
        "household", "household__village", "recorded_by", "approved_by", "corrects"
    )
    return get_visible(entries, pk)


def _decide(request, membership, pk, *, service, template: str, done: str):
    entry = _visible_entry(membership, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(membership=membership, entry=entry, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, done)
            return _back_to_list(request)
    context = {"entry": entry, "form": form, "query": request.POST.get("query") or request.GET.urlencode()}
    return render_page(request, template, context)


@township_view(Action.APPROVE_ENTRY)
def entry_withdraw(request, township, membership, pk):
    return _decide(
        request,
        membership,
        pk,
        service=services.withdraw_entry,
        template="scoring/entry_withdraw.html",
        done=_("The proposal was withdrawn: it will not count, and it stays in the history."),
    )


@township_view(Action.APPROVE_ENTRY)
def entry_correct(request, township, membership, pk):
    return _decide(
        request,
        membership,
        pk,
        service=services.correct_entry,
        template="scoring/entry_correct.html",
        done=_("The correction was recorded: both entries stay visible and the total is right again."),
    )


# Recording one entry -------------------------------------------------------------------------------------------


def _recordable_household(membership, value):
    """The household chosen in the form or the link, among those the member may record for (404 otherwise)."""
    if parse_id(value) is None:
        return None
    household = get_visible(selectors.recordable_households(membership, only_taking_part=False), value)
    check(membership, Action.RECORD_ENTRY, household)
    return household


def _recorded(membership, pk):
    """The entry just recorded (shown above a fresh form) and the threshold alert it raised, if any."""
    entry_pk = parse_id(pk)
    if entry_pk is None:
        return None, None
    entry = (
        selectors.entries_visible_to(membership)
        .select_related("household", "household__village")
        .prefetch_related("evidence")
        .filter(pk=entry_pk)
        .first()
    )
    if entry is None:
        return None, None
    return entry, ThresholdAlert.objects.select_related("item").filter(entry=entry).first()


@township_view(Action.RECORD_ENTRY)
def entry_record(request, township, membership):
    data = request.POST if request.method == "POST" else request.GET
    items = selectors.recordable_items()
    query = data.get("q", "")
    if "change" in data:
        household = None
    else:
        household = _recordable_household(membership, data.get("choose") or data.get("household"))
    recording = request.method == "POST" and not {"choose", "change", "search"} & set(request.POST)
    kept = (
        uploads.kept_from(request, "evidence") if recording else []
    )  # kept from a failed submit: the sender's
    if recording:
        form = EntryRecordForm(request.POST, request.FILES, items=items)
        evidence_refused = False
        if form.is_valid():
            fields = form.cleaned_data
            try:
                entry = services.record_entry(
                    membership=membership,
                    household=household,
                    item=fields["item"],
                    occurred_on=fields["occurred_on"],
                    source=fields["source"],
                    reason=fields["reason"],
                    evidence=fields["evidence"] + uploads.as_uploaded_files(kept),
                    idempotency_key=fields["idempotency_key"],
                )
            except DomainError as exc:
                evidence_refused = exc.field == "evidence"
                add_domain_error(form, exc)
            else:
                uploads.discard(kept)
                target = url(request, "entry-record")
                return redirect(f"{target}?{urlencode({'household': household.pk, 'recorded': entry.pk})}")
        if not evidence_refused:  # the other errors must not cost the photos
            kept = uploads.keep_for_form(
                request, form=form, field="evidence", kept=kept, check=check_evidence_file
            )
    else:
        # Choosing or searching a household keeps what was typed in the rest of the form.
        initial = {name: data[name] for name in RECORD_FIELDS if data.get(name)}
        form = EntryRecordForm(initial=initial, items=items)
    if household is not None:
        form.initial["household"] = household.pk
    entry, alert = _recorded(membership, request.GET.get("recorded"))
    results = (
        list(selectors.recordable_households(membership, query=query)[:SEARCH_RESULTS])
        if query.strip() and household is None
        else None
    )
    context = {
        "form": form,
        "household": household,
        "query": query,
        "results": results,
        "has_items": bool(form.fields["item"].items),
        "recorded": entry,
        "alert": alert,
        "kept": kept,
    }
    return render_page(request, "scoring/entry_record.html", context)


@township_view(Action.RECORD_ENTRY)
def household_search(request, township, membership):
    """The live search of the recording form (htmx): households by number or head's name."""
    query = request.GET.get("q", "")
    results = (
        list(selectors.recordable_households(membership, query=query)[:SEARCH_RESULTS])
        if query.strip()
        else None
    )
    return render_page(request, "scoring/_household_results.html", {"results": results, "query": query})


# Recording one item for many households ------------------------------------------------------------------------


def _bulk_selection(membership, data):
    """The village (and maybe area) whose households the bulk page lists; 404 for ones the member cannot see."""
    village = area = None
    if (village_pk := parse_id(data.get("village"))) is not None:
        village = get_visible(villages_visible_to(membership), village_pk)
    if (area_pk := parse_id(data.get("area"))) is not None:
        area = get_visible(areas_visible_to(membership).select_related("village"), area_pk)
        village = area.village
    return village, area


def _bulk_batch(membership, key: str):
    """The entries of one bulk recording (their keys are "<form key>:<household id>") and their alerts."""
    if not IDEMPOTENCY_KEY.fullmatch(key or ""):
        return []
    entries = list(
        selectors.entries_visible_to(membership)
        .filter(idempotency_key__startswith=f"{key}:")
        .select_related("household")
        .order_by("household__number", "pk")
    )
    alerts = {a.entry_id: a for a in ThresholdAlert.objects.filter(entry__in=entries).select_related("item")}
    return [(entry, alerts.get(entry.pk)) for entry in entries]


@township_view(Action.RECORD_ENTRY)
def entry_bulk(request, township, membership):
    data = request.POST if request.method == "POST" else request.GET
    village, area = _bulk_selection(membership, data)
    households = (
        selectors.recordable_households(membership, village=village, area=area) if village is not None else []
    )
    items = selectors.recordable_items()
    recording = request.method == "POST" and not {"select_all", "select_none"} & set(request.POST)
    if recording:
        form = BulkRecordForm(request.POST, items=items, households=households)
        # Ticked ids are looked up among the listed households: one the member cannot see is "not found".
        listed = {h.pk for h in form.household_rows}
        if not set(parse_ids(request.POST.getlist("households"))) <= listed:
            raise Http404
        if form.is_valid():
            fields = form.cleaned_data
            chosen = [h for h in form.household_rows if h.pk in set(fields["households"])]
            try:
                entries = services.record_bulk(
                    membership=membership,
                    households=chosen,
                    item=fields["item"],
                    occurred_on=fields["occurred_on"],
                    reason=fields["reason"],
                    idempotency_key=fields["idempotency_key"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d entry was recorded as proposed.",
                        "%(count)d entries were recorded as proposed.",
                        len(entries),
                    )
                    % {"count": len(entries)},
                )
                query = {"village": village.pk, "batch": fields["idempotency_key"]}
                if area is not None:
                    query["area"] = area.pk
                return redirect(f"{url(request, 'entry-bulk')}?{urlencode(query)}")
    else:
        initial = {name: data[name] for name in RECORD_FIELDS if data.get(name)}
        households = list(households)
        if "select_all" in data:
            initial["households"] = [str(h.pk) for h in households]
        elif "select_none" not in data:
            initial["households"] = data.getlist("households")
        form = BulkRecordForm(initial=initial, items=items, households=households)
    picker = AreaPickerForm(
        initial={"village": village and village.pk, "area": area and area.pk},
        villages=villages_visible_to(membership).order_by("sort_key", "pk"),
        areas=areas_visible_to(membership)
        .select_related("village")
        .order_by("village__sort_key", "sort_key", "pk"),
    )
    context = {
        "form": form,
        "picker": picker,
        "village": village,
        "area": area,
        "has_items": bool(form.fields["item"].items),
        "batch": _bulk_batch(membership, request.GET.get("batch", "")),
    }
    return render_page(request, "scoring/entry_bulk.html", context)


urlpatterns = [
    path("entries/", entry_list, name="entry-list"),
    path("entries/new/", entry_record, name="entry-record"),
    path("entries/new/households/", household_search, name="entry-household-search"),
    path("entries/bulk/", entry_bulk, name="entry-bulk"),
    path("entries/<int:pk>/withdraw/", entry_withdraw, name="entry-withdraw"),
    path("entries/<int:pk>/correct/", entry_correct, name="entry-correct"),
]
