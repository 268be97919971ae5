from django.contrib import admin

from .models import NoticeSettings


@admin.register(NoticeSettings)
class NoticeSettingsAdmin(admin.ModelAdmin):
    list_display = ["township", "full_names", "contact"]
    list_filter = ["full_names"]
    search_fields = ["township__name", "township__slug"]
