"""Index for searching customers by a name fragment.

PostgreSQL: a trigram GIN index on UPPER(name), the expression Django's
`icontains` compares, used by the customer search box and the API `q` filter.
SQLite has no trigram operator class; the search there scans the name index.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS cust_name_trgm ON customers_customer "
        "USING gin (UPPER(name) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS cust_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
