"""The database itself refuses to change or delete the rewards' ledgers (raw SQL included).

Funding lines, reward allocations, redemptions, their lines and stock moves are append-only: a mistake is put
right by a reversing record. Product.stock is the one running figure that is updated (under a row lock).
"""

from django.db import migrations

TABLES = [
    "rewards_fundingline",
    "rewards_rewardallocation",
    "rewards_redemption",
    "rewards_redemptionline",
    "rewards_stockmove",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION rewards_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% %: this record is never changed or deleted; record a reversing one', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


FORWARDS = [
    FUNCTION,
    *(
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; "
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION rewards_append_only();"
        for table in TABLES
    ),
]
BACKWARDS = [
    *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES),
    "DROP FUNCTION IF EXISTS rewards_append_only();",
]


class Migration(migrations.Migration):
    dependencies = [("rewards", "0002_budget_rewards_supermarket")]
    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
