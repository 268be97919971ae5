from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"

    def ready(self):
        # Registers the "star_rating" job runner in web processes too (workers import tasks themselves).
        from . import tasks  # noqa: F401
