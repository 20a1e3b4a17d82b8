"""Integer copies of an order's date, amount and margin, kept by the database.

Rewrites the whole order table, locked meanwhile (64 s at 10M orders on PostgreSQL,
19 s at 2M on SQLite). SQLite cannot add a stored generated column to a table, so
Django rebuilds the order table, and a rebuilt table has lost its triggers: the
scoring change-log triggers of scoring migrations 0004 and 0006 are made again
afterwards.
"""

import django.db.models.expressions
import django.db.models.functions.comparison
import django.db.models.functions.math
from django.db import migrations, models

import guanxi.core.expressions

LOG = "scoring_factschange"
WATCHED = ("customer_id", "ordered_on", "amount", "gross_margin")
# The change-log triggers of the order table as scoring migrations 0004 and 0006 left
# them (an insert names its row: kind 1).
SQLITE_TRIGGERS = {
    "scoring_fc_customers_order_ins": (
        "AFTER INSERT ON customers_order WHEN NEW.customer_id IS NOT NULL BEGIN "  # noqa: S608
        f"INSERT INTO {LOG} (customer_id, kind, row_id) VALUES (NEW.customer_id, 1, NEW.id); END"
    ),
    "scoring_fc_customers_order_del": (
        "AFTER DELETE ON customers_order WHEN OLD.customer_id IS NOT NULL BEGIN "  # noqa: S608
        f"INSERT INTO {LOG} (customer_id) VALUES (OLD.customer_id); END"
    ),
    "scoring_fc_customers_order_upd": (
        f"AFTER UPDATE OF {', '.join(WATCHED)} ON customers_order "
        f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in WATCHED)} BEGIN "
        f"INSERT INTO {LOG} (customer_id) SELECT NEW.customer_id "  # noqa: S608
        "WHERE NEW.customer_id IS NOT NULL; "
        f"INSERT INTO {LOG} (customer_id) SELECT OLD.customer_id "  # noqa: S608
        "WHERE OLD.customer_id IS NOT NEW.customer_id AND OLD.customer_id IS NOT NULL; END"
    ),
}


def recreate_triggers(apps, schema_editor) -> None:
    """SQLite: the order table's change-log triggers, after the rebuild dropped them
    (and on databases where migration 0009's rebuild, applied after the triggers
    were made, had dropped them already)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name, body in SQLITE_TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"CREATE TRIGGER {name} {body}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_order_covering_index"),
        # the triggers made again are those of their latest form
        ("scoring", "0006_log_inserted_rows"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="amount_cents",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Cast(
                    django.db.models.functions.math.Round(
                        django.db.models.expressions.CombinedExpression(
                            models.F("amount"), "*", models.Value(100)
                        )
                    ),
                    models.BigIntegerField(),
                ),
                output_field=models.BigIntegerField(),
                verbose_name="amount in cents",
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="margin_bp",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Cast(
                    django.db.models.functions.math.Round(
                        django.db.models.expressions.CombinedExpression(
                            models.F("gross_margin"), "*", models.Value(100)
                        )
                    ),
                    models.IntegerField(),
                ),
                output_field=models.IntegerField(null=True),
                verbose_name="gross margin in basis points",
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="ordered_day",
            field=models.GeneratedField(
                db_persist=True,
                expression=guanxi.core.expressions.EpochDay("ordered_on"),
                output_field=models.IntegerField(),
                verbose_name="order day number",
            ),
        ),
        migrations.RunPython(recreate_triggers, migrations.RunPython.noop),
    ]
