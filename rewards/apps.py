from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"

    def ready(self):
        # Registers the "star_rating" and "year_archive" job runners in web processes too (workers import tasks themselves).
        from . import tasks, year_end_archive  # noqa: F401
