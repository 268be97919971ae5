# The notice settings move from households.Township to publicity (issue 13): create NoticeSettings, copy every
# township's settings that differ from the defaults, and only then does households 0007 drop them (run_before, so
# that households never depends on publicity).

import django.db.models.deletion
from django.db import migrations, models

COPY_FROM_TOWNSHIPS = """
INSERT INTO publicity_noticesettings (township_id, full_names, contact)
SELECT id, notice_full_names, notice_contact FROM households_township
WHERE notice_full_names OR notice_contact <> ''
"""

COPY_BACK_TO_TOWNSHIPS = """
UPDATE households_township t SET notice_full_names = n.full_names, notice_contact = n.contact
FROM publicity_noticesettings n WHERE n.township_id = t.id
"""


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('households', '0006_notice_settings'),
    ]
    run_before = [
        ('households', '0007_notice_settings_moved_to_publicity'),
    ]

    operations = [
        migrations.CreateModel(
            name='NoticeSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('full_names', models.BooleanField(default=False, help_text='Off: names are masked (张*明). ID and phone numbers never appear on a notice.', verbose_name='show full names on public notices')),
                ('contact', models.CharField(blank=True, help_text='Printed on notices: where and how villagers raise an objection (office, phone).', max_length=300, verbose_name='how to object')),
                ('township', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='households.township', verbose_name='township')),
            ],
            options={
                'verbose_name': 'notice settings',
                'verbose_name_plural': 'notice settings',
            },
        ),
        migrations.RunSQL(COPY_FROM_TOWNSHIPS, COPY_BACK_TO_TOWNSHIPS),
    ]
