from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("Roster")

    def ready(self):
        # The roster export runner is registered in every process (web, commands, workers).
        from .importing import jobs  # noqa: F401
