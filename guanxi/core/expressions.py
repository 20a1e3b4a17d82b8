"""Database expressions the models store as generated columns."""

from typing import Any

from django.db.models import Func, IntegerField

# The day 1970-01-01 as a Julian day number at midnight (SQLite's julianday()).
JULIAN_EPOCH = 2440587.5


class EpochDay(Func):
    """Days from 1970-01-01 to a date, as an integer (negative before it).

    The scoring run compares order dates with a dozen window edges per order. SQLite
    keeps dates as text in a column of numeric affinity and converts the other side
    of every such comparison per row; integers compare directly (order pass at 2M
    orders: docs/benchmarks.md §5)."""

    arity = 1
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        template = f"CAST(julianday(%(expressions)s) - {JULIAN_EPOCH} AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        template = "(%(expressions)s - DATE '1970-01-01')"
        return self.as_sql(compiler, connection, template=template, **extra)
