"""What a villager sends from their own opened page (issue 14, item 6): a self-declaration with a photo, which
waits for the grid worker's check, and an appeal against one of the household's own entries. publicity.villager
calls `open_page` only once the code's second factor was answered (its signed cookie); the services check again
that the code is live and that the entry is the household's own.

Bad input re-renders the page with what was typed (status 400) and writes nothing; a sent form redirects to the
page (so a reload does not send it twice) with a message. The page shows the household's own requests only."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import DomainError
from households.forms import add_domain_error
from scoring import services
from scoring.appeal_selectors import appealable_entries, declarable_items
from scoring.models import Appeal, Item, PassbookCode, SelfDeclaration

from .forms import VillagerAppealForm, VillagerDeclarationForm

SHOWN = 10  # the household's latest requests of each kind


def open_page(request, row: PassbookCode, context: dict):
    items = list(declarable_items())
    entries = list(appealable_entries(row.account_id))
    sent = request.POST.get("form") if request.method == "POST" else None
    declaration_form = VillagerDeclarationForm(
        request.POST if sent == "declaration" else None,
        request.FILES if sent == "declaration" else None,
        items=items,
        prefix="declaration",
    )
    appeal_form = VillagerAppealForm(
        request.POST if sent == "appeal" else None, entries=entries, prefix="appeal"
    )
    status = 200
    if sent == "declaration":
        if _declare(row, declaration_form, items):
            messages.success(
                request,
                _("Your declaration was received. The grid worker will check it; its state is shown below."),
            )
            return redirect(request.path)
        status = 400
    elif sent == "appeal":
        if _appeal(row, appeal_form):
            messages.success(
                request,
                _("Your appeal was received. The village will decide it; its state is shown below."),
            )
            return redirect(request.path)
        status = 400
    context.update(
        declaration_form=declaration_form,
        appeal_form=appeal_form,
        my_declarations=SelfDeclaration.objects.filter(account_id=row.account_id)
        .select_related("item", "entry")
        .order_by("-submitted_at", "-pk")[:SHOWN],
        my_appeals=Appeal.objects.filter(account_id=row.account_id)
        .select_related("entry", "reversal")
        .order_by("-submitted_at", "-pk")[:SHOWN],
        can_appeal=bool(entries),
    )
    return render(request, "publicity/villager.html", context, status=status)


def _declare(row: PassbookCode, form: VillagerDeclarationForm, items: list[Item]) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        services.submit_self_declaration(
            code=row,
            what_happened=data["what_happened"],
            occurred_on=data["occurred_on"],
            item=next((item for item in items if item.pk == data["item"]), None),
            photo=data["photo"] or None,
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return False
    return True


def _appeal(row: PassbookCode, form: VillagerAppealForm) -> bool:
    if not form.is_valid():
        return False
    try:
        services.submit_appeal(
            code=row, entry_id=form.cleaned_data["entry"], reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return False
    return True
