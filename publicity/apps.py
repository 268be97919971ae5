from django.apps import AppConfig
from django.db.models.signals import post_save


def _seed_policies(sender, instance, created, raw=False, **kwargs):
    # Townships are created in the admin or by commands, with no service to own this: the signal is the hook.
    if created and not raw:
        from .policies import seed_default_policies

        seed_default_policies(instance)


class PublicityConfig(AppConfig):
    name = "publicity"

    def ready(self) -> None:
        from households.models import Township

        post_save.connect(_seed_policies, sender=Township, dispatch_uid="publicity.seed_policies")
