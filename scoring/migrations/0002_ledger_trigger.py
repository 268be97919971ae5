"""The database itself refuses to update or delete an approved entry (raw SQL included)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION scoring_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF OLD.state = 'approved' THEN
        RAISE EXCEPTION 'scoring_entry %: approved entries are never updated or deleted; record a correction', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'scoring_entry %: entries are never deleted; withdraw the proposal instead', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS scoring_entry_append_only ON scoring_entry;
CREATE TRIGGER scoring_entry_append_only BEFORE UPDATE OR DELETE ON scoring_entry
    FOR EACH ROW EXECUTE FUNCTION scoring_entry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS scoring_entry_append_only ON scoring_entry;
DROP FUNCTION IF EXISTS scoring_entry_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_catalogue_and_ledger")]
    operations = [migrations.RunSQL([CREATE], [DROP])]
