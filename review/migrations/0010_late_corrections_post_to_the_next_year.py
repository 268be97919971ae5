"""A correction of an entry of a closed year (年度结算) posts to the next year's scheme (scoring.closing): the
database accepts it there when the close of the entry's year names that scheme as the next one. Otherwise, as
before (0007): an approved correction reverses an approved entry of the same account and scheme exactly."""

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
              AND c.account_id = NEW.account_id AND c.points = -NEW.points
              AND (c.scheme_id = NEW.scheme_id OR EXISTS (
                  SELECT 1 FROM scoring_yearclose y
                  WHERE y.scheme_id = c.scheme_id AND y.year = c.year AND y.next_scheme_id = NEW.scheme_id)))
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'scoring_entry %: a correction reverses an approved entry of the same account exactly', NEW.id
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

PREVIOUS = """
CREATE OR REPLACE FUNCTION review_entry_counts_after_notice() RETURNS trigger AS $$
BEGIN
    IF NEW.state <> 'approved' OR (TG_OP = 'UPDATE' AND OLD.state = 'approved') THEN
        RETURN NEW;
    END IF;
    IF NEW.source = 'correction' THEN
        IF EXISTS (
            SELECT 1 FROM scoring_entry c
            WHERE c.id = NEW.corrects_id AND c.state = 'approved' AND c.source <> 'correction'
              AND c.account_id = NEW.account_id AND c.scheme_id = NEW.scheme_id AND c.points = -NEW.points)
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'scoring_entry %: a correction reverses an approved entry of the same account exactly', NEW.id
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


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0009_panel_member_seats"),
        ("scoring", "0018_year_close"),
    ]
    operations = [migrations.RunSQL(FUNCTION, PREVIOUS)]
