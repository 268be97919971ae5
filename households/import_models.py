"""Roster imports: one uploaded file (ImportBatch) and the column mapping remembered per village (ImportMapping).
Kept apart from households.models (modules stay under 500 lines), which re-exports them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TownshipOwned


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Ready to import")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Has errors")
    ABANDONED = "abandoned", _("Abandoned")


class ImportMapping(TownshipOwned):
    """A clerk's choice of which column of their sheet holds which field, remembered for a village and applied to
    the next upload for it with the same header row."""

    village_path = "village"

    village = models.ForeignKey(
        "households.Village", on_delete=models.CASCADE, related_name="+", verbose_name=_("village")
    )
    signature = models.CharField(max_length=64)  # sha256 of the normalised header row (importing.mapping)
    headers = models.JSONField(default=list)  # the header row as written
    fields = models.JSONField(default=dict)  # field key -> position of its column in `headers`
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("saved by")
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        verbose_name = _("import column mapping")
        verbose_name_plural = _("import column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["village", "signature"], name="import_mapping_one_per_village_header"
            )
        ]


class ImportBatch(TownshipOwned):
    """One uploaded roster file: its rows and every error found, kept for the preview and as the record of the import."""

    village_path = None

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    filename = models.CharField(_("file name"), max_length=255)
    columns = models.JSONField(default=dict)  # field key -> the header as written in the file
    rows = models.JSONField(
        default=list
    )  # [{"row": excel row number, "cells": {field key: value}, "unlabelled": [...]}]
    errors = models.JSONField(
        default=list
    )  # [{"row": n, "column": header, "message": reason, "sheet": "" or 单位}]
    new_areas = models.JSONField(default=list)  # ["village / area", ...] created on commit
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    household_count = models.PositiveIntegerField(_("households"), default=0)
    resident_count = models.PositiveIntegerField(_("residents"), default=0)
    # The sheet 单位 (units), read like the roster's rows: its headers as written, its rows, how many units.
    unit_columns = models.JSONField(default=dict)
    unit_rows = models.JSONField(default=list)
    unit_count = models.PositiveIntegerField(_("units"), default=0)
    # The mapping step: the file's header row, which column holds which field, what is still to be settled.
    headers = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)  # field key -> position in `headers`
    ambiguous = models.JSONField(default=list)  # headers naming a field another header names too
    column_problems = models.JSONField(default=list)  # what the clerk must still map, in words
    village = models.ForeignKey(  # the village chosen on upload, for a file without a village column
        "households.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village"),
    )
    applied_mapping = models.ForeignKey(  # a remembered mapping used for this file
        ImportMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unchanged_count = models.PositiveIntegerField(_("unchanged households"), default=0)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    abandoned_at = models.DateTimeField(_("abandoned at"), null=True, blank=True)
    purged_at = models.DateTimeField(
        null=True, blank=True
    )  # full ID numbers masked (JIFEN_IMPORT_RETENTION_DAYS)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_batch_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=ImportStatus.COMMITTED, committed_at__isnull=False)
                | (~Q(status=ImportStatus.COMMITTED) & Q(committed_at__isnull=True)),
                name="import_batch_committed_at_iff_committed",
            ),
        ]

    def __str__(self) -> str:
        return self.filename
