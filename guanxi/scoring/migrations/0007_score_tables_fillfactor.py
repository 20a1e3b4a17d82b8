"""PostgreSQL: leave a quarter of each page of the score and stored-facts tables free.

A nightly run updates about a tenth of both tables' rows. With room on the page,
PostgreSQL writes the new row version beside the old one and leaves the indexes
alone when no indexed column changed (a heap-only update); on full pages it moves
the row and adds an entry to every index. Measured on the nightly run at 1M
customers (docs/benchmarks.md §5): 7.16-7.53 s with full pages, 6.74-6.85 s with
a quarter free. Pages written from now on keep the room; `VACUUM FULL` of the two
tables lays out existing rows that way at once. SQLite has no such setting.
"""

from django.db import migrations

TABLES = ("scoring_customerscore", "scoring_customerfacts")


def forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 75)")


def backward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0006_log_inserted_rows"),
    ]

    operations = [migrations.RunPython(forward, backward)]
