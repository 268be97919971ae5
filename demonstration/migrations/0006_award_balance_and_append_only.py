"""The database itself keeps the award's two rules (raw SQL included):

- the balance (award − spending) never goes below zero, and only an awarded application is spent against: a
  spending is refused before it is written. The trigger locks the application's row, as the service does, so two
  spendings at once are counted one after the other.
- spending, checks and the items a check sampled are never changed or deleted: a mistake is put right by a
  reversing record, a check by a later check.
"""

from django.db import migrations

BALANCE = """
CREATE OR REPLACE FUNCTION demonstration_award_balance() RETURNS trigger AS $$
DECLARE
    awarded numeric;
    application_state varchar;
    spent numeric;
BEGIN
    SELECT a.award, a.state INTO awarded, application_state
        FROM demonstration_application a WHERE a.id = NEW.application_id FOR UPDATE;
    IF application_state IS DISTINCT FROM 'awarded' OR awarded IS NULL THEN
        RAISE EXCEPTION 'application %: spending is recorded only against an award', NEW.application_id
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT COALESCE(SUM(s.amount), 0) INTO spent
        FROM demonstration_awardspending s WHERE s.application_id = NEW.application_id;
    IF spent + NEW.amount > awarded THEN
        RAISE EXCEPTION 'application %: % yuan spent of an award of % yuan; % more would overdraw it',
            NEW.application_id, spent, awarded, NEW.amount
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS demonstration_awardspending_balance ON demonstration_awardspending;
CREATE TRIGGER demonstration_awardspending_balance BEFORE INSERT ON demonstration_awardspending
    FOR EACH ROW EXECUTE FUNCTION demonstration_award_balance();
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION demonstration_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% %: this record is never changed or deleted; record a reversing one', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""

TABLES = ["demonstration_awardspending", "demonstration_awardcheck", "demonstration_awardcheck_sampled"]

FORWARDS = [
    BALANCE,
    APPEND_ONLY,
    *(
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; "
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION demonstration_append_only();"
        for table in TABLES
    ),
]
BACKWARDS = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES),
    "DROP FUNCTION IF EXISTS demonstration_append_only();",
    "DROP TRIGGER IF EXISTS demonstration_awardspending_balance ON demonstration_awardspending;",
    "DROP FUNCTION IF EXISTS demonstration_award_balance();",
]


class Migration(migrations.Migration):
    dependencies = [("demonstration", "0005_award_spending_and_checks")]
    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
