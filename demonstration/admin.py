"""Set-up for the site's superusers: counties and cities, which county each township is in, and who acts for them.
Calls and applications change only through the services (their moves are the trail): the admin shows them."""

from django.contrib import admin

from .models import Application, ApplicationMove, Call, CallMove, Region, RegionMembership, RegionTownship


class RegionTownshipInline(admin.TabularInline):
    model = RegionTownship
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "slug"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RegionTownshipInline]


@admin.register(RegionMembership)
class RegionMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "role", "created_at"]
    list_filter = ["role", "region"]
    search_fields = ["user__username", "region__name"]
    raw_id_fields = ["user"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CallMoveInline(admin.TabularInline):
    model = CallMove
    extra = 0
    can_delete = False
    readonly_fields = ["move", "from_state", "to_state", "actor", "at", "comment"]


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["title", "region", "state", "applications_open_on", "applications_close_on"]
    list_filter = ["state", "region"]
    search_fields = ["title", "region__name"]
    inlines = [CallMoveInline]


class ApplicationMoveInline(admin.TabularInline):
    model = ApplicationMove
    extra = 0
    can_delete = False
    readonly_fields = ["move", "from_state", "to_state", "actor", "at", "comment", "score", "amount"]
    exclude = ["township"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["village", "township", "call", "state", "score", "award", "applied_at"]
    list_filter = ["state", "call"]
    search_fields = ["village__name", "township__name", "call__title"]
    inlines = [ApplicationMoveInline]
