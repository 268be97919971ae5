from django.contrib import admin

from .models import (
    Category,
    Entry,
    Evidence,
    Item,
    RoleAssignment,
    RoleChange,
    RoleRule,
    Scheme,
    ThresholdAlert,
)


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0
    fields = ["name", "base_score", "cadence", "floor", "ceiling", "order", "township"]


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "state", "township"]
    list_filter = ["township", "year", "state"]
    search_fields = ["name", "township__name"]
    inlines = [CategoryInline]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "points", "category", "township"]
    list_filter = ["township", "kind"]
    search_fields = ["name", "category__name"]


admin.site.register(RoleRule)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Roles change through Jifen's pages and API (scoring.services.roles), which keep their history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["household", "role", "title", "since", "scheme", "township"]
    list_filter = ["township", "scheme"]
    search_fields = ["household__number", "title"]


@admin.register(RoleChange)
class RoleChangeAdmin(ReadOnlyAdmin):
    list_display = ["household", "kind", "role", "title", "effective_on", "changed_by", "reason", "township"]
    list_filter = ["township", "kind"]
    search_fields = ["household__number", "title"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """The ledger is append-only: the admin shows it and changes nothing (corrections go through Jifen)."""

    list_display = ["household", "item_name", "points", "state", "occurred_on", "recorded_by", "township"]
    list_filter = ["township", "state", "source"]
    search_fields = ["household__number", "item_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(EntryAdmin):
    list_display = ["entry", "original_name", "content_type", "size", "township"]
    list_filter = ["township"]
    search_fields = ["original_name"]


@admin.register(ThresholdAlert)
class ThresholdAlertAdmin(admin.ModelAdmin):
    list_display = ["household", "item", "period", "hits", "acknowledged_at", "township"]
    list_filter = ["township"]
    search_fields = ["household__number", "item__name"]
