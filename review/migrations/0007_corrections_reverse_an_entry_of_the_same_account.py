"""Corrections are checked per account (issue 14, item 1): a row inserted approved as a correction must name an
approved entry of the same account and scheme and carry exactly its opposite points. For a household's account this
is the household check of 0006 (an entry's household is its account's, scoring 0012)."""

from django.db import migrations


FUNCTION = """
CREATE OR REPLACE FUNCTION review_entry_counts_after_notice() RETURNS trigger AS $$
BEGIN
    IF NEW.state <> 'approved' OR (TG_OP = 'UPDATE' AND OLD.state = 'approved') THEN
        RETURN NEW;
    END IF;
    IF NEW.source = 'correction' THEN
        IF EXISTS (
            SELECT 1 FROM scoring_entry c
            WHERE c.id = NEW.corrects_id AND c.state = 'approved' AND c.source <> 'correction'
              AND c.%(key)s = NEW.%(key)s AND c.scheme_id = NEW.scheme_id AND c.points = -NEW.points)
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'scoring_entry %%: a correction reverses an approved entry of the same %(word)s exactly', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_counts_after_notice';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM review_roundentry re
        JOIN review_reviewround r ON r.id = re.round_id
        WHERE re.entry_id = NEW.id
          AND r.state = 'approved'
          AND r.notice_closed_at IS NOT NULL
          AND r.notice_closed_at >= r.notice_ends_at)
    THEN
        RAISE EXCEPTION 'scoring_entry %%: an entry counts only after the public notice of its round or notice batch', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_counts_after_notice';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0006_corrections_reverse_an_approved_entry"),
        ("scoring", "0012_accounts_as_ledger_subject"),
    ]
    operations = [
        migrations.RunSQL(
            FUNCTION % {"key": "account_id", "word": "account"},
            FUNCTION % {"key": "household_id", "word": "household"},
        )
    ]
