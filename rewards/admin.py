from django.contrib import admin

from .models import StarResult, StarRule, StarRun, StarRunVillage, StarVillageOverride


class ReadOnlyAdmin(admin.ModelAdmin):
    """Star ratings change only through Jifen (rate_stars, publish_run): the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StarRun)
class StarRunAdmin(ReadOnlyAdmin):
    list_display = [
        "scheme",
        "version",
        "state",
        "current",
        "stale_since",
        "needs_confirmation",
        "household_count",
        "created_at",
        "township",
    ]
    list_filter = ["township", "state", "current"]


@admin.register(StarRunVillage)
class StarRunVillageAdmin(ReadOnlyAdmin):
    list_display = ["run", "village", "status", "households", "overflow", "override_reason"]
    list_filter = ["township", "status"]
    search_fields = ["village__name"]


@admin.register(StarRule)
class StarRuleAdmin(ReadOnlyAdmin):
    list_display = [
        "scheme",
        "star_five_percent",
        "star_four_percent",
        "star_three_percent",
        "star_floor",
        "tie_break_fewer_penalties",
        "tie_break_category",
        "spendable_basis",
    ]


@admin.register(StarVillageOverride)
class StarVillageOverrideAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "village", "reason", "created_by", "created_at"]
    list_filter = ["township"]
    search_fields = ["village__name", "scheme__name"]


@admin.register(StarResult)
class StarResultAdmin(ReadOnlyAdmin):
    list_display = ["household", "village", "total", "rank", "n", "stars", "disqualified", "run"]
    list_filter = ["township", "stars"]
    search_fields = ["household__number"]
    list_select_related = ["household", "village", "run", "run__scheme"]
