"""Accounts become the subject of the ledger (issue 14, item 1): every household, resident and unit gets its
account, every existing entry names its household's account, and the database checks that an entry's household is
its account's (empty for a villager's or a unit's account).

Filling the new column of approved entries is the one update of an approved row this project makes: the ledger's
append-only trigger is disabled for that UPDATE only, inside this migration's transaction; nothing the entries say
changes."""

import django.contrib.postgres.fields
import django.db.models.deletion
import scoring.models
from django.conf import settings
from django.db import migrations, models

FILL = """
INSERT INTO scoring_account (township_id, kind, village_id, area_id, household_id, created_at)
    SELECT township_id, 'household', village_id, area_id, id, now() FROM households_household;
INSERT INTO scoring_account (township_id, kind, village_id, area_id, resident_id, created_at)
    SELECT r.township_id, 'resident', h.village_id, h.area_id, r.id, now()
    FROM households_resident r JOIN households_household h ON h.id = r.household_id;
INSERT INTO scoring_account (township_id, kind, village_id, area_id, unit_id, created_at)
    SELECT township_id, 'unit', village_id, NULL, id, now() FROM households_unit;
ALTER TABLE scoring_entry DISABLE TRIGGER scoring_entry_append_only;
UPDATE scoring_entry e SET account_id = a.id FROM scoring_account a WHERE a.household_id = e.household_id;
ALTER TABLE scoring_entry ENABLE TRIGGER scoring_entry_append_only;
SET CONSTRAINTS ALL IMMEDIATE;
"""

AGREE = """
CREATE OR REPLACE FUNCTION scoring_entry_account_agrees() RETURNS trigger AS $$
BEGIN
    IF NEW.household_id IS DISTINCT FROM (
        SELECT a.household_id FROM scoring_account a WHERE a.id = NEW.account_id AND a.township_id = NEW.township_id)
    THEN
        RAISE EXCEPTION 'scoring_entry %: its household must be its account''s (none for a villager or a unit)', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_household_is_the_accounts';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS scoring_entry_account_agrees ON scoring_entry;
CREATE TRIGGER scoring_entry_account_agrees BEFORE INSERT OR UPDATE OF account_id, household_id ON scoring_entry
    FOR EACH ROW EXECUTE FUNCTION scoring_entry_account_agrees();
"""
AGREE_DROP = """
DROP TRIGGER IF EXISTS scoring_entry_account_agrees ON scoring_entry;
DROP FUNCTION IF EXISTS scoring_entry_account_agrees();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0010_unit_and_unit_import_columns'),
        ('scoring', '0011_passbook_codes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Account',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('household', 'Family'), ('resident', 'Villager'), ('unit', 'Unit')], max_length=10, verbose_name='account kind')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'points account',
                'verbose_name_plural': 'points accounts',
                'ordering': ['kind', 'id'],
            },
        ),
        migrations.AddField(
            model_name='scheme',
            name='account_kinds',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.CharField(choices=[('household', 'Family'), ('resident', 'Villager'), ('unit', 'Unit')], max_length=10), default=scoring.models.default_account_kinds, size=None, verbose_name='account kinds'),
        ),
        migrations.AddField(
            model_name='scheme',
            name='points_carry_forward',
            field=models.BooleanField(default=False, help_text="Off: the scheme is one year's and its points end with it.", verbose_name='points carry forward (never cleared)'),
        ),
        migrations.AddField(
            model_name='scheme',
            name='rank_by',
            field=models.CharField(choices=[('year', "The year's points"), ('cumulative', 'All points so far')], default='year', max_length=10, verbose_name='rankings count'),
        ),
        migrations.AlterField(
            model_name='entry',
            name='household',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='households.household'),
        ),
        migrations.AddConstraint(
            model_name='scheme',
            constraint=models.CheckConstraint(condition=models.Q(('account_kinds', []), _negated=True), name='scheme_keeps_some_account_kind'),
        ),
        migrations.AddConstraint(
            model_name='scheme',
            constraint=models.CheckConstraint(condition=models.Q(('rank_by__in', ['year', 'cumulative'])), name='scheme_rank_by_valid'),
        ),
        migrations.AddField(
            model_name='account',
            name='area',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.area', verbose_name='area'),
        ),
        migrations.AddField(
            model_name='account',
            name='household',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='points_account', to='households.household'),
        ),
        migrations.AddField(
            model_name='account',
            name='resident',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='points_account', to='households.resident'),
        ),
        migrations.AddField(
            model_name='account',
            name='township',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.township', verbose_name='township'),
        ),
        migrations.AddField(
            model_name='account',
            name='unit',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='points_account', to='households.unit'),
        ),
        migrations.AddField(
            model_name='account',
            name='village',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.village', verbose_name='village'),
        ),
        migrations.AddField(
            model_name='entry',
            name='account',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='scoring.account'),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='entry',
            name='account',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='scoring.account'),
        ),
        migrations.RunSQL(AGREE, AGREE_DROP),
        migrations.AddIndex(
            model_name='entry',
            index=models.Index(fields=['scheme', 'state', 'account'], name='entry_scheme_state_account'),
        ),
        migrations.AddIndex(
            model_name='entry',
            index=models.Index(fields=['account', 'occurred_on'], name='entry_account_date'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('household__isnull', False), ('kind', 'household'), ('resident', None), ('unit', None)), models.Q(('household', None), ('kind', 'resident'), ('resident__isnull', False), ('unit', None)), models.Q(('household', None), ('kind', 'unit'), ('resident', None), ('unit__isnull', False)), _connector='OR'), name='account_holder_matches_kind'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('kind', 'unit'), ('area__isnull', False), _connector='OR'), name='account_area_unless_unit'),
        ),
    ]
