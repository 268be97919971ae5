"""A notice runs at least three whole calendar days and ends at the end of its last day (issue 12, item 3).

Rounds whose notice is still to come, or still running, get at least three days; a running notice is lengthened to
the end of its last calendar day in the township's time zone, never shortened. History is left as it was: a round
whose notice has already ended keeps the length and the dates it actually ran with, so the new check constraint
applies to every round whose notice has not opened yet (the rule the services keep for every new notice).
"""

import datetime
import zoneinfo

from django.db import migrations, models
from django.utils import timezone

MIN_NOTICE_DAYS = 3


def _notice_end(opened_at, days, tz_name):
    """review.services.notice_end as of this migration (a migration does not import code that may change)."""
    zone = zoneinfo.ZoneInfo(tz_name)
    end_day = opened_at.astimezone(zone).date() + datetime.timedelta(days=days + 1)
    return datetime.datetime.combine(end_day, datetime.time.min, tzinfo=zone).astimezone(datetime.UTC)


def lengthen_notices(apps, schema_editor):
    ReviewRound = apps.get_model("review", "ReviewRound")
    now = timezone.now()
    ReviewRound.objects.filter(notice_opened_at__isnull=True, notice_days__lt=MIN_NOTICE_DAYS).update(
        notice_days=MIN_NOTICE_DAYS
    )
    running = ReviewRound.objects.filter(
        state="on_notice", notice_opened_at__isnull=False, notice_ends_at__gt=now
    ).select_related("township")
    for round_ in running:
        round_.notice_days = max(round_.notice_days, MIN_NOTICE_DAYS)
        new_end = _notice_end(round_.notice_opened_at, round_.notice_days, round_.township.timezone)
        round_.notice_ends_at = max(round_.notice_ends_at, new_end)
        round_.save(update_fields=["notice_days", "notice_ends_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0006_notice_settings"),
        ("review", "0004_notice_batch_and_one_route"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="reviewround", name="round_notice_at_least_a_day"),
        migrations.RunPython(lengthen_notices, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="reviewround",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("notice_days__gte", 3), ("notice_opened_at__isnull", False), _connector="OR"
                ),
                name="round_notice_at_least_three_days",
            ),
        ),
    ]
