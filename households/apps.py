from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("Roster")

    def ready(self):
        # The job task and the roster export runner are registered in every process (web, commands, workers):
        # households.jobs sends the task by its registered name.
        from . import tasks  # noqa: F401
