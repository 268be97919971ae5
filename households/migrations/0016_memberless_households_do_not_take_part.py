"""A household with no members cannot take part (issue 16): existing memberless households stop taking part, with
the reason said (each row saved on its own, so the database triggers that mark star ratings stale see it)."""

from django.db import migrations

REASON = "No members recorded (issue 16: a household with no members cannot take part)"


def memberless_do_not_take_part(apps, schema_editor):
    Household = apps.get_model("households", "Household")
    Resident = apps.get_model("households", "Resident")
    with_members = Resident.objects.filter(ended_on__isnull=True).values("household_id")
    households = Household._base_manager.filter(participation__in=["taking_part", "elderly_opted_in"]).exclude(
        pk__in=with_members
    )
    for household in households:
        household.participation = "not_eligible"
        household.participation_reason = REASON
        household.save(update_fields=["participation", "participation_reason"])


class Migration(migrations.Migration):
    dependencies = [("households", "0015_household_life_ended_members_and_events")]
    operations = [migrations.RunPython(memberless_do_not_take_part, migrations.RunPython.noop)]
