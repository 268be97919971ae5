"""Notice batches (公示批次) as a kind of round, and one route to the ledger's "approved".

The database itself refuses to make an entry count (insert it approved, or move it to approved) unless it is a
correction (township office, with a reason; listed on the village's next notice) or it was posted with a round
or notice batch that is approved after its notice closed. Raw SQL and the admin included. Entries approved before
this migration stay as they were: the ledger is never rewritten.
"""

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION review_entry_counts_after_notice() RETURNS trigger AS $$
BEGIN
    IF NEW.state = 'approved'
       AND (TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM 'approved')
       AND NEW.source <> 'correction'
       AND NOT EXISTS (
           SELECT 1 FROM review_roundentry re
           JOIN review_reviewround r ON r.id = re.round_id
           WHERE re.entry_id = NEW.id
             AND r.state = 'approved'
             AND r.notice_closed_at IS NOT NULL
             AND r.notice_closed_at >= r.notice_ends_at)
    THEN
        RAISE EXCEPTION 'scoring_entry %: an entry counts only after the public notice of its round or notice batch', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_counts_after_notice';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS review_entry_counts_after_notice ON scoring_entry;
CREATE TRIGGER review_entry_counts_after_notice BEFORE INSERT OR UPDATE OF state ON scoring_entry
    FOR EACH ROW EXECUTE FUNCTION review_entry_counts_after_notice();
"""
DROP = """
DROP TRIGGER IF EXISTS review_entry_counts_after_notice ON scoring_entry;
DROP FUNCTION IF EXISTS review_entry_counts_after_notice();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0003_meeting_objection_reviewround_proposalchange_and_more"),
        ("scoring", "0007_township_approval_per_round_kind"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="reviewround", name="round_kind_valid"),
        migrations.AlterField(
            model_name="reviewround",
            name="kind",
            field=models.CharField(
                choices=[("quarterly", "Quarterly inspection"), ("annual", "Annual review"), ("batch", "Notice batch")],
                max_length=10,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="reviewround",
            name="period",
            field=models.CharField(
                help_text="2026-Q1 for a quarter, 2026 for the year, 2026-B03 for a notice batch",
                max_length=10,
                verbose_name="period",
            ),
        ),
        migrations.AddConstraint(
            model_name="reviewround",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["quarterly", "annual", "batch"])), name="round_kind_valid"
            ),
        ),
        migrations.RunSQL(CREATE, DROP),
    ]
