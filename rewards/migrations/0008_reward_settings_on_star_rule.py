# The star bands, the floor and the supermarket's settings move from scoring.Scheme to rewards' StarRule (issue 13):
# add them here, copy every scheme's values, and only then does scoring 0009 drop them from the scheme (run_before,
# so that scoring never depends on rewards).

from django.db import migrations, models

SETTINGS = "star_five_percent, star_four_percent, star_three_percent, star_floor, spendable_basis, spendable_resets_yearly"

COPY_FROM_SCHEMES = f"""
INSERT INTO rewards_starrule (township_id, scheme_id, tie_break_fewer_penalties, tie_break_category_id,
                              tie_break_category_first, {SETTINGS})
SELECT s.township_id, s.id, true, NULL, false, {SETTINGS}
FROM scoring_scheme s
ON CONFLICT (scheme_id) DO UPDATE SET
    star_five_percent = EXCLUDED.star_five_percent,
    star_four_percent = EXCLUDED.star_four_percent,
    star_three_percent = EXCLUDED.star_three_percent,
    star_floor = EXCLUDED.star_floor,
    spendable_basis = EXCLUDED.spendable_basis,
    spendable_resets_yearly = EXCLUDED.spendable_resets_yearly
"""

COPY_BACK_TO_SCHEMES = """
UPDATE scoring_scheme s SET
    star_five_percent = r.star_five_percent,
    star_four_percent = r.star_four_percent,
    star_three_percent = r.star_three_percent,
    star_floor = r.star_floor,
    spendable_basis = r.spendable_basis,
    spendable_resets_yearly = r.spendable_resets_yearly
FROM rewards_starrule r
WHERE r.scheme_id = s.id
"""


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0006_notice_settings'),
        ('rewards', '0007_star_runs_go_stale'),
        ('scoring', '0008_seed_one_quarters_count_at_notice_end'),
    ]
    run_before = [
        ('scoring', '0009_star_settings_moved_to_rewards'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='starrule',
            options={'verbose_name': 'reward settings', 'verbose_name_plural': 'reward settings'},
        ),
        migrations.AddField(
            model_name='starrule',
            name='spendable_basis',
            field=models.CharField(choices=[('net', 'Net of bonuses and penalties (without the base)'), ('total', 'The annual total score (with the base)')], default='net', max_length=10, verbose_name='points the supermarket can spend'),
        ),
        migrations.AddField(
            model_name='starrule',
            name='spendable_resets_yearly',
            field=models.BooleanField(default=False, help_text='Off (seed 4): points not spent carry over to the next year; rewards never clear them.', verbose_name='spendable points reset each year'),
        ),
        migrations.AddField(
            model_name='starrule',
            name='star_five_percent',
            field=models.PositiveSmallIntegerField(default=10, verbose_name='five stars: top percent of the village'),
        ),
        migrations.AddField(
            model_name='starrule',
            name='star_floor',
            field=models.DecimalField(blank=True, decimal_places=2, help_text="Empty: the scheme's base total.", max_digits=8, null=True, verbose_name='lowest total for a star'),
        ),
        migrations.AddField(
            model_name='starrule',
            name='star_four_percent',
            field=models.PositiveSmallIntegerField(default=20, verbose_name='four stars: top percent of the village'),
        ),
        migrations.AddField(
            model_name='starrule',
            name='star_three_percent',
            field=models.PositiveSmallIntegerField(default=30, verbose_name='three stars: top percent of the village'),
        ),
        migrations.AddConstraint(
            model_name='starrule',
            constraint=models.CheckConstraint(condition=models.Q(('star_five_percent__gt', 0), ('star_five_percent__lte', models.F('star_four_percent')), ('star_four_percent__lte', models.F('star_three_percent')), ('star_three_percent__lte', 100)), name='star_rule_bands_ordered', violation_error_message='Star bands must grow: 0 < five-star percent ≤ four-star percent ≤ three-star percent ≤ 100.'),
        ),
        migrations.RunSQL(COPY_FROM_SCHEMES, COPY_BACK_TO_SCHEMES),
    ]
