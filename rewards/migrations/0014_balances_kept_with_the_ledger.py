"""What each account has spent per year (issue 19), kept by the database with every redemption, cancellation and
year-end clearing (both tables are append-only: rewards 0003, 0012), and the rows as they stand now."""

import django.db.models.deletion
from django.db import migrations, models


TRIGGER = """
CREATE OR REPLACE FUNCTION rewards_spent_add() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'rewards_redemption' THEN
        INSERT INTO rewards_spentbalance AS s (township_id, account_id, household_id, year, redeemed, cleared)
        SELECT township_id, account_id, household_id, year, SUM(points), 0
        FROM new_rows GROUP BY township_id, account_id, household_id, year ORDER BY account_id, year
        ON CONFLICT (account_id, year) DO UPDATE SET redeemed = s.redeemed + EXCLUDED.redeemed;
    ELSE
        INSERT INTO rewards_spentbalance AS s (township_id, account_id, household_id, year, redeemed, cleared)
        SELECT township_id, account_id, household_id, year, 0, SUM(points)
        FROM new_rows GROUP BY township_id, account_id, household_id, year ORDER BY account_id, year
        ON CONFLICT (account_id, year) DO UPDATE SET cleared = s.cleared + EXCLUDED.cleared;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS rewards_redemption_spent ON rewards_redemption;
CREATE TRIGGER rewards_redemption_spent AFTER INSERT ON rewards_redemption
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rewards_spent_add();
DROP TRIGGER IF EXISTS rewards_spendableclearing_spent ON rewards_spendableclearing;
CREATE TRIGGER rewards_spendableclearing_spent AFTER INSERT ON rewards_spendableclearing
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rewards_spent_add();
"""

BACKFILL = """
INSERT INTO rewards_spentbalance (township_id, account_id, household_id, year, redeemed, cleared)
SELECT township_id, account_id, MAX(household_id), year, SUM(redeemed), SUM(cleared)
FROM (
    SELECT township_id, account_id, household_id, year, points AS redeemed, 0 AS cleared FROM rewards_redemption
    UNION ALL
    SELECT township_id, account_id, household_id, year, 0, points FROM rewards_spendableclearing
) spent
GROUP BY township_id, account_id, year;
"""

DROP = """
DROP TRIGGER IF EXISTS rewards_redemption_spent ON rewards_redemption;
DROP TRIGGER IF EXISTS rewards_spendableclearing_spent ON rewards_spendableclearing;
DROP FUNCTION IF EXISTS rewards_spent_add();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0017_villages_and_areas_sort_naturally'),
        ('rewards', '0013_villages_listed_in_natural_order'),
        ('scoring', '0019_scheme_split_points_and_transfer_life_event'),
    ]

    operations = [
        migrations.CreateModel(
            name='SpentBalance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('redeemed', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='points redeemed')),
                ('cleared', models.DecimalField(decimal_places=2, max_digits=12, verbose_name='points cleared')),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scoring.account')),
                ('household', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.household')),
                ('township', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='households.township', verbose_name='township')),
            ],
            options={
                'verbose_name': 'points spent',
                'verbose_name_plural': 'points spent',
                'constraints': [models.UniqueConstraint(fields=('account', 'year'), name='spent_balance_one_row_per_year')],
            },
        ),
        migrations.RunSQL([TRIGGER, BACKFILL], [DROP]),
    ]
