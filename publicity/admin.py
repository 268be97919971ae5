from django.contrib import admin

from .models import NoticeSettings


@admin.register(NoticeSettings)
class NoticeSettingsAdmin(admin.ModelAdmin):
    list_display = ["township", "full_names", "contact"]
