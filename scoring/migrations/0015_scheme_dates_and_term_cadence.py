"""A scheme covers dates (a calendar year, or a school's term); categories may count per term.

Existing schemes cover their calendar year: 1 January to 31 December, or from 1 January on when their points carry
forward (such a scheme takes entries of any later year)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0011_school_kind_and_roles'),
        ('scoring', '0014_accounts_hold_codes_declarations_and_appeals'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='category',
            name='category_cadence_valid',
        ),
        migrations.AddField(
            model_name='scheme',
            name='ends_on',
            field=models.DateField(blank=True, null=True, verbose_name='ends on'),
        ),
        migrations.AddField(
            model_name='scheme',
            name='starts_on',
            field=models.DateField(null=True, verbose_name='starts on'),
        ),
        migrations.RunSQL(
            """
            UPDATE scoring_scheme SET starts_on = make_date(year, 1, 1),
                ends_on = CASE WHEN points_carry_forward THEN NULL ELSE make_date(year, 12, 31) END
            """,
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name='scheme',
            name='starts_on',
            field=models.DateField(verbose_name='starts on'),
        ),
        migrations.AlterField(
            model_name='category',
            name='cadence',
            field=models.CharField(choices=[('weekly', 'Weekly'), ('monthly', 'Monthly'), ('quarterly', 'Quarterly'), ('annual', 'Annual'), ('term', 'Per term')], default='annual', max_length=10, verbose_name='cadence'),
        ),
        migrations.AddConstraint(
            model_name='category',
            constraint=models.CheckConstraint(condition=models.Q(('cadence__in', ['weekly', 'monthly', 'quarterly', 'annual', 'term'])), name='category_cadence_valid'),
        ),
        migrations.AddConstraint(
            model_name='scheme',
            constraint=models.CheckConstraint(condition=models.Q(('ends_on__isnull', True), ('ends_on__gte', models.F('starts_on')), _connector='OR'), name='scheme_ends_after_it_starts'),
        ),
    ]
