from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"

    def ready(self):
        from . import merge_guards

        merge_guards.connect()  # merging villages and areas (households.places) asks about panels and rounds
