"""A star rating goes stale in the same transaction as any change of its inputs (issue 12, item 5).

Rewards sits above the ledger, the roster and the rounds, which never import it: so the database itself marks
the scheme's current run, with triggers on their tables (statement-level, with transition tables: one update of
the run per statement, however many rows a bulk approval touches):

- scoring_entry: a row inserted approved (corrections), or a row whose approval comes or goes (approval,
  withdrawal); the cause says approval, correction, withdrawal, transfer or veto (a disqualifying item).
- households_household: a household added taking part, or its participation or village changed.
- review_reviewround: a village's annual round approved, or no longer approved (which villages may be rated).

Each trigger first takes a KEY SHARE lock on the schemes concerned: a rating holds its scheme FOR UPDATE, so a
change either waits for the rating to commit (and then marks the new run) or is seen by it.
The first change is kept (`stale_cause`, the entry, household and village ids), later ones only counted.
The ledger's own triggers (scoring 0002) are untouched. Runs current when this migrates were rated under the old
rules (no tie-breakers, every village rated): they are marked stale ("the star settings changed").
"""

from django.db import migrations

MARK = """
CREATE OR REPLACE FUNCTION rewards_mark_star_runs_stale(
    p_scheme bigint, p_cause text, p_entry bigint, p_household bigint, p_village bigint, p_count integer
) RETURNS void AS $$
BEGIN
    PERFORM 1 FROM scoring_scheme WHERE id = p_scheme FOR KEY SHARE;
    UPDATE rewards_starrun r SET
        stale_cause = CASE WHEN r.stale_since IS NULL THEN p_cause ELSE r.stale_cause END,
        stale_entry_id = CASE WHEN r.stale_since IS NULL THEN p_entry ELSE r.stale_entry_id END,
        stale_household_id = CASE WHEN r.stale_since IS NULL THEN p_household ELSE r.stale_household_id END,
        stale_village_id = CASE WHEN r.stale_since IS NULL THEN p_village ELSE r.stale_village_id END,
        stale_since = COALESCE(r.stale_since, now()),
        stale_changes = r.stale_changes + p_count
    WHERE r.scheme_id = p_scheme AND r.current;
END;
$$ LANGUAGE plpgsql;
"""

ENTRIES = """
CREATE OR REPLACE FUNCTION rewards_star_runs_stale_after_entries() RETURNS trigger AS $$
DECLARE
    changed record;
BEGIN
    FOR changed IN
        WITH rows AS (
            SELECT n.id, n.scheme_id, n.household_id, n.village_id,
                   CASE WHEN o.state = 'approved' AND n.state <> 'approved' THEN 'withdrawal'
                        WHEN n.source = 'correction' THEN 'correction'
                        WHEN n.source = 'transfer' THEN 'transfer'
                        WHEN i.disqualifying THEN 'veto'
                        ELSE 'approval' END AS cause
            FROM new_rows n
            LEFT JOIN old_rows o ON o.id = n.id
            LEFT JOIN scoring_item i ON i.id = n.item_id
            WHERE (n.state = 'approved') IS DISTINCT FROM (COALESCE(o.state, '') = 'approved')
        )
        SELECT scheme_id, count(*)::integer AS n,
               (array_agg(cause ORDER BY id))[1] AS cause,
               (array_agg(id ORDER BY id))[1] AS entry_id,
               (array_agg(household_id ORDER BY id))[1] AS household_id,
               (array_agg(village_id ORDER BY id))[1] AS village_id
        FROM rows GROUP BY scheme_id ORDER BY scheme_id
    LOOP
        PERFORM rewards_mark_star_runs_stale(
            changed.scheme_id, changed.cause, changed.entry_id, changed.household_id, changed.village_id, changed.n
        );
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

ENTRIES_INSERTED = """
CREATE OR REPLACE FUNCTION rewards_star_runs_stale_after_entries_inserted() RETURNS trigger AS $$
DECLARE
    changed record;
