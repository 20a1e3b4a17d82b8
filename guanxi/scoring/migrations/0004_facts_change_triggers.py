"""Triggers that log every write a customer's scoring facts depend on.

Each insert, delete, or update of a watched column appends the customer's id to
scoring_factschange inside the writer's own transaction, whatever wrote it (ORM,
bulk_create, update(), the importer's COPY/executemany, raw SQL). The nightly run
refreshes and rescores exactly those customers (scoring/nightly.py).

PostgreSQL: inserts and deletes use statement-level triggers with transition
tables (one INSERT … SELECT DISTINCT per statement, so a 1M-row COPY pays one
statement, not a million function calls); updates use row-level triggers limited
to the watched columns and to rows where one of them really changed.
SQLite: row-level triggers (SQLite has no statement-level ones).

If a later migration rebuilds one of these tables on SQLite (a table remake drops
its triggers), nightly.triggers_missing() notices and the run falls back to a full
recompute; tests/scoring/test_facts_changes.py fails until they are re-created.
"""

from django.db import migrations

# table -> (customer id column, watched columns)
WATCHED = {
    "customers_customer": (
        "id",
        ("created_at", "deleted_at", "stage", "industry", "size_band", "source", "urgency",
         "potential_class", "contract_status", "is_strategic", "satisfaction", "budget_min",
         "budget_max"),
    ),
    "customers_order": ("customer_id", ("customer_id", "ordered_on", "amount", "gross_margin")),
    "customers_interaction": ("customer_id", ("customer_id", "occurred_at")),
    "customers_need": ("customer_id", ("customer_id", "status", "matched_solution")),
    "customers_contact": ("customer_id", ("customer_id", "decision_role", "is_key_person")),
    "scoring_creditprofile": ("customer_id", ("payment_method", "monthly_plan")),
    "scoring_customermaturity": (
        "customer_id",
        ("value", "promise_made_on", "promised_payment_on"),
    ),
}  # fmt: skip
LOG = "scoring_factschange"
# The scoring run sets this for its own maturity moves, whose stored facts it updates
# itself (nightly.facts_kept_current); SQLite, with one writer, deletes the rows instead.
SKIP = "IF current_setting('guanxi.facts_current', true) = 'on' THEN RETURN NULL; END IF;"


def _changed(columns: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


def _pg_forward() -> list[str]:
    out = []
    for key in ("id", "customer_id"):
        out += [
            # Only constant identifiers are interpolated in this module (no user input).
            f"""CREATE OR REPLACE FUNCTION scoring_fc_rows_{key}() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
              {SKIP}
              INSERT INTO {LOG} (customer_id)
              SELECT DISTINCT {key} FROM fc_rows WHERE {key} IS NOT NULL;
              RETURN NULL;
            END $$""",  # noqa: S608
            f"""CREATE OR REPLACE FUNCTION scoring_fc_row_{key}() RETURNS trigger
            LANGUAGE plpgsql AS $$ BEGIN
              {SKIP}
              INSERT INTO {LOG} (customer_id) VALUES (NEW.{key});
              IF OLD.{key} IS DISTINCT FROM NEW.{key} THEN
                INSERT INTO {LOG} (customer_id) VALUES (OLD.{key});
              END IF;
              RETURN NULL;
            END $$""",  # noqa: S608
        ]
    for table, (key, columns) in WATCHED.items():
        out += [
            f"CREATE TRIGGER scoring_fc_ins AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS fc_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION scoring_fc_rows_{key}()",
            f"CREATE TRIGGER scoring_fc_del AFTER DELETE ON {table} "
            f"REFERENCING OLD TABLE AS fc_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION scoring_fc_rows_{key}()",
            f"CREATE TRIGGER scoring_fc_upd AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN ({_changed(columns, 'IS DISTINCT FROM')}) "
            f"EXECUTE FUNCTION scoring_fc_row_{key}()",
        ]
    return out


def _pg_backward() -> list[str]:
    out = [
        f"DROP TRIGGER IF EXISTS scoring_fc_{event} ON {table}"
        for table in WATCHED
        for event in ("ins", "del", "upd")
    ]
    for key in ("id", "customer_id"):
        out += [
            f"DROP FUNCTION IF EXISTS scoring_fc_rows_{key}()",
            f"DROP FUNCTION IF EXISTS scoring_fc_row_{key}()",
        ]
    return out


def _sqlite_forward() -> list[str]:
    out = []
    for table, (key, columns) in WATCHED.items():
        out += [
            f"CREATE TRIGGER scoring_fc_{table}_ins AFTER INSERT ON {table} "
            f"WHEN NEW.{key} IS NOT NULL "
            f"BEGIN INSERT INTO {LOG} (customer_id) VALUES (NEW.{key}); END",
            f"CREATE TRIGGER scoring_fc_{table}_del AFTER DELETE ON {table} "
            f"WHEN OLD.{key} IS NOT NULL "
            f"BEGIN INSERT INTO {LOG} (customer_id) VALUES (OLD.{key}); END",
            f"CREATE TRIGGER scoring_fc_{table}_upd AFTER UPDATE OF {', '.join(columns)} "
            f"ON {table} WHEN {_changed(columns, 'IS NOT')} BEGIN "
            f"INSERT INTO {LOG} (customer_id) SELECT NEW.{key} WHERE NEW.{key} IS NOT NULL; "
            f"INSERT INTO {LOG} (customer_id) SELECT OLD.{key} "  # noqa: S608
            f"WHERE OLD.{key} IS NOT NEW.{key} AND OLD.{key} IS NOT NULL; END",
        ]
    return out


def _sqlite_backward() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS scoring_fc_{table}_{event}"
        for table in WATCHED
        for event in ("ins", "del", "upd")
    ]


def forward(apps, schema_editor) -> None:
    statements = _pg_forward() if schema_editor.connection.vendor == "postgresql" else None
    if statements is None:
        statements = _sqlite_forward()
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor) -> None:
    pg = schema_editor.connection.vendor == "postgresql"
    for sql in _pg_backward() if pg else _sqlite_backward():
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_scoring_window_indexes"),
        ("scoring", "0003_stored_facts_change_log"),
    ]

    operations = [migrations.RunPython(forward, backward)]
