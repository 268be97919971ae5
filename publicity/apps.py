from django.apps import AppConfig


class PublicityConfig(AppConfig):
    name = "publicity"
