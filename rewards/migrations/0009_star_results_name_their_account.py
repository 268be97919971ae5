"""A star result names the family's account (issue 14: every rating names an account), filled from its household.
Like the run, village and household columns, no database foreign key (see the model): rate_stars writes the column
from a join with the accounts themselves."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE rewards_starresult r SET account_id = a.id FROM scoring_account a WHERE a.household_id = r.household_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0008_reward_settings_on_star_rule"),
        ("scoring", "0014_accounts_hold_codes_declarations_and_appeals"),
    ]

    operations = [
        migrations.AddField(
            model_name="starresult",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="star_results",
                to="scoring.account",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="starresult",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="star_results",
                to="scoring.account",
            ),
        ),
    ]
