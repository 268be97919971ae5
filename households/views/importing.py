"""Roster import (upload → preview → commit), the template download, and the roster export."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import jobs
from core.errors import DomainError
from core.permissions import Action, can
from core.views import township_view
from households.selectors import households_visible_to

from ..importing.export import export_roster, template_workbook
from ..importing.layout import COLUMNS, FIELDS, SHEET_WORDS, UNIT_COLUMNS
from ..importing.mapping import unmapped_headers
from ..importing.parsing import ImportFileError
from ..importing.selectors import batches_visible_to, preview_rows, preview_unit_rows
from ..importing.services import commit_batch, create_batch, map_columns
from ..models import ImportStatus
from ..selectors import villages_visible_to
from ..units.selectors import units_visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        help_text=gettext_lazy(
            "An Excel .xlsx file (or .csv) laid out like the template, one row per resident."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    village = forms.ModelChoiceField(
        label=gettext_lazy("Village"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("As the file's village column says"),
        help_text=gettext_lazy("Choose the village when the file has no village column."),
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages_visible_to(membership).order_by("sort_key", "pk")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.JIFEN_IMPORT_MAX_BYTES
        if upload.size > limit:  # refuse before reading it into memory
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it into smaller files.") % {"mb": limit // 2**20}
            )
        return upload


def _attachment(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class MappingForm(forms.Form):
    """For each field, the column of the file that holds it, or "not in this file"."""

    def __init__(self, *args, batch, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in this file —"))] + [
            (str(index), header) for index, header in enumerate(batch.headers) if header
        ]
        for column in FIELDS:
            position = batch.mapping.get(column.key)
            self.fields[column.key] = forms.TypedChoiceField(
                label=column.header,
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial="" if position is None else str(position),
            )


@township_view(Action.EDIT_ROSTER)
def import_start(request, township, membership):
    form = UploadForm(request.POST or None, request.FILES or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = create_batch(
                membership=membership,
                filename=upload.name,
                data=upload.read(),
                village=form.cleaned_data["village"],
            )
        except ImportFileError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        except DomainError as exc:
            form.add_error("village", exc.message)
        else:
            return redirect("households:import-preview", township_slug=township.slug, batch_id=batch.pk)
    batches = batches_visible_to(membership).select_related("uploaded_by")[:20]
    return render(
        request,
        "households/import_start.html",
        {
            "township": township,
            "membership": membership,
            "form": form,
            "batches": batches,
            "sheet": SHEET_WORDS,
        },
        status=400 if form.errors else 200,
    )


@township_view(Action.EDIT_ROSTER)
def import_template(request, township, membership):
    return _attachment(template_workbook(), "jifen-roster-template.xlsx")


@township_view(Action.EDIT_ROSTER)
def import_preview(request, township, membership, batch_id):
    return _preview(request, township, membership, batch_id)


def _preview(request, township, membership, batch_id, mapping_form=None):
    """The preview page; with a refused `mapping_form`, that form and its errors (400)."""
    batch = get_object_or_404(
        batches_visible_to(membership).select_related("uploaded_by", "applied_mapping__village"), pk=batch_id
    )
    open_for_mapping = batch.status in (ImportStatus.PREVIEWED, ImportStatus.FAILED) and bool(batch.headers)
    context = {
        "township": township,
        "membership": membership,
        "batch": batch,
        "mapping_form": (mapping_form or MappingForm(batch=batch)) if open_for_mapping else None,
        "unmapped_headers": unmapped_headers(batch.mapping, batch.headers),
        "headers": [column.header for column in COLUMNS],
        "preview_rows": preview_rows(batch) if batch.status == ImportStatus.PREVIEWED else [],
        "unit_headers": [column.header for column in UNIT_COLUMNS],
        "preview_unit_rows": preview_unit_rows(batch) if batch.status == ImportStatus.PREVIEWED else [],
        "can_commit": batch.status == ImportStatus.PREVIEWED,
        "sheet": SHEET_WORDS,
    }
    return render(
        request, "households/import_preview.html", context, status=400 if mapping_form is not None else 200
    )


@township_view(Action.EDIT_ROSTER)
@require_POST
def import_mapping(request, township, membership, batch_id):
    """The clerk's mapping of the file's columns: the kept rows are checked again, no new upload."""
    batch = get_object_or_404(batches_visible_to(membership), pk=batch_id)
    form = MappingForm(request.POST, batch=batch)
    if form.is_valid():
        try:
            map_columns(membership=membership, batch=batch, fields=form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The columns are mapped and every row was checked again."))
            return redirect("households:import-preview", township_slug=township.slug, batch_id=batch.pk)
    return _preview(request, township, membership, batch_id, mapping_form=form)


@township_view(Action.EDIT_ROSTER)
@require_POST
def import_commit(request, township, membership, batch_id):
    batch = get_object_or_404(batches_visible_to(membership), pk=batch_id)
    preview_url = reverse(
        "households:import-preview", kwargs={"township_slug": township.slug, "batch_id": batch.pk}
    )
    try:
        result = commit_batch(membership=membership, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(preview_url)
    if not result.committed:
        messages.error(
            request, _("Nothing was imported: the roster changed since the preview. See the errors below.")
        )
        return redirect(preview_url)
    if result.batch.household_count or not result.batch.unit_count:
        messages.success(
            request,
            _("Imported %(households)d households and %(residents)d residents.")
            % {"households": result.batch.household_count, "residents": result.batch.resident_count},
        )
    if result.batch.unit_count:
        messages.success(request, _("Imported %(units)d units.") % {"units": result.batch.unit_count})
    for warning in result.warnings:
        messages.warning(request, warning)
    landing = "household-list" if result.batch.household_count else "unit-list"
    try:
        return redirect(reverse(f"households:{landing}", kwargs={"township_slug": township.slug}))
    except NoReverseMatch:
        return redirect(preview_url)


@township_view(Action.VIEW)
def roster_export(request, township, membership):
    households = households_visible_to(membership)
    if households.count() > settings.JIFEN_EXPORT_INLINE_LIMIT:  # a big roster: a job with progress
        job = jobs.start_job(
            membership=membership,
            kind="roster_export",
            params={"membership_id": membership.pk},
        )
        return redirect("households:job-detail", township_slug=township.slug, pk=job.pk)
    # The full ID and mobile numbers go only to those who keep the roster; read-only roles get them masked.
    content = export_roster(
        households_visible_to(membership),
        full_identity=can(membership, Action.EDIT_ROSTER),
        units=units_visible_to(membership),
    )
    return _attachment(content, f"roster-{township.slug}-{timezone.localdate():%Y%m%d}.xlsx")


urlpatterns = [
    path("import/", import_start, name="import-start"),
    path("import/template.xlsx", import_template, name="import-template"),
    path("import/<int:batch_id>/", import_preview, name="import-preview"),
    path("import/<int:batch_id>/mapping/", import_mapping, name="import-mapping"),
    path("import/<int:batch_id>/commit/", import_commit, name="import-commit"),
    path("export.xlsx", roster_export, name="roster-export"),
]