BEGIN
    FOR changed IN
        SELECT n.scheme_id, count(*)::integer AS n,
               (array_agg(CASE WHEN n.source = 'correction' THEN 'correction'
                               WHEN n.source = 'transfer' THEN 'transfer'
                               WHEN i.disqualifying THEN 'veto'
                               ELSE 'approval' END ORDER BY n.id))[1] AS cause,
               (array_agg(n.id ORDER BY n.id))[1] AS entry_id,
               (array_agg(n.household_id ORDER BY n.id))[1] AS household_id,
               (array_agg(n.village_id ORDER BY n.id))[1] AS village_id
        FROM new_rows n LEFT JOIN scoring_item i ON i.id = n.item_id
        WHERE n.state = 'approved'
        GROUP BY n.scheme_id ORDER BY n.scheme_id
    LOOP
        PERFORM rewards_mark_star_runs_stale(
            changed.scheme_id, changed.cause, changed.entry_id, changed.household_id, changed.village_id, changed.n
        );
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

# Taking part: households.models.TAKING_PART_STATUSES as of this migration.
HOUSEHOLDS = """
CREATE OR REPLACE FUNCTION rewards_star_runs_stale_after_households() RETURNS trigger AS $$
DECLARE
    changed record;
BEGIN
    FOR changed IN
        WITH rows AS (
            SELECT n.id, n.township_id, n.village_id,
                   CASE WHEN o.id IS NULL THEN 'household'
                        WHEN o.village_id IS DISTINCT FROM n.village_id THEN 'move'
                        ELSE 'participation' END AS cause
            FROM new_rows n
            LEFT JOIN old_rows o ON o.id = n.id
            WHERE (o.id IS NULL AND n.participation IN ('taking_part', 'elderly_opted_in'))
               OR (o.id IS NOT NULL AND (o.participation IS DISTINCT FROM n.participation
                                         OR o.village_id IS DISTINCT FROM n.village_id))
        ), first AS (
            SELECT township_id, count(*)::integer AS n,
                   (array_agg(cause ORDER BY id))[1] AS cause,
                   (array_agg(id ORDER BY id))[1] AS household_id,
                   (array_agg(village_id ORDER BY id))[1] AS village_id
            FROM rows GROUP BY township_id
        )
        SELECT r.scheme_id, first.* FROM first
        JOIN rewards_starrun r ON r.township_id = first.township_id AND r.current
        ORDER BY r.scheme_id
    LOOP
        PERFORM rewards_mark_star_runs_stale(
            changed.scheme_id, changed.cause, NULL, changed.household_id, changed.village_id, changed.n
        );
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

ROUNDS = """
CREATE OR REPLACE FUNCTION rewards_star_runs_stale_after_rounds() RETURNS trigger AS $$
DECLARE
    changed record;
