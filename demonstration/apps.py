from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemonstrationConfig(AppConfig):
    name = "demonstration"
    verbose_name = _("Demonstration villages")
