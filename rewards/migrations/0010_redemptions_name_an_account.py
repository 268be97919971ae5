"""Redemptions name an account (issue 14): a villager's and a unit's points can be spent at the supermarket too.

Every existing redemption names its household's account, and `household` stays set only for a family's account;
the database checks that a redemption's household is its account's (empty for a villager or a unit).

Filling the new column of existing redemptions updates rows of an append-only table: the rewards' append-only
trigger on `rewards_redemption` (rewards/migrations/0003) is disabled for that one UPDATE only, inside this
migration's transaction, and enabled again right after; nothing the redemptions say changes.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
ALTER TABLE rewards_redemption DISABLE TRIGGER rewards_redemption_append_only;
UPDATE rewards_redemption r SET account_id = a.id FROM scoring_account a WHERE a.household_id = r.household_id;
ALTER TABLE rewards_redemption ENABLE TRIGGER rewards_redemption_append_only;
SET CONSTRAINTS ALL IMMEDIATE;
"""

AGREE = """
CREATE OR REPLACE FUNCTION rewards_redemption_account_agrees() RETURNS trigger AS $$
BEGIN
    IF NEW.household_id IS DISTINCT FROM (
        SELECT a.household_id FROM scoring_account a WHERE a.id = NEW.account_id AND a.township_id = NEW.township_id)
    THEN
        RAISE EXCEPTION 'rewards_redemption %: its household must be its account''s (none for a villager or a unit)',
            NEW.id USING ERRCODE = 'check_violation', CONSTRAINT = 'redemption_household_is_the_accounts';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS rewards_redemption_account_agrees ON rewards_redemption;
CREATE TRIGGER rewards_redemption_account_agrees BEFORE INSERT ON rewards_redemption
    FOR EACH ROW EXECUTE FUNCTION rewards_redemption_account_agrees();
"""
AGREE_DROP = """
DROP TRIGGER IF EXISTS rewards_redemption_account_agrees ON rewards_redemption;
DROP FUNCTION IF EXISTS rewards_redemption_account_agrees();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0009_star_results_name_their_account"),
        ("scoring", "0014_accounts_hold_codes_declarations_and_appeals"),
    ]

    operations = [
        migrations.AddField(
            model_name="redemption",
            name="account",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="redemptions",
                to="scoring.account",
                verbose_name="account",
            ),
        ),
        migrations.AlterField(
            model_name="redemption",
            name="household",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="redemptions",
                to="households.household",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="redemption",
            name="account",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="redemptions",
                to="scoring.account",
                verbose_name="account",
            ),
        ),
        migrations.AddIndex(
            model_name="redemption",
            index=models.Index(fields=["account", "year"], name="redemption_account_year"),
        ),
        migrations.RunSQL(AGREE, AGREE_DROP),
    ]
