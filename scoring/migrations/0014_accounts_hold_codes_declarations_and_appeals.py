"""Passbook codes, self-declarations and appeals belong to an account (issue 14, items 1 and 6): a villager's or a
unit's passbook gets its QR and its page too. Existing rows take their household's account."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE scoring_passbookcode x SET account_id = a.id FROM scoring_account a WHERE a.household_id = x.household_id;
UPDATE scoring_selfdeclaration x SET account_id = a.id FROM scoring_account a WHERE a.household_id = x.household_id;
UPDATE scoring_appeal x SET account_id = a.id FROM scoring_account a WHERE a.household_id = x.household_id;
SET CONSTRAINTS ALL IMMEDIATE;
"""


def account(related_name):
    return models.ForeignKey(
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="scoring.account",
        verbose_name="account",
    )


def household(related_name, null):
    return models.ForeignKey(
        blank=null,
        null=null,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="households.household",
        verbose_name="household",
    )


TABLES = {"passbookcode": "passbook_codes", "selfdeclaration": "self_declarations", "appeal": "appeals"}


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0010_unit_and_unit_import_columns"),
        ("scoring", "0013_self_declarations_and_appeals"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name=model,
                name="account",
                field=models.ForeignKey(
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name=related,
                    to="scoring.account",
                    verbose_name="account",
                ),
            )
            for model, related in TABLES.items()
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        *(
            migrations.AlterField(model_name=model, name="account", field=account(related))
            for model, related in TABLES.items()
        ),
        *(
            migrations.AlterField(model_name=model, name="household", field=household(related, True))
            for model, related in TABLES.items()
        ),
        migrations.RemoveConstraint(model_name="passbookcode", name="one_live_passbook_code"),
        migrations.AddConstraint(
            model_name="passbookcode",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("account",),
                name="one_live_passbook_code",
            ),
        ),
    ]
