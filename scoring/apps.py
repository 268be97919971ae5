from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"

    def ready(self) -> None:
        from households.figures import register_household_figures

        from .accounts import connect
        from .figures import household_points

        connect()
        register_household_figures("points", household_points)