BEGIN
    FOR changed IN
        SELECT n.scheme_id, count(*)::integer AS n, (array_agg(n.village_id ORDER BY n.id))[1] AS village_id
        FROM new_rows n
        LEFT JOIN old_rows o ON o.id = n.id
        WHERE n.kind = 'annual'
          AND (n.state = 'approved') IS DISTINCT FROM (COALESCE(o.state, '') = 'approved')
        GROUP BY n.scheme_id ORDER BY n.scheme_id
    LOOP
        PERFORM rewards_mark_star_runs_stale(changed.scheme_id, 'round', NULL, NULL, changed.village_id, changed.n);
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGERS = """
DROP TRIGGER IF EXISTS rewards_stars_stale_entry_insert ON scoring_entry;
CREATE TRIGGER rewards_stars_stale_entry_insert AFTER INSERT ON scoring_entry
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rewards_star_runs_stale_after_entries_inserted();
DROP TRIGGER IF EXISTS rewards_stars_stale_entry_update ON scoring_entry;
CREATE TRIGGER rewards_stars_stale_entry_update AFTER UPDATE ON scoring_entry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rewards_star_runs_stale_after_entries();
DROP TRIGGER IF EXISTS rewards_stars_stale_household_update ON households_household;
CREATE TRIGGER rewards_stars_stale_household_update AFTER UPDATE ON households_household
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rewards_star_runs_stale_after_households();
DROP TRIGGER IF EXISTS rewards_stars_stale_household_insert ON households_household;
CREATE TRIGGER rewards_stars_stale_household_insert AFTER INSERT ON households_household
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rewards_star_runs_stale_after_households_inserted();
DROP TRIGGER IF EXISTS rewards_stars_stale_round_update ON review_reviewround;
CREATE TRIGGER rewards_stars_stale_round_update AFTER UPDATE ON review_reviewround
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rewards_star_runs_stale_after_rounds();
DROP TRIGGER IF EXISTS rewards_stars_stale_round_insert ON review_reviewround;
CREATE TRIGGER rewards_stars_stale_round_insert AFTER INSERT ON review_reviewround
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rewards_star_runs_stale_after_rounds_inserted();
"""

OLD_RUNS = """
UPDATE rewards_starrun SET stale_since = now(), stale_cause = 'settings', stale_changes = 1
WHERE current AND stale_since IS NULL;
"""

DROP = """
DROP TRIGGER IF EXISTS rewards_stars_stale_entry_insert ON scoring_entry;
DROP TRIGGER IF EXISTS rewards_stars_stale_entry_update ON scoring_entry;
DROP TRIGGER IF EXISTS rewards_stars_stale_household_update ON households_household;
DROP TRIGGER IF EXISTS rewards_stars_stale_household_insert ON households_household;
DROP TRIGGER IF EXISTS rewards_stars_stale_round_update ON review_reviewround;
DROP TRIGGER IF EXISTS rewards_stars_stale_round_insert ON review_reviewround;
DROP FUNCTION IF EXISTS rewards_star_runs_stale_after_entries();
DROP FUNCTION IF EXISTS rewards_star_runs_stale_after_entries_inserted();
DROP FUNCTION IF EXISTS rewards_star_runs_stale_after_households();
DROP FUNCTION IF EXISTS rewards_star_runs_stale_after_households_inserted();
DROP FUNCTION IF EXISTS rewards_star_runs_stale_after_rounds();
DROP FUNCTION IF EXISTS rewards_star_runs_stale_after_rounds_inserted();
DROP FUNCTION IF EXISTS rewards_mark_star_runs_stale(bigint, text, bigint, bigint, bigint, integer);
"""


def _inserted_variant(function_sql: str, name: str) -> str:
    """The same function for INSERT triggers, which have no OLD TABLE: `old_rows` becomes an empty set."""
    no_old_rows = (
        "LEFT JOIN (SELECT NULL::bigint AS id, NULL::bigint AS village_id, NULL::text AS participation, "
        "NULL::text AS state) o ON o.id = n.id"
    )
    return function_sql.replace(f"FUNCTION {name}()", f"FUNCTION {name}_inserted()").replace(
        "LEFT JOIN old_rows o ON o.id = n.id", no_old_rows
    )


FORWARDS = [
    MARK,
    ENTRIES,
    ENTRIES_INSERTED,
    HOUSEHOLDS,
    _inserted_variant(HOUSEHOLDS, "rewards_star_runs_stale_after_households"),
    ROUNDS,
    _inserted_variant(ROUNDS, "rewards_star_runs_stale_after_rounds"),
    TRIGGERS,
    OLD_RUNS,
]


class Migration(migrations.Migration):
    dependencies = [
        ("rewards", "0006_star_ratings_stay_true"),
        ("scoring", "0002_ledger_trigger"),
        ("review", "0003_meeting_objection_reviewround_proposalchange_and_more"),
    ]
    operations = [migrations.RunSQL(FORWARDS, [DROP])]
