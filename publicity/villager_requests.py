"""What a villager sends from their own opened page (issue 14, item 6): a self-declaration with a photo, which
waits for the grid worker's check, and an appeal against one of the household's own entries. publicity.villager
calls `open_page` only once the code's second factor was answered (its signed cookie); the services check again
that the code is live and that the entry is the household's own.

Bad input re-renders the page with what was typed (status 400) and writes nothing; a sent form redirects to the
page (so a reload does not send it twice) with a message. The page shows the household's own requests only."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core import uploads
from core.errors import DomainError
from households.forms import add_domain_error
from scoring import services
from scoring.appeal_selectors import appealable_entries, declarable_items
from scoring.evidence import check_evidence_file
from scoring.models import Appeal, Item, PassbookCode, SelfDeclaration

from .forms import VillagerAppealForm, VillagerDeclarationForm

SHOWN = 10  # the household's latest requests of each kind
KEPT_FIELD = "declaration-photo"  # the photo input's name (the form's prefix) and its hidden tokens' stem


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
    # A photo sent with a declaration that has other errors is kept (core.uploads), found again by this code.
    kept = uploads.kept_from(request, KEPT_FIELD, code_id=row.pk) if sent == "declaration" else []
    if sent == "declaration":
        declared, photo_refused = _declare(row, declaration_form, items, kept)
        if declared:
            uploads.discard(kept)
            messages.success(
                request,
                _("Your declaration was received. The grid worker will check it; its state is shown below."),
            )
            return redirect(request.path)
        status = 400
        if not photo_refused:  # the other errors must not cost the photo
            kept = uploads.keep_for_form(
                request,
                form=declaration_form,
                field="photo",
                upload_field=KEPT_FIELD,
                kept=kept[-1:],
                check=check_evidence_file,
                township=row.township,
                code_id=row.pk,
            )[-1:]
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
        kept=kept,
    )
    return render(request, "publicity/villager.html", context, status=status)


def _declare(
    row: PassbookCode, form: VillagerDeclarationForm, items: list[Item], kept: list
) -> tuple[bool, bool]:
    """(sent, the photo itself was refused)."""
    if not form.is_valid():
        return False, "photo" in form.errors
    data = form.cleaned_data
    photo = data["photo"] or next(iter(uploads.as_uploaded_files(kept[-1:])), None)
    try:
        services.submit_self_declaration(
            code=row,
            what_happened=data["what_happened"],
            occurred_on=data["occurred_on"],
            item=next((item for item in items if item.pk == data["item"]), None),
            photo=photo,
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return False, exc.field == "photo"
    return True, False


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
