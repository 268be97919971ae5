"""Seed 1 (the village-2026 template): a quarter's scores count when its notice ends without an upheld objection;
the annual review goes to the township. Schemes loaded from that template before the setting existed get it."""

from django.db import migrations


def forwards(apps, schema_editor):
    Scheme = apps.get_model("scoring", "Scheme")
    Scheme._base_manager.filter(template="village-2026").update(township_approves_quarterly=False)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0007_township_approval_per_round_kind")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
