"""`manage.py seed_demo`: the demo township with every part of Jifen filled in. Idempotent.

It lives in the top app of the dependency chain (publicity → rewards → review → scoring → households) because
it seeds all of them.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from core.tenancy import township_scope
from households.demo import DEMO_PASSWORD, seed_roster
from households.models import Household, Membership
from publicity.models import ParentComment
from publicity.services import write_parent_comment
from review.demo import seed_notices, seed_panels, seed_school_weeks
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
        school = seed_school()  # the demo school (issue 15): its weeks, notices and a parent's comment on top
        created |= school.created
        with township_scope(school.school):
            created |= seed_school_weeks(school.class_, school.scheme)
            created |= _seed_parent_comment()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo township {township.name} ({township.slug}) and school {school.school.name} ({school.school.slug}): {'created' if created else 'already in place, nothing changed'}."
            )
        )
        self.stdout.write("Demo logins (demo only, password for all: %s):" % DEMO_PASSWORD)
        for username, description in {**users, **school.users}.items():
            self.stdout.write(f"  {username:<17} {description}")
        # The demonstration-village programme sits above publicity (its own command, called by name).
        call_command("seed_programme", stdout=self.stdout)


def _seed_parent_comment() -> bool:
    """The demo parent has read November's report of their child and written the month's comment (家长评语)."""
    parent = Membership.objects.get(user__username="demo-parent")
    student = Household.objects.get(pk=parent.student_id)
    if ParentComment.objects.filter(household=student, month="2026-11").exists():
        return False
    write_parent_comment(
        membership=parent,
        household=student,
        month="2026-11",
        text="孩子本月作业基本按时完成，早读迟到还有几次，家里会督促早起。谢谢老师！",
    )
    return True
