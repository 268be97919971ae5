"""An entry's household is its account's (0012), checked once per statement instead of once per row.

The rule is unchanged: an entry inserted, or updated to name another account or household, names the household of
its account in its own township (none for a villager's or a unit's account); the same message, error code and
constraint name (`entry_household_is_the_accounts`), naming the lowest refused id. The row-level trigger ran a
query per row; two statement-level triggers (one per event: a trigger with transition tables takes one event)
look up every new row's account in one query, planned at each statement (EXECUTE: a plan cached for one entry would
not suit a batch of thousands, nor the reverse). An update that leaves an entry's account and household as they
were is not checked again (the row-level trigger re-checked it when the UPDATE named the columns, with the same
answer: an account's holder never changes).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION scoring_entries_account_agree() RETURNS trigger AS $$
DECLARE
    -- The statement's rows whose account or household is new: every row it inserted, or changed those of.
    changed text := CASE WHEN TG_OP = 'INSERT' THEN 'new_rows n'
                         ELSE 'new_rows n JOIN old_rows o ON o.id = n.id AND (o.account_id, o.household_id) '
                              'IS DISTINCT FROM (n.account_id, n.household_id)' END;
    refused_id bigint;
BEGIN
    EXECUTE format($sql$
        SELECT n.id FROM %s
        LEFT JOIN scoring_account a ON a.id = n.account_id AND a.township_id = n.township_id
        WHERE n.household_id IS DISTINCT FROM a.household_id
        ORDER BY n.id
        LIMIT 1
    $sql$, changed) INTO refused_id;
    IF refused_id IS NOT NULL THEN
        RAISE EXCEPTION 'scoring_entry %: its household must be its account''s (none for a villager or a unit)', refused_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_household_is_the_accounts';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS scoring_entry_account_agrees ON scoring_entry;
DROP FUNCTION IF EXISTS scoring_entry_account_agrees();
CREATE TRIGGER scoring_entries_account_agree_insert AFTER INSERT ON scoring_entry
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION scoring_entries_account_agree();
CREATE TRIGGER scoring_entries_account_agree_update AFTER UPDATE ON scoring_entry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION scoring_entries_account_agree();
"""

# Back to the row-level trigger of 0012.
PREVIOUS = """
DROP TRIGGER IF EXISTS scoring_entries_account_agree_insert ON scoring_entry;
DROP TRIGGER IF EXISTS scoring_entries_account_agree_update ON scoring_entry;
DROP FUNCTION IF EXISTS scoring_entries_account_agree();
CREATE OR REPLACE FUNCTION scoring_entry_account_agrees() RETURNS trigger AS $$
BEGIN
    IF NEW.household_id IS DISTINCT FROM (
        SELECT a.household_id FROM scoring_account a WHERE a.id = NEW.account_id AND a.township_id = NEW.township_id)
    THEN
        RAISE EXCEPTION 'scoring_entry %: its household must be its account''s (none for a villager or a unit)', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_household_is_the_accounts';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS scoring_entry_account_agrees ON scoring_entry;
CREATE TRIGGER scoring_entry_account_agrees BEFORE INSERT OR UPDATE OF account_id, household_id ON scoring_entry
    FOR EACH ROW EXECUTE FUNCTION scoring_entry_account_agrees();
"""


class Migration(migrations.Migration):
    dependencies = [("scoring", "0021_entry_township_recorded")]
    operations = [migrations.RunSQL(FUNCTION, PREVIOUS)]
