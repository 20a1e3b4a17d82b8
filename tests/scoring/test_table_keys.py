"""The score and stored-facts tables are keyed by the customer alone (core.fields):
on SQLite the key is the table's rowid, with no second index beside it."""

import pytest
from django.db import connection

from guanxi.scoring.models import CustomerScore
from guanxi.scoring.models_facts import CustomerFacts

pytestmark = pytest.mark.django_db

TABLES = (CustomerScore._meta.db_table, CustomerFacts._meta.db_table)


@pytest.mark.parametrize("table", TABLES)
def test_the_customer_key_is_the_only_key(table):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA index_list({table})")
            autoindexes = [row[1] for row in cursor.fetchall() if row[1].startswith("sqlite_")]
            assert autoindexes == []  # bigint keys get one (sqlite_autoindex_…)
            cursor.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE customer_id = 7")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "INTEGER PRIMARY KEY" in plan, plan
        else:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = 'customer_id'",
                [table],
            )
            assert cursor.fetchone() == ("bigint",)


def test_a_key_beyond_32_bits_is_kept():
    big = 2**40 + 7  # beyond 32 bits: SQLite's rowid holds 64
    CustomerFacts.objects.create(
        customer_id=big, created_on="2025-01-01", is_strategic=0, budget_known=0, n_all=0,
        n_days=0, sales=0, recent=0, previous=0, quarters=0, margin_base=0, profit_x=0,
        n_recent=0, n_open=0, n_matched=0, n_contacts=0, dm=0, kp=0, paid=0,
    )  # fmt: skip
    assert CustomerFacts.objects.get(customer_id=big).customer_id == big
