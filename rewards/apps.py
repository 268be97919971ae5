from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "rewards"

    def ready(self):
        # Registers the "star_rating" and "year_archive" job runners in web processes too (workers import tasks themselves).
        from households.figures import register_household_figures

        from . import tasks, year_end_archive  # noqa: F401
        from .selectors.stars import latest_stars

        register_household_figures("stars", latest_stars)
