"""The change log names inserted orders and interactions.

An inserted order or interaction is logged with its kind and row id, so that the
nightly run adds it to the customer's stored facts instead of rebuilding them from
every row (nightly.apply_insert_deltas). Every other write is logged as before
(kind 0: rebuild). Only the insert triggers of the two tables change; rows logged
before this migration have kind 0.
"""

from django.db import migrations, models

LOG = "scoring_factschange"
SKIP = "IF current_setting('guanxi.facts_current', true) = 'on' THEN RETURN NULL; END IF;"
# table -> kind (FactsChange.ORDER_ADDED, FactsChange.INTERACTION_ADDED)
ADDED = {"customers_order": 1, "customers_interaction": 2}


def _pg_forward() -> list[str]:
    out = []
    for table, kind in ADDED.items():
        out += [
            # Only constant identifiers are interpolated in this module (no user input).
            f"""CREATE OR REPLACE FUNCTION scoring_fc_added_{table}() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
              {SKIP}
              INSERT INTO {LOG} (customer_id, kind, row_id)
              SELECT customer_id, {kind}, id FROM fc_rows WHERE customer_id IS NOT NULL;
              RETURN NULL;
            END $$""",  # noqa: S608
            f"DROP TRIGGER scoring_fc_ins ON {table}",
            f"CREATE TRIGGER scoring_fc_ins AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS fc_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION scoring_fc_added_{table}()",
        ]
    return out


def _pg_backward() -> list[str]:
    out = []
    for table in ADDED:
        out += [
            f"DROP TRIGGER scoring_fc_ins ON {table}",
            f"CREATE TRIGGER scoring_fc_ins AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS fc_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION scoring_fc_rows_customer_id()",
            f"DROP FUNCTION scoring_fc_added_{table}()",
        ]
    return out


def _sqlite(kinds: bool) -> list[str]:
    out = []
    for table, kind in ADDED.items():
        columns, values = (
            ("customer_id, kind, row_id", f"NEW.customer_id, {kind}, NEW.id")
            if kinds
            else ("customer_id", "NEW.customer_id")
        )
        out += [
            f"DROP TRIGGER scoring_fc_{table}_ins",
            f"CREATE TRIGGER scoring_fc_{table}_ins AFTER INSERT ON {table} "
            f"WHEN NEW.customer_id IS NOT NULL "
            f"BEGIN INSERT INTO {LOG} ({columns}) VALUES ({values}); END",
        ]
    return out


def forward(apps, schema_editor) -> None:
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in _pg_forward() if pg else _sqlite(kinds=True):
        schema_editor.execute(sql)


def backward(apps, schema_editor) -> None:
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in _pg_backward() if pg else _sqlite(kinds=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0005_quarter_counts"),
    ]

    operations = [
        # Plain ADD COLUMN on both databases: Django would remake the table on SQLite
        # for a NOT NULL column, and SQLite refuses to rename a table that the
        # change-log triggers of the other tables write to.
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {LOG} ADD COLUMN kind smallint DEFAULT 0 NOT NULL "
                    "CHECK (kind >= 0)",
                    f"ALTER TABLE {LOG} DROP COLUMN kind",
                ),
                migrations.RunSQL(
                    f"ALTER TABLE {LOG} ADD COLUMN row_id bigint NULL",
                    f"ALTER TABLE {LOG} DROP COLUMN row_id",
                ),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="factschange",
                    name="kind",
                    field=models.PositiveSmallIntegerField(db_default=0, verbose_name="kind"),
                ),
                migrations.AddField(
                    model_name="factschange",
                    name="row_id",
                    field=models.BigIntegerField(null=True, verbose_name="inserted row"),
                ),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
