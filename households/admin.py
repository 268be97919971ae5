from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Area, Household, HouseholdMove, Membership, Resident, Township, Unit, Village


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "timezone", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Village)
class VillageAdmin(SimpleHistoryAdmin):
    list_display = ["name", "township", "code", "retired_at"]
    list_filter = ["township"]
    search_fields = ["name", "code", "township__name"]


@admin.register(Area)
class AreaAdmin(SimpleHistoryAdmin):
    list_display = ["name", "village", "township", "retired_at"]
    list_filter = ["township"]
    search_fields = ["name", "village__name", "township__name"]


class ResidentInline(admin.TabularInline):
    model = Resident
    extra = 0
    fields = ["name", "is_head", "gender", "birth_year", "id_number", "mobile", "is_party_member", "township"]


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ["number", "village", "area", "participation", "township"]
    list_filter = ["township", "participation"]
    search_fields = ["number", "members__name", "address", "village__name"]
    inlines = [ResidentInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "township", "role", "created_at"]
    list_filter = ["township", "role"]
    search_fields = ["user__username", "user__first_name", "township__name"]


@admin.register(HouseholdMove)
class HouseholdMoveAdmin(admin.ModelAdmin):
    list_display = ["household", "from_village", "to_village", "moved_by", "moved_at"]
    list_filter = ["township"]
    search_fields = ["household__number", "reason"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "village", "township", "archived_at"]
    list_filter = ["township", "kind"]
    search_fields = ["name", "contact_name"]

    def has_delete_permission(self, request, obj=None):
        return False  # a unit may carry points: archive it instead
