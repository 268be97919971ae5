"""The jobs in the Django admin (superusers, across townships): filter by kind, state and township."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "township",
        "state",
        "done",
        "total",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "state", "township")
    search_fields = ("kind", "filename", "message", "created_by__username")
    date_hierarchy = "created_at"
    list_select_related = ("township", "created_by")
    readonly_fields = [field.name for field in Job._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are started from the pages that make them
