"""`manage.py seed_programme`: the demo's demonstration-village programme (a city, two counties, a complete call).
Idempotent; `seed_demo` runs it after the demo township."""

from django.core.management.base import BaseCommand
from django.db import transaction

from demonstration.demo import CITY, seed_programme


class Command(BaseCommand):
    help = "Load the demo's demonstration-village programme (idempotent) and print its logins."

    @transaction.atomic
    def handle(self, *args, **options):
        users, created = seed_programme()
        state = "created" if created else "already in place, nothing changed"
        self.stdout.write(self.style.SUCCESS(f"Demo programme of {CITY[1]} ({CITY[0]}): {state}."))
        for username, description in users.items():
            self.stdout.write(f"  {username:<17} {description}")
