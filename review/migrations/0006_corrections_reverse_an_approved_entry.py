"""The one route, tightened: a correction counts at once only because it reverses an approved entry. The database
now holds that too — a row inserted approved as a correction must name an approved entry of the same household and
scheme and carry exactly its opposite points — so a "correction" cannot add points that never had a notice."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION review_entry_counts_after_notice() RETURNS trigger AS $$
BEGIN
    IF NEW.state <> 'approved' OR (TG_OP = 'UPDATE' AND OLD.state = 'approved') THEN
        RETURN NEW;
    END IF;
    IF NEW.source = 'correction' THEN
        IF EXISTS (
            SELECT 1 FROM scoring_entry c
            WHERE c.id = NEW.corrects_id AND c.state = 'approved' AND c.source <> 'correction'
              AND c.household_id = NEW.household_id AND c.scheme_id = NEW.scheme_id AND c.points = -NEW.points)
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'scoring_entry %: a correction reverses an approved entry of the same household exactly', NEW.id
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
        RAISE EXCEPTION 'scoring_entry %: an entry counts only after the public notice of its round or notice batch', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_counts_after_notice';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
# Back to the function of 0004 (corrections unchecked).
PREVIOUS = """
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
"""


class Migration(migrations.Migration):
    dependencies = [("review", "0005_cross_review_and_notice_length")]
    operations = [migrations.RunSQL(CREATE, PREVIOUS)]
