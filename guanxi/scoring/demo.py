"""Maturity classes for the demo data, so call lists and the manager's stock table
show a believable mix instead of every customer in class 0.

One INSERT … SELECT: the class follows the customer's stage, spread by a fixed hash of
the id (reproducible for a given dataset). Customers that already have a class keep it.
"""

from django.db import connection

from guanxi.customers.models import Customer

from .models import CustomerMaturity

# stage -> cumulative percentage bands (upper bound, class)
MIX: dict[str, tuple[tuple[int, str], ...]] = {
    "lead": ((40, "0"), (65, "5"), (85, "4o"), (95, "4k"), (100, "7")),
    "potential": ((30, "4o"), (50, "4k"), (75, "3o"), (85, "5"), (100, "7")),
    "intention": ((35, "3o"), (65, "3k"), (80, "4k"), (90, "2"), (100, "7")),
    "negotiation": ((35, "2"), (70, "3k"), (85, "1"), (100, "6")),
    "won": ((15, "1"), (40, "3k"), (70, "3o"), (85, "4k"), (100, "7")),
    "repurchase": ((30, "3k"), (65, "3o"), (80, "4k"), (90, "4o"), (100, "7")),
    "lost": ((40, "6"), (70, "5"), (100, "7")),
}


def _case() -> str:
    bucket = "((c.id * 7919 + 13) % 100)"
    parts = []
    for stage, bands in MIX.items():
        inner = " ".join(f"WHEN {bucket} < {upper} THEN '{value}'" for upper, value in bands)
        parts.append(f"WHEN c.stage = '{stage}' THEN CASE {inner} END")
    return "CASE " + " ".join(parts) + " ELSE '0' END"


def demo_maturity() -> int:
    """Give every live customer without a class one from MIX; returns rows written."""
    table = CustomerMaturity._meta.db_table
    sql = f"""
INSERT INTO {table} (customer_id, value, since, set_by_id, reason, promise_made_on,
                     promised_payment_on)
SELECT c.id, {_case()}, c.updated_at, NULL, '', NULL, NULL
FROM {Customer._meta.db_table} c
WHERE c.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM {table} m WHERE m.customer_id = c.id)
"""  # noqa: S608 - constants and our own table names only
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount
