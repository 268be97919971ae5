"""`manage.py seed_demo`: the demo township with every part of Jifen filled in. Idempotent.

It lives in the top app of the dependency chain (publicity → rewards → review → scoring → households) because
it seeds all of them.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from core.tenancy import township_scope
from households.demo import DEMO_PASSWORD, seed_roster
from review.demo import seed_notices, seed_panels
from rewards.demo import seed_rewards
from scoring.demo import seed_scheme
from scoring.demo_school import seed_school


class Command(BaseCommand):
    help = "Load the demo township (idempotent: a second run changes nothing) and print the demo logins."

    @transaction.atomic
    def handle(self, *args, **options):
        township, users, created = seed_roster()
        with township_scope(township):
            created |= seed_panels(township)
            scheme, scheme_created = seed_scheme(township)
            created |= scheme_created
            created |= seed_notices(township, scheme)
            created |= seed_rewards(scheme)
        school = seed_school()  # the demo school (issue 15): its notice and parents' report are seeded on top
        created |= school.created
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo township {township.name} ({township.slug}) and school {school.school.name} ({school.school.slug}): {'created' if created else 'already in place, nothing changed'}."
            )
        )
        self.stdout.write("Demo logins (demo only, password for all: %s):" % DEMO_PASSWORD)
        for username, description in {**users, **school.users}.items():
            self.stdout.write(f"  {username:<17} {description}")
