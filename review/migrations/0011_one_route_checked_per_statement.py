"""The one route to the ledger (0004, 0006, 0007, 0010), checked once per statement instead of once per row.

The rule is unchanged: an entry that comes to count (inserted approved, or moved to approved) must be posted with a
round or notice batch approved after its notice closed, or be a correction that reverses an approved entry of the
same account exactly (in the same scheme, or in the next year's scheme named by the close of the entry's year). The
same messages, error code and constraint name (`entry_counts_after_notice`), naming the lowest refused id.

What changes is the cost. The row-level trigger ran a query per row: a notice batch of 1,000 entries approved by one
UPDATE ran 1,000 look-ups, each with the trigger's own call overhead. Two statement-level triggers (one per event:
a trigger with transition tables takes one event) read the statement's new rows and look every one up in one query.
The query is planned at each statement (EXECUTE): a plan cached for a one-entry correction would not suit a batch
of thousands, nor the reverse. An AFTER trigger sees the whole statement, so a correction inserted with its target
in one statement is checked against that target's own approval in it (a row-level BEFORE trigger saw only the rows
before it); the target itself passes the same rule.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION review_entries_count_after_notice() RETURNS trigger AS $$
DECLARE
    -- The statement's newly approved rows: every approved row it inserted, or moved from another state.
    coming text := CASE WHEN TG_OP = 'INSERT' THEN 'new_rows n'
                        ELSE 'new_rows n JOIN old_rows o ON o.id = n.id AND o.state <> ''approved''' END;
    refused_id bigint;
    refused_correction boolean;
BEGIN
    EXECUTE format($sql$
        SELECT n.id, true AS correction FROM %1$s
        WHERE n.state = 'approved' AND n.source = 'correction' AND NOT EXISTS (
            SELECT 1 FROM scoring_entry c
            WHERE c.id = n.corrects_id AND c.state = 'approved' AND c.source <> 'correction'
              AND c.account_id = n.account_id AND c.points = -n.points
              AND (c.scheme_id = n.scheme_id OR EXISTS (
                  SELECT 1 FROM scoring_yearclose y
                  WHERE y.scheme_id = c.scheme_id AND y.year = c.year AND y.next_scheme_id = n.scheme_id)))
        UNION ALL
        SELECT n.id, false FROM %1$s
        WHERE n.state = 'approved' AND n.source <> 'correction' AND NOT EXISTS (
            SELECT 1 FROM review_roundentry re
            JOIN review_reviewround r ON r.id = re.round_id
            WHERE re.entry_id = n.id
              AND r.state = 'approved'
              AND r.notice_closed_at IS NOT NULL
              AND r.notice_closed_at >= r.notice_ends_at)
        ORDER BY 1
        LIMIT 1
    $sql$, coming) INTO refused_id, refused_correction;
    IF refused_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF refused_correction THEN
        RAISE EXCEPTION 'scoring_entry %: a correction reverses an approved entry of the same account exactly', refused_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_counts_after_notice';
    END IF;
    RAISE EXCEPTION 'scoring_entry %: an entry counts only after the public notice of its round or notice batch', refused_id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_counts_after_notice';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS review_entry_counts_after_notice ON scoring_entry;
DROP FUNCTION IF EXISTS review_entry_counts_after_notice();
CREATE TRIGGER review_entries_count_after_notice_insert AFTER INSERT ON scoring_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION review_entries_count_after_notice();
CREATE TRIGGER review_entries_count_after_notice_update AFTER UPDATE ON scoring_entry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION review_entries_count_after_notice();
"""

# Back to the row-level trigger of 0010.
PREVIOUS = """
DROP TRIGGER IF EXISTS review_entries_count_after_notice_insert ON scoring_entry;
DROP TRIGGER IF EXISTS review_entries_count_after_notice_update ON scoring_entry;
DROP FUNCTION IF EXISTS review_entries_count_after_notice();
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
DROP TRIGGER IF EXISTS review_entry_counts_after_notice ON scoring_entry;
CREATE TRIGGER review_entry_counts_after_notice BEFORE INSERT OR UPDATE OF state ON scoring_entry
    FOR EACH ROW EXECUTE FUNCTION review_entry_counts_after_notice();
"""


class Migration(migrations.Migration):
    dependencies = [("review", "0010_late_corrections_post_to_the_next_year")]
    operations = [migrations.RunSQL(FUNCTION, PREVIOUS)]
