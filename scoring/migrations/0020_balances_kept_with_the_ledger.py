"""Balances kept with the ledger (issue 19): scoring_balance, its trigger on scoring_entry, and the rows of the
ledger as it stands (approved entries summed once, in this migration's transaction)."""

import django.db.models.deletion
from django.db import migrations, models


# One statement-level trigger per kind of write, reading the statement's new rows (a transition table): the entries
# approved by one statement (inserted approved, or moved to approved — an approved entry is never updated or
# deleted, scoring 0002, so every approved row in NEW TABLE is newly approved) are summed per key and added with one
# upsert, in key order (two transactions adding to the same rows lock them in the same order: no deadlock).
TRIGGER = """
CREATE OR REPLACE FUNCTION scoring_balance_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO scoring_balance AS b (township_id, account_id, household_id, scheme_id, category_id, year, period,
        points, penalties, entries)
    SELECT township_id, account_id, household_id, scheme_id, category_id, year, period, SUM(points),
        SUM(CASE WHEN item_kind = 'penalty' THEN -points ELSE 0 END), COUNT(*)
    FROM new_rows
    WHERE state = 'approved'
    GROUP BY township_id, account_id, household_id, scheme_id, category_id, year, period
    ORDER BY account_id, scheme_id, category_id, year, period
    ON CONFLICT (account_id, scheme_id, category_id, year, period) DO UPDATE
        SET points = b.points + EXCLUDED.points,
            penalties = b.penalties + EXCLUDED.penalties,
            entries = b.entries + EXCLUDED.entries;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS scoring_entry_balance_insert ON scoring_entry;
CREATE TRIGGER scoring_entry_balance_insert AFTER INSERT ON scoring_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scoring_balance_add();
DROP TRIGGER IF EXISTS scoring_entry_balance_update ON scoring_entry;
CREATE TRIGGER scoring_entry_balance_update AFTER UPDATE ON scoring_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scoring_balance_add();
"""

# The same sum over the whole ledger: the rows as they stand when this migration runs (and what verify_balances
# recomputes: scoring.balances.LEDGER_SUMS).
BACKFILL = """
INSERT INTO scoring_balance (township_id, account_id, household_id, scheme_id, category_id, year, period, points,
    penalties, entries)
SELECT township_id, account_id, household_id, scheme_id, category_id, year, period, SUM(points),
    SUM(CASE WHEN item_kind = 'penalty' THEN -points ELSE 0 END), COUNT(*)
FROM scoring_entry
WHERE state = 'approved'
GROUP BY township_id, account_id, household_id, scheme_id, category_id, year, period;
"""

DROP = """
DROP TRIGGER IF EXISTS scoring_entry_balance_insert ON scoring_entry;
DROP TRIGGER IF EXISTS scoring_entry_balance_update ON scoring_entry;
DROP FUNCTION IF EXISTS scoring_balance_add();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0017_villages_and_areas_sort_naturally'),
        ('scoring', '0019_scheme_split_points_and_transfer_life_event'),
    ]

    operations = [
        migrations.CreateModel(
            name='Balance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('period', models.CharField(max_length=10, verbose_name='period')),
                ('points', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='net approved points')),
                ('penalties', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='penalty points')),
                ('entries', models.PositiveIntegerField(verbose_name='approved entries')),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='balances', to='scoring.account')),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='balances', to='scoring.category')),
                ('household', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.household')),
                ('scheme', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='balances', to='scoring.scheme')),
                ('township', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.township', verbose_name='township')),
            ],
            options={
                'verbose_name': 'balance',
                'verbose_name_plural': 'balances',
                'indexes': [models.Index(fields=['scheme', 'household'], name='balance_scheme_household')],
                'constraints': [models.UniqueConstraint(fields=('account', 'scheme', 'category', 'year', 'period'), name='balance_one_row_per_key'), models.CheckConstraint(condition=models.Q(('entries__gte', 0)), name='balance_entries_not_negative')],
            },
        ),
        migrations.RunSQL([TRIGGER, BACKFILL], [DROP]),
    ]
