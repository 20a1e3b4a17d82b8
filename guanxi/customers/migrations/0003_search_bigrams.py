"""Indexes that let a 2-character (or longer) name fragment search use an index.

pg_trgm (0002) cannot index a 2-character pattern, and it only sees CJK
characters when the database's LC_CTYPE classifies them as letters. Bigrams
("two adjacent characters") cover both: every substring of two or more
characters contains at least one bigram of the name it came from.

PostgreSQL: a GIN index on guanxi_bigrams(UPPER(name)) — the bigrams of the
expression Django's `icontains` compares — plus an index on UPPER(number) for
the exact-number arm and a trigram index on phone for the phone arm, so the
whole `q` search is a BitmapOr of index scans (used by customers.search).

SQLite: a WITHOUT ROWID table (gram, customer_id) of the bigrams of UPPER(name)
and UPPER(phone), kept by triggers so every write path (ORM, bulk_create,
update(), raw SQL, demo loader) maintains it; plus a NOCASE index on number.
SQLite's upper() and LIKE both fold ASCII only, so the grams match what LIKE does.
"""

from django.db import migrations

# Triggers cannot use a WITH clause, so positions 1..N come from a helper table.
# Names are at most 200 characters and phones 32; 5000 leaves ample room.
MAX_POSITION = 5000

PG_FORWARD = [
    # PARALLEL UNSAFE on purpose: a list page reads 51 rows, and when the planner
    # walks the list order with this function in the filter it may otherwise start
    # parallel workers, ~5–8 ms of start-up for a query that takes ~2 ms.
    """
    CREATE OR REPLACE FUNCTION guanxi_bigrams(s text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL UNSAFE AS $$
        SELECT coalesce(array_agg(substr(s, i, 2)), '{}'::text[])
        FROM generate_series(1, length(s) - 1) AS i
    $$
    """,
    # customers.search: name fragment of 2+ characters, list page and API `q`
    "CREATE INDEX IF NOT EXISTS cust_name_bigram ON customers_customer "
    "USING gin (guanxi_bigrams(UPPER(name)))",
    # customers.search: exact customer number, case-insensitive (Django iexact)
    "CREATE INDEX IF NOT EXISTS cust_number_upper ON customers_customer (UPPER(number))",
    # customers.search: phone fragment of 4+ digits (digits are trigram words in any locale)
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS cust_phone_trgm ON customers_customer "
    "USING gin (phone gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS cust_phone_trgm",
    "DROP INDEX IF EXISTS cust_number_upper",
    "DROP INDEX IF EXISTS cust_name_bigram",
    "DROP FUNCTION IF EXISTS guanxi_bigrams(text)",
]


def _grams(row: str, column: str) -> str:
    return (
        # Only constant identifiers are interpolated in this module (no user input).
        f"SELECT upper(substr({row}.{column}, n, 2)) AS g FROM customers_search_pos "  # noqa: S608
        f"WHERE n < length({row}.{column})"
    )


def _insert(row: str) -> str:
    return (
        "INSERT OR IGNORE INTO customers_search_gram (gram, customer_id) "  # noqa: S608
        f"SELECT g, {row}.id FROM ({_grams(row, 'name')} UNION {_grams(row, 'phone')})"
    )


def _delete(row: str) -> str:
    # Deleting by (gram, customer_id) uses the primary key; no extra index needed.
    return (
        f"DELETE FROM customers_search_gram WHERE customer_id = {row}.id "  # noqa: S608
        f"AND gram IN ({_grams(row, 'name')} UNION {_grams(row, 'phone')})"
    )


SQLITE_FORWARD = [
    "CREATE TABLE customers_search_pos (n INTEGER PRIMARY KEY)",
    "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "  # noqa: S608
    f"WHERE n < {MAX_POSITION}) INSERT INTO customers_search_pos SELECT n FROM s",
    # customers.search: candidates for a name/phone fragment, rarest bigram first
    "CREATE TABLE customers_search_gram (gram TEXT NOT NULL, customer_id INTEGER NOT NULL, "
    "PRIMARY KEY (gram, customer_id)) WITHOUT ROWID",
    f"CREATE TRIGGER customers_search_gram_ins AFTER INSERT ON customers_customer "
    f"BEGIN {_insert('NEW')}; END",
    "CREATE TRIGGER customers_search_gram_upd AFTER UPDATE OF name, phone ON customers_customer "
    "WHEN OLD.name IS NOT NEW.name OR OLD.phone IS NOT NEW.phone "
    f"BEGIN {_delete('OLD')}; {_insert('NEW')}; END",
    f"CREATE TRIGGER customers_search_gram_del AFTER DELETE ON customers_customer "
    f"BEGIN {_delete('OLD')}; END",
    # Existing customers (the triggers only see new writes).
    "INSERT OR IGNORE INTO customers_search_gram (gram, customer_id) "
    "SELECT upper(substr(c.name, p.n, 2)), c.id FROM customers_customer c "
    "JOIN customers_search_pos p ON p.n < length(c.name) "
    "UNION SELECT upper(substr(c.phone, p.n, 2)), c.id FROM customers_customer c "
    "JOIN customers_search_pos p ON p.n < length(c.phone)",
    # customers.search: exact customer number; NOCASE equals Django's iexact (LIKE) on SQLite
    "CREATE INDEX IF NOT EXISTS cust_number_nocase ON customers_customer (number COLLATE NOCASE)",
]
SQLITE_BACKWARD = [
    "DROP INDEX IF EXISTS cust_number_nocase",
    "DROP TRIGGER IF EXISTS customers_search_gram_del",
    "DROP TRIGGER IF EXISTS customers_search_gram_upd",
    "DROP TRIGGER IF EXISTS customers_search_gram_ins",
    "DROP TABLE IF EXISTS customers_search_gram",
    "DROP TABLE IF EXISTS customers_search_pos",
]

STATEMENTS = {
    "postgresql": (PG_FORWARD, PG_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def forwards(apps, schema_editor):
    for sql in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[0]:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in STATEMENTS.get(schema_editor.connection.vendor, ([], []))[1]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_name_search_index")]
    operations = [migrations.RunPython(forwards, backwards)]
